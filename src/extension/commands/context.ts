// What the command handlers need from the container, and the helpers they share: resolving a command's argument
// (a tree node, a session name, or nothing from the palette) into a target, and running guarded calls.
import * as vscode from "vscode";
import type { Pane } from "../../protocol/api.js";
import type { ApiAccess } from "../client/apiAccess.js";
import { type ApiClient, ApiError } from "../client/apiClient.js";
import type { RefreshManager } from "../client/refreshManager.js";
import type { SessionsModel } from "../client/sessionsModel.js";
import { noteCommandBlock } from "../events/notifier.js";
import type { ServerManager } from "../server/serverManager.js";
import type { Servers } from "../server/servers.js";
import type { ServerTokens } from "../server/serverTokens.js";
import type { TerminalManager } from "../terminal/terminalManager.js";
import type { SessionsTreeProvider } from "../views/sessionsView.js";
import type { NodeRef } from "../views/treeNodes.js";
import type { Prompts } from "./prompts.js";

export interface CommandContext {
  server: ServerManager;
  /** The one way to the HTTP API. */
  api: ApiAccess;
  refresh: RefreshManager;
  model: SessionsModel;
  terminals: TerminalManager;
  prompts: Prompts;
  tree: SessionsTreeProvider;
  log: vscode.LogOutputChannel;
  /** External servers' tokens, one per origin. */
  tokens: ServerTokens;
  /** The known servers and the active one (the Servers view). */
  servers: Servers;
  /** Reveal the Sessions view. */
  showView(): Thenable<unknown>;
  /** The Sessions view's selected rows. */
  selection(): readonly NodeRef[];
}

/** A command's argument: a tree node, a session name, `{ session, windowIndex?, paneId? }`, or nothing. */
export type TargetArg = Partial<NodeRef> | string | undefined;

export interface Target {
  session: string;
  windowIndex?: number;
  paneId?: string;
  kind: NodeRef["kind"];
}

/** The API client of the running server, starting it if needed. */
export function apiOf(ctx: CommandContext): Promise<ApiClient> {
  return ctx.api.get("command");
}

export async function pickSession(ctx: CommandContext, placeHolder: string): Promise<string | undefined> {
  await ctx.server.start("command");
  if (!ctx.model.loaded) await ctx.refresh.refresh("session picker");
  const sessions = ctx.model.sessions();
  if (!sessions.length) {
    void vscode.window.showInformationMessage("Sentinel: there are no tmux sessions.");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    sessions.map((s) => ({
      label: s.name,
      description: [
        s.unreadPanes > 0 ? `● ${s.unreadPanes} unread` : "",
        `${s.windows} window${s.windows === 1 ? "" : "s"}`,
        s.attached > 0 ? "attached" : "",
      ]
        .filter(Boolean)
        .join(" · "),
      iconPath: new vscode.ThemeIcon("terminal-tmux"),
    })),
    { placeHolder },
  );
  return picked?.label;
}

/** Resolves the argument to a target; from the palette (no argument) it asks for a session. */
export async function resolveTarget(
  ctx: CommandContext,
  arg: TargetArg,
  placeHolder = "tmux session",
): Promise<Target | undefined> {
  if (typeof arg === "string") return { kind: "session", session: arg };
  if (arg && typeof arg.session === "string") {
    const kind = arg.kind ?? (arg.paneId ? "pane" : arg.windowIndex !== undefined ? "window" : "session");
    const target: Target = { kind, session: arg.session };
    if (arg.windowIndex !== undefined) target.windowIndex = arg.windowIndex;
    if (arg.paneId !== undefined) target.paneId = arg.paneId;
    return target;
  }
  const session = await pickSession(ctx, placeHolder);
  return session ? { kind: "session", session } : undefined;
}

/** The window a target means: its own, its pane's, or the session's active window. */
export async function windowOf(ctx: CommandContext, target: Target): Promise<number | undefined> {
  if (target.windowIndex !== undefined) return target.windowIndex;
  await ctx.refresh.ensureInspector(target.session);
  if (target.paneId)
    return ctx.model.panes(target.session).find((p) => p.paneId === target.paneId)?.windowIndex;
  const windows = ctx.model.windows(target.session);
  return (windows.find((w) => w.active) ?? windows[0])?.index;
}

/** The pane a target means: its own, or the active pane of its window (or of the session's active window). */
export async function paneOf(ctx: CommandContext, target: Target): Promise<Pane | undefined> {
  await ctx.refresh.ensureInspector(target.session);
  const panes = ctx.model.panes(target.session);
  if (target.paneId)
    return panes.find((p) => p.paneId === target.paneId) ?? ({ paneId: target.paneId } as Pane);
  const windowIndex = await windowOf(ctx, target);
  const inWindow = panes.filter((p) => p.windowIndex === windowIndex);
  return inWindow.find((p) => p.active) ?? inWindow[0];
}

/**
 * Runs a guarded call (spec §6.4): a 428 becomes a modal confirmation and, when accepted, the same call with
 * the confirmation; a 409 guardrail block shows the rule's message. Returns false when nothing was done.
 * `confirmed`: the user already agreed to this very action (the kill confirmation): a 428 is answered with the
 * confirmation at once instead of asking a second time.
 */
export async function guarded(
  ctx: CommandContext,
  what: { question: string; action: string; confirmed?: boolean },
  call: (confirm: boolean) => Promise<unknown>,
): Promise<boolean> {
  try {
    await call(false);
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const decision = error.decision;
    const rule =
      decision?.matchedRules?.find((r) => r.id === decision.matchedRuleId) ?? decision?.matchedRules?.[0];
    const ruleText = rule ? `Guardrail "${rule.name}": ${decision?.message || rule.message}` : error.message;
    if (error.isConfirmRequired) {
      const ok = what.confirmed || (await ctx.prompts.confirm(what.question, ruleText, what.action));
      if (!ok) return false;
      await call(true);
      return true;
    }
    if (error.isBlocked) {
      noteCommandBlock(decision?.matchedRuleId ?? "");
      void vscode.window.showErrorMessage(`Sentinel: blocked. ${ruleText}`);
      return false;
    }
    throw error;
  }
}
