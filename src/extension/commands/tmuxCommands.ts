// Commands on sessions, windows and panes: attach, new session (name + folder), rename, kill (guardrail aware),
// new window, split, select, mark seen. Each takes a tree node, a session name or `{session, windowIndex?,
// paneId?}`; from the palette the session-level ones ask for a session.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { isSessionName, isWindowName, Messages } from "../../protocol/validate.js";
import { ApiError } from "../client/apiClient.js";
import {
  apiOf,
  type CommandContext,
  guarded,
  paneOf,
  resolveTarget,
  type Target,
  type TargetArg,
  windowOf,
} from "./context.js";

export interface NewSessionArgs {
  name?: string;
  /** Absolute folder; "" for the server's default ($HOME). */
  cwd?: string;
  /** Open a terminal on it afterwards (default true). */
  attach?: boolean;
}

function sessionNameError(value: string): string | undefined {
  const name = value.trim();
  if (!name) return "Enter a name.";
  if (!isSessionName(name)) return "Letters, digits, '.', '_' and '-' only (1–64), not starting with '-'.";
  return undefined;
}

/**
 * A session row attaches the session; a window or pane row opens that window or pane in a terminal of its own (a
 * view the server groups with the session, ADR 0014), so the session's other clients keep their window.
 */
export async function attach(ctx: CommandContext, arg: TargetArg): Promise<vscode.Terminal | undefined> {
  const target = await resolveTarget(ctx, arg, "tmux session to attach to");
  if (!target) return undefined;
  if (target.kind === "pane" && target.paneId)
    return ctx.terminals.attach(target.session, { view: { pane: target.paneId } });
  if (target.kind !== "session") {
    const window = await windowOf(ctx, target);
    if (window !== undefined) return ctx.terminals.attach(target.session, { view: { window } });
  }
  return ctx.terminals.attach(target.session);
}

/** Enter in the Sessions view: attaches the focused (first selected) row. */
export async function attachSelected(ctx: CommandContext): Promise<vscode.Terminal | undefined> {
  const [node] = ctx.selection();
  return node ? attach(ctx, node) : undefined;
}

async function pickFolder(ctx: CommandContext): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { cwd?: string; browse?: boolean };
  const items: Item[] = (vscode.workspace.workspaceFolders ?? []).map((folder) => ({
    label: folder.name,
    description: folder.uri.fsPath,
    iconPath: new vscode.ThemeIcon("root-folder"),
    cwd: folder.uri.fsPath,
  }));
  let home = "";
  try {
    home = (await (await apiOf(ctx)).meta()).defaultCwd;
  } catch {
    // the server decides
  }
  items.push({ label: "Home folder", description: home, iconPath: new vscode.ThemeIcon("home"), cwd: "" });
  items.push({ label: "Browse…", iconPath: new vscode.ThemeIcon("folder-opened"), browse: true });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: "Folder to start the session in" });
  if (!picked) return undefined;
  if (!picked.browse) return picked.cwd ?? "";
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: "Start Session Here",
    ...(vscode.workspace.workspaceFolders?.[0]
      ? { defaultUri: vscode.workspace.workspaceFolders[0].uri }
      : {}),
  });
  return uris?.[0]?.fsPath;
}

export async function newSession(
  ctx: CommandContext,
  args: NewSessionArgs = {},
): Promise<string | undefined> {
  const api = await apiOf(ctx);
  let name = args.name?.trim();
  if (name === undefined || name === "") {
    const existing = new Set(ctx.model.sessions().map((s) => s.name));
    let suggestion = vscode.workspace.workspaceFolders?.[0]?.name.replace(/[^A-Za-z0-9._-]/g, "-") ?? "main";
    if (!isSessionName(suggestion)) suggestion = "main";
    for (let i = 2; existing.has(suggestion); i++) suggestion = `${suggestion.replace(/-\d+$/, "")}-${i}`;
    name = await vscode.window.showInputBox({
      title: "New tmux Session",
      prompt: "Session name",
      value: suggestion,
      validateInput: (value) =>
        sessionNameError(value) ??
        (existing.has(value.trim()) ? `"${value.trim()}" already exists.` : undefined),
    });
    if (name === undefined) return undefined;
    name = name.trim();
  } else if (sessionNameError(name)) {
    throw new Error(`${Messages.sessionName}: "${name}"`);
  }
  let cwd = args.cwd;
  if (cwd === undefined) {
    cwd = await pickFolder(ctx);
    if (cwd === undefined) return undefined;
  }
  let created = name;
  const done = await guarded(
    ctx,
    { question: `Create the tmux session "${name}"?`, action: "Create Session" },
    async () => {
      // tmux turns "." and ":" into "_": the server answers with the name tmux used.
      created = (await api.createSession(name!, cwd || undefined))?.name || name!;
    },
  );
  if (!done) return undefined;
  ctx.refresh.scheduleSessionsReload();
  if (args.attach !== false) ctx.terminals.attach(created);
  return created;
}

export async function renameSession(ctx: CommandContext, arg: TargetArg, newName?: string): Promise<void> {
  const target = await resolveTarget(ctx, arg, "tmux session to rename");
  if (!target) return;
  let name = newName;
  if (name === undefined) {
    name = await vscode.window.showInputBox({
      title: `Rename tmux Session "${target.session}"`,
      value: target.session,
      validateInput: sessionNameError,
    });
    if (name === undefined || name.trim() === target.session) return;
  }
  name = name.trim();
  const error = sessionNameError(name);
  if (error) throw new Error(error);
  await (await apiOf(ctx)).renameSession(target.session, name);
  ctx.refresh.scheduleSessionsReload();
}

/** The setting that turns the kill confirmations off. */
export const CONFIRM_KILL_SETTING = "confirmKill";

/**
 * The modal question before a kill (vscode-docker's removes ask the same way), unless `sentinel.confirmKill` is
 * off. "asked": the user agreed, so a guardrail's 428 for the same kill is answered without a second question;
 * "skipped": the setting is off, a guardrail still asks; "declined": nothing is done.
 */
async function confirmKill(
  ctx: CommandContext,
  question: string,
  detail: string,
  action: string,
): Promise<"asked" | "skipped" | "declined"> {
  if (!vscode.workspace.getConfiguration("sentinel").get<boolean>(CONFIRM_KILL_SETTING, true))
    return "skipped";
  return (await ctx.prompts.confirm(question, detail, action)) ? "asked" : "declined";
}

export async function killSession(ctx: CommandContext, arg: TargetArg): Promise<boolean> {
  const target = await resolveTarget(ctx, arg, "tmux session to kill");
  if (!target) return false;
  const question = `Kill the tmux session "${target.session}" and every program running in it?`;
  const answer = await confirmKill(ctx, question, "All its windows and panes close.", "Kill Session");
  if (answer === "declined") return false;
  const api = await apiOf(ctx);
  const done = await guarded(
    ctx,
    { question, action: "Kill Session", confirmed: answer === "asked" },
    (confirm) => api.killSession(target.session, { confirm }),
  );
  if (done) ctx.model.removeSession(target.session);
  ctx.refresh.scheduleSessionsReload();
  return done;
}

export async function newWindow(ctx: CommandContext, arg: TargetArg): Promise<void> {
  const target = await resolveTarget(ctx, arg, "tmux session to add a window to");
  if (!target) return;
  const api = await apiOf(ctx);
  await guarded(
    ctx,
    { question: `Open a new window in "${target.session}"?`, action: "New Window" },
    (confirm) => api.newWindow(target.session, { confirm }),
  );
  ctx.refresh.scheduleInspectorReload(target.session);
}

export async function selectWindow(ctx: CommandContext, arg: TargetArg): Promise<void> {
  const target = await resolveTarget(ctx, arg);
  if (!target) return;
  const windowIndex = await windowOf(ctx, target);
  if (windowIndex === undefined) return;
  await (await apiOf(ctx)).selectWindow(target.session, windowIndex);
  ctx.refresh.scheduleInspectorReload(target.session);
  ctx.terminals.terminalFor(target.session)?.show(true);
}

export async function selectPane(ctx: CommandContext, arg: TargetArg): Promise<void> {
  const target = await resolveTarget(ctx, arg);
  if (!target) return;
  const pane = await paneOf(ctx, target);
  if (!pane) return;
  const api = await apiOf(ctx);
  const windowIndex = pane.windowIndex ?? (await windowOf(ctx, target));
  if (windowIndex !== undefined) await api.selectWindow(target.session, windowIndex);
  await api.selectPane(target.session, pane.paneId);
  ctx.refresh.scheduleInspectorReload(target.session);
  ctx.terminals.terminalFor(target.session)?.show(true);
}

export async function renameWindow(ctx: CommandContext, arg: TargetArg, newName?: string): Promise<void> {
  const target = await resolveTarget(ctx, arg);
  if (!target) return;
  const windowIndex = await windowOf(ctx, target);
  if (windowIndex === undefined) return;
  const current = ctx.model.windows(target.session).find((w) => w.index === windowIndex)?.name ?? "";
  let name = newName;
  if (name === undefined) {
    name = await vscode.window.showInputBox({
      title: `Rename Window ${windowIndex} of "${target.session}"`,
      value: current,
      validateInput: (v) => (isWindowName(v.trim()) ? undefined : Messages.windowName),
    });
    if (name === undefined || name.trim() === current) return;
  }
  await (await apiOf(ctx)).renameWindow(target.session, windowIndex, name.trim());
  ctx.refresh.scheduleInspectorReload(target.session);
}

export async function killWindow(ctx: CommandContext, arg: TargetArg): Promise<boolean> {
  const target = await resolveTarget(ctx, arg);
  if (!target) return false;
  const windowIndex = await windowOf(ctx, target);
  if (windowIndex === undefined) return false;
  const question = `Kill window ${windowIndex} of "${target.session}"?`;
  const answer = await confirmKill(
    ctx,
    question,
    "Its panes close and the programs running in them end.",
    "Kill Window",
  );
  if (answer === "declined") return false;
  const api = await apiOf(ctx);
  const done = await guarded(
    ctx,
    { question, action: "Kill Window", confirmed: answer === "asked" },
    (confirm) => api.killWindow(target.session, windowIndex, { confirm }),
  );
  ctx.refresh.scheduleInspectorReload(target.session);
  ctx.refresh.scheduleSessionsReload();
  return done;
}

export async function killPane(ctx: CommandContext, arg: TargetArg): Promise<boolean> {
  const target = await resolveTarget(ctx, arg);
  if (!target) return false;
  const pane = await paneOf(ctx, target);
  if (!pane) return false;
  const question = `Kill pane ${pane.paneId} of "${target.session}"?`;
  const running = pane.currentCommand ? `"${pane.currentCommand}" and anything` : "Anything";
  const answer = await confirmKill(ctx, question, `${running} running in it ends.`, "Kill Pane");
  if (answer === "declined") return false;
  const api = await apiOf(ctx);
  const done = await guarded(
    ctx,
    { question, action: "Kill Pane", confirmed: answer === "asked" },
    (confirm) => api.killPane(target.session, pane.paneId, { confirm }),
  );
  ctx.refresh.scheduleInspectorReload(target.session);
  ctx.refresh.scheduleSessionsReload();
  return done;
}

/** A row's own words for the multi-select question. */
function describe(ref: Target): string {
  if (ref.kind === "session") return `session "${ref.session}"`;
  if (ref.kind === "window") return `window ${ref.windowIndex} of "${ref.session}"`;
  return `pane ${ref.paneId} of "${ref.session}"`;
}

/**
 * Kills every selected row (sessions, windows and panes, mixed) after one question. A row inside another selected
 * row is left to it; windows go from the highest index down so tmux renumbering cannot shift the next one.
 * Returns how many kills were done.
 */
export async function killSelected(ctx: CommandContext, selected: readonly TargetArg[]): Promise<number> {
  const targets: Target[] = [];
  for (const arg of selected) {
    if (!arg || typeof arg === "string" || typeof arg.session !== "string") continue;
    const target = await resolveTarget(ctx, arg);
    if (target) targets.push(target);
  }
  const sessions = new Set(targets.filter((t) => t.kind === "session").map((t) => t.session));
  const windows = targets.filter((t) => t.kind === "window" && !sessions.has(t.session));
  const windowKeys = new Set(windows.map((w) => `${w.session}:${w.windowIndex}`));
  const panes = targets.filter((t) => {
    if (t.kind !== "pane" || sessions.has(t.session)) return false;
    const windowIndex =
      t.windowIndex ?? ctx.model.panes(t.session).find((p) => p.paneId === t.paneId)?.windowIndex;
    return !windowKeys.has(`${t.session}:${windowIndex}`);
  });
  const work = [
    ...[...sessions].map((session): Target => ({ kind: "session", session })),
    ...windows.sort((a, b) => (b.windowIndex ?? 0) - (a.windowIndex ?? 0)),
    ...panes,
  ].filter((t, i, all) => all.findIndex((o) => describe(o) === describe(t)) === i);
  if (!work.length) return 0;
  const question =
    work.length === 1 ? `Kill ${describe(work[0]!)}?` : `Kill these ${work.length} tmux items?`;
  const answer = await confirmKill(
    ctx,
    question,
    `${work.map(describe).join("\n")}\n\nThe programs running in them end.`,
    "Kill",
  );
  if (answer === "declined") return 0;
  const api = await apiOf(ctx);
  let killed = 0;
  for (const t of work) {
    const what = { question: `Kill ${describe(t)}?`, action: "Kill", confirmed: answer === "asked" };
    const done = await guarded(ctx, what, (confirm) =>
      t.kind === "session"
        ? api.killSession(t.session, { confirm })
        : t.kind === "window"
          ? api.killWindow(t.session, t.windowIndex!, { confirm })
          : api.killPane(t.session, t.paneId!, { confirm }),
    );
    if (!done) continue;
    killed++;
    if (t.kind === "session") ctx.model.removeSession(t.session);
    else ctx.refresh.scheduleInspectorReload(t.session);
  }
  ctx.refresh.scheduleSessionsReload();
  return killed;
}

/** `vertical` = side by side (tmux `split-window -h`), `horizontal` = one above the other (spec §1.3). */
export async function splitPane(
  ctx: CommandContext,
  arg: TargetArg,
  direction: "vertical" | "horizontal",
): Promise<void> {
  const target = await resolveTarget(ctx, arg, "tmux session whose active pane to split");
  if (!target) return;
  const pane = await paneOf(ctx, target);
  if (!pane) return;
  const api = await apiOf(ctx);
  await guarded(ctx, { question: `Split pane ${pane.paneId}?`, action: "Split" }, (confirm) =>
    api.splitPane(target.session, pane.paneId, direction, { confirm }),
  );
  ctx.refresh.scheduleInspectorReload(target.session);
}

export async function markSeen(ctx: CommandContext, arg: TargetArg): Promise<void> {
  const target = await resolveTarget(ctx, arg, "tmux session to mark as seen");
  if (!target) return;
  const api = await apiOf(ctx);
  const body =
    target.kind === "pane"
      ? {
          scope: "pane" as const,
          paneId: target.paneId!,
          ...(target.windowIndex !== undefined ? { windowIndex: target.windowIndex } : {}),
        }
      : target.kind === "window"
        ? { scope: "window" as const, windowIndex: (await windowOf(ctx, target)) ?? 0 }
        : { scope: "session" as const };
  try {
    ctx.refresh.applySeenResult(await api.seen(target.session, body));
  } catch (error) {
    // A server without the HTTP route (or before the watchtower is wired) still takes it on the socket.
    if (!(error instanceof ApiError && (error.status === 404 || error.status === 405))) throw error;
    const sent = ctx.refresh.events.send({
      type: "seen",
      requestId: `vscode-${randomUUID()}`,
      session: target.session,
      ...body,
    });
    if (!sent) throw error;
  }
}
