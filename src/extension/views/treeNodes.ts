// What each row of the Sessions tree shows (session › window › pane), computed from the model: stable ids so
// expansion survives refreshes, labels, descriptions (unread mark, running command, activity time), tooltips
// and context values for the menus' `when` clauses. No `vscode` import: sessionsView.ts turns these into
// TreeItems.
import type { Pane, Session, Window } from "../../protocol/api.js";
import type { Inspector } from "../client/sessionsModel.js";

export type NodeKind = "session" | "window" | "pane";

export interface NodeRef {
  kind: NodeKind;
  session: string;
  windowIndex?: number;
  paneId?: string;
}

export interface NodeView {
  id: string;
  label: string;
  description: string;
  /** Markdown. */
  tooltip: string;
  /** `sentinel.session`, `sentinel.window.unread`, … (menus match `^sentinel\.session` and `\.unread$`). */
  contextValue: string;
  collapsible: boolean;
  unread: boolean;
  /** A codicon id. */
  icon: string;
  /** A theme colour id for the icon (a recording's red; it wins over the unread colour). */
  iconColor?: string;
}

export const UNREAD_MARK = "●";

export function nodeId(ref: NodeRef): string {
  switch (ref.kind) {
    case "session":
      return `session:${ref.session}`;
    case "window":
      return `window:${ref.session}:${ref.windowIndex}`;
    case "pane":
      return `pane:${ref.session}:${ref.paneId}`;
  }
}

/** Loose command inference for display (spec §1.2 `inferCommand`): basename, runners and env skipped. */
export function displayCommand(raw: string | undefined): string {
  if (!raw) return "";
  let text = raw.trim();
  if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text.at(-1) === text[0])
    text = text.slice(1, -1);
  const runners = new Set(["npx", "bunx", "pnpm", "yarn", "env", "sudo", "exec"]);
  for (const token of text.split(/\s+/)) {
    if (!token || token.includes("=") || token.startsWith("-") || runners.has(token)) continue;
    return (token.split("/").pop() ?? token).toLowerCase().replace(/\.(js|ts|mjs|cjs|py|rb|pl)$/, "");
  }
  return "";
}

const SHELLS = new Set(["sh", "bash", "zsh", "fish", "dash", "ksh", "tcsh", "csh", "nu", "pwsh", "tmux"]);

/** A command for display, or "" when it is just a shell. */
export function programOf(raw: string | undefined): string {
  const command = displayCommand(raw);
  return SHELLS.has(command) ? "" : command;
}

/** The pane's running program, or "" when it is just the shell. */
export function paneCommand(pane: Pane | undefined): string {
  if (!pane) return "";
  const command = displayCommand(pane.currentCommand) || displayCommand(pane.startCommand);
  return SHELLS.has(command) ? "" : command;
}

/** Parses RFC 3339; undefined for "", the Go zero time, or garbage. */
export function parseTime(value: string | undefined): number | undefined {
  if (!value || value.startsWith("0001-")) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** "now", "5s", "3m", "2h", "4d" ago. */
export function relativeTime(value: string | undefined, now: number): string {
  const t = parseTime(value);
  if (t === undefined) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 10) return "now";
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}

/** The last path segment ("~" stays "~"). */
export function folderName(path: string | undefined): string {
  if (!path) return "";
  const trimmed = path.replace(/\/+$/, "");
  return trimmed ? (trimmed.split("/").pop() ?? trimmed) : "/";
}

function absoluteTime(value: string | undefined): string {
  const t = parseTime(value);
  return t === undefined ? "" : new Date(t).toLocaleString();
}

/** A fenced block that the text cannot close early. */
function codeBlock(text: string): string {
  const fence = "`".repeat(3);
  return `${fence}text\n${text.replace(/`{3,}/g, "'''")}\n${fence}`;
}

const joinParts = (parts: Array<string | false | undefined>) => parts.filter(Boolean).join(" · ");

/** Backslashes and markdown punctuation escaped for tooltips. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, "\\$&");
}

function activeWindow(inspector: Inspector | undefined): Window | undefined {
  return inspector?.windows.find((w) => w.active) ?? inspector?.windows[0];
}

function activePaneOf(inspector: Inspector | undefined, windowIndex: number): Pane | undefined {
  const panes = inspector?.panes.filter((p) => p.windowIndex === windowIndex) ?? [];
  return panes.find((p) => p.active) ?? panes[0];
}

export function sessionView(session: Session, inspector: Inspector | undefined, now: number): NodeView {
  const window = activeWindow(inspector);
  const command =
    (window ? paneCommand(activePaneOf(inspector, window.index)) : "") || programOf(session.command);
  const unread = session.unreadPanes > 0;
  const when = relativeTime(session.activityAt, now);
  const lines = [
    `**${md(session.name)}**${session.attached > 0 ? " — attached" : ""}`,
    `${session.windows} window${session.windows === 1 ? "" : "s"}, ${session.panes} pane${session.panes === 1 ? "" : "s"}`,
  ];
  if (unread)
    lines.push(
      `${UNREAD_MARK} ${session.unreadPanes} unread pane${session.unreadPanes === 1 ? "" : "s"} in ${session.unreadWindows} window${session.unreadWindows === 1 ? "" : "s"}`,
    );
  if (command) lines.push(`Running: \`${command}\``);
  const at = absoluteTime(session.activityAt);
  if (at) lines.push(`Last activity: ${at}`);
  if (session.lastContent) lines.push(codeBlock(session.lastContent));
  return {
    id: nodeId({ kind: "session", session: session.name }),
    label: session.name,
    description: joinParts([unread && `${UNREAD_MARK} ${session.unreadPanes}`, command, when]),
    tooltip: lines.join("\n\n"),
    contextValue: `sentinel.session${session.attached > 0 ? ".attached" : ""}${unread ? ".unread" : ""}`,
    collapsible: true,
    unread,
    icon: unread ? "circle-filled" : session.attached > 0 ? "terminal-tmux" : "terminal",
  };
}

export function windowView(window: Window, inspector: Inspector | undefined, now: number): NodeView {
  const pane = activePaneOf(inspector, window.index);
  const command = paneCommand(pane);
  const unread = window.hasUnread || window.unreadPanes > 0;
  const when = relativeTime(window.activityAt, now);
  const lines = [
    `**${window.index}: ${md(window.name)}**${window.active ? " — active window" : ""}`,
    `${window.panes} pane${window.panes === 1 ? "" : "s"}`,
  ];
  if (unread) lines.push(`${UNREAD_MARK} ${window.unreadPanes} unread`);
  if (command) lines.push(`Running: \`${command}\``);
  const at = absoluteTime(window.activityAt);
  if (at) lines.push(`Last activity: ${at}`);
  return {
    id: nodeId({ kind: "window", session: window.session, windowIndex: window.index }),
    label: `${window.index}: ${window.name}`,
    description: joinParts([unread && UNREAD_MARK, window.active && "active", command, when]),
    tooltip: lines.join("\n\n"),
    contextValue: `sentinel.window${window.active ? ".active" : ""}${unread ? ".unread" : ""}`,
    collapsible: true,
    unread,
    icon: unread ? "circle-filled" : "window",
  };
}

export function paneView(pane: Pane, now: number): NodeView {
  const command = paneCommand(pane);
  const unread = pane.hasUnread;
  const when = relativeTime(pane.changedAt, now);
  const lines = [`**${md(pane.paneId)} ${md(pane.title)}**${pane.active ? " — active pane" : ""}`];
  if (unread) lines.push(`${UNREAD_MARK} unread output`);
  if (pane.currentCommand) lines.push(`Command: \`${pane.currentCommand}\``);
  if (pane.currentPath) lines.push(`Folder: \`${pane.currentPath}\``);
  const at = absoluteTime(pane.changedAt);
  if (at) lines.push(`Last output: ${at}`);
  if (pane.tailPreview) lines.push(codeBlock(pane.tailPreview));
  return {
    id: nodeId({ kind: "pane", session: pane.session, paneId: pane.paneId }),
    label: `${pane.paneIndex}: ${command || displayCommand(pane.currentCommand) || pane.title || pane.paneId}`,
    description: joinParts([
      unread && UNREAD_MARK,
      pane.active && "active",
      folderName(pane.currentPath),
      when,
    ]),
    tooltip: lines.join("\n\n"),
    contextValue: `sentinel.pane${pane.active ? ".active" : ""}${unread ? ".unread" : ""}`,
    collapsible: false,
    unread,
    icon: unread ? "circle-filled" : "terminal",
  };
}
