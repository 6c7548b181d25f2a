// The test API: what `activate()` returns to the integration tests in test/extension/, so they can observe the
// server, the model, the rendered tree and the terminals without reaching into the extension's internals, and
// answer the modal confirmations they cannot click. It exists only for the test host:
//   - compiled in only when `__SENTINEL_TEST__` is true (`npm run build`); the production build (`npm run package`,
//     `--production`) defines it false and esbuild drops this module: the VSIX has no test hooks at all;
//   - and even then returned only when VS Code runs the extension's tests (ExtensionMode.Test, i.e. an
//     `--extensionTestsPath` run of the extension under development) and the test host set
//     SENTINEL_VSCODE_TEST=1 in the extension host's environment (scripts/vscode-test/run.mjs).
// Otherwise `activate()` returns undefined: another extension gets nothing to call (no API requests with our
// token, no pre-answered confirmations). Obtain it in a test with
//   const api = (await vscode.extensions.getExtension("sentinel.sentinel-vscode")!.activate()) as SentinelTestApi;
// Everything returns plain data (copies).
//
//   state()                     the server's state kind: "stopped" | "starting" | "running" | "connecting" | "failed"
//   serverInfo()                state, url, pid, source ("spawned" | "reused" | "external"), version, data dir,
//                               failure reason, how many servers this window spawned
//   waitForState(kind, ms?)     resolves with serverInfo() once the state is `kind`; rejects after `ms` (10 s)
//   sessionsSnapshot()          sessions with unread counts and, when loaded, windows and panes
//   treeSnapshot()              the Sessions tree as the view renders it (ids, labels, descriptions, context values)
//   refresh()                   a full reload over HTTP; resolves when done
//   events()                    the events socket: state, lastEventId, lastGlobalRev, gaps, deltas, reloads…
//   terminals()                 open Sentinel terminals: session, attach state, attaches so far, recent output
//   contextKeys()               the `setContext` keys as last set
//   metrics()                   activate() time, activation → first tree render, attach → first screen
//   setConfirmAnswer(answer)    true/false answers the next confirmations without a dialog; undefined restores it
//   confirmations()             messages of the confirmations asked so far (answered by the hook or the user)
//   pendingNotifications()      notifications with actions still waiting for a choice ("recording saved" + Play…)
//   chooseNotification(text, action)  clicks `action` on the newest waiting notification whose message has `text`
//   sessionsView()              the Sessions view's message and description (a message hides its welcome content)
//   servers()                   the Servers view's rows (id, name, state, active) as it renders them
//   sessionRowCommand(id)       the command a click on a Sessions row runs, with its arguments (copies)
//   selectSessionRow(id)        reveals, selects and focuses a Sessions row (what a click or the arrow keys do);
//                               resolves with the view's selected row ids
//   recordings(), players(), playerSearch(), eventsView(), notifications(), opsView(), recoveryView()
//   apiRequest(method, path, body?)  an HTTP call to the running server through the extension's client
import type * as vscode from "vscode";
import type { RecordingInfo } from "../protocol/recording.js";
import type { ConnectionState } from "./client/eventsConnection.js";
import type { ReconcilerStats } from "./client/reconciler.js";
import type { SessionSnapshot } from "./client/sessionsModel.js";
import type { PendingNotice } from "./commands/prompts.js";
import type { Container } from "./container.js";
import type { EventEntry } from "./events/eventsLog.js";
import type { EventsViewInfo } from "./events/eventsView.js";
import type { ShownNotification } from "./events/notifier.js";
import { type Metrics, newMetrics } from "./metrics.js";
import type { ProbeState, Row } from "./ops/opsViews.js";
import type { PlayerInfo } from "./recording/castPlayer.js";
import type { CastHit } from "./recording/castText.js";
import type { RecordingRow } from "./recording/recordingsView.js";
import type { ServerSource, ServerStateKind } from "./server/serverManager.js";
import type { TerminalInfo } from "./terminal/terminalManager.js";
import type { RenderedServer } from "./views/serversView.js";
import type { RenderedItem, SessionNode } from "./views/sessionsView.js";

export interface ServerInfo {
  state: ServerStateKind;
  url: string | undefined;
  pid: number | undefined;
  source: ServerSource | undefined;
  version: string | undefined;
  dataDir: string;
  reason: string | undefined;
  spawnCount: number;
}

export interface EventsInfo extends ReconcilerStats {
  state: ConnectionState;
  opens: number;
  refreshes: string[];
}

export interface FeaturesTestApi {
  /** Recordings as the model has them (newest first) and the rows the view shows. */
  recordings(): { loaded: boolean; list: RecordingInfo[]; rows: RecordingRow[] };
  /** Open cast players: ready / loaded as their webviews reported. */
  players(): PlayerInfo[];
  /** Searches an open player's cast as its search box does (the webview then seeks to the first hit). */
  playerSearch(recordingId: string, query: string): CastHit[] | undefined;
  /** The Events view: capacity, size, received, rendered rows, filter, and the rows' titles (newest first). */
  eventsView(): EventsViewInfo & {
    rows: Array<Pick<EventEntry, "title" | "type" | "severity" | "category">>;
  };
  /** Notifications shown so far and the gate's counters. */
  notifications(): { shown: ShownNotification[]; stats: Record<string, number> };
  /** The Ops and Recovery views: probe state and rows. */
  opsView(): { state: ProbeState; error: string | undefined; rows: Row[] };
  recoveryView(): { state: ProbeState; error: string | undefined; rows: Row[] };
  /** An HTTP call to the server through the extension's client (the token stays inside the extension). */
  apiRequest<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface SentinelTestApi extends FeaturesTestApi {
  state(): ServerStateKind;
  serverInfo(): ServerInfo;
  waitForState(kind: ServerStateKind, timeoutMs?: number): Promise<ServerInfo>;
  sessionsSnapshot(): SessionSnapshot[];
  treeSnapshot(): Promise<RenderedItem[]>;
  refresh(): Promise<void>;
  events(): EventsInfo;
  terminals(): TerminalInfo[];
  contextKeys(): Record<string, unknown>;
  metrics(): Metrics;
  setConfirmAnswer(answer: boolean | undefined): void;
  confirmations(): string[];
  pendingNotifications(): PendingNotice[];
  chooseNotification(text: string, action: string): boolean;
  sessionsView(): { message: string | undefined; description: string | undefined };
  servers(): RenderedServer[];
  sessionRowCommand(id: string): Promise<{ command: string; arguments: unknown[] } | undefined>;
  selectSessionRow(id: string): Promise<string[]>;
}

/** The environment variable the test host sets for the extension host (scripts/vscode-test/run.mjs). */
export const TEST_HOST_ENV = "SENTINEL_VSCODE_TEST";

/** Whether this activation is the test host's: VS Code runs the extension's tests and the host set the flag. */
export function isTestHost(
  context: Pick<vscode.ExtensionContext, "extensionMode">,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  // ExtensionMode.Test (3): run from --extensionDevelopmentPath with --extensionTestsPath. A VSIX install is
  // always Production (1), whatever the environment says.
  return context.extensionMode === 3 && env[TEST_HOST_ENV] === "1";
}

export function createTestApi(c: Container): SentinelTestApi {
  const info = (): ServerInfo => {
    const state = c.server.state;
    return {
      state: state.kind,
      url: state.kind === "running" ? state.endpoint.url : undefined,
      pid: state.kind === "running" ? state.pid : undefined,
      source: state.kind === "running" ? state.source : undefined,
      version: state.kind === "running" ? state.version : undefined,
      dataDir: c.settings().dataDir,
      reason: state.kind === "failed" ? state.reason : state.kind === "stopped" ? state.reason : undefined,
      spawnCount: c.server.spawnCount,
    };
  };
  /** The Sessions tree's node with this id, searched as the view expands rows. */
  const findNode = async (id: string, parent?: SessionNode): Promise<SessionNode | undefined> => {
    for (const node of await c.tree.getChildren(parent)) {
      if (node.id === id) return node;
      const found = node.kind === "pane" ? undefined : await findNode(id, node);
      if (found) return found;
    }
    return undefined;
  };
  return {
    recordings: () => ({
      loaded: c.recordings.model.loaded,
      list: c.recordings.model.list(),
      rows: c.recordings.tree.render(),
    }),
    players: () => c.recordings.players.list(),
    playerSearch: (recordingId, query) => c.recordings.players.search(recordingId, query),
    eventsView: () => ({
      ...c.events.view.info(),
      rows: c.events.view
        .rows()
        .map(({ title, type, severity, category }) => ({ title, type, severity, category })),
    }),
    notifications: () => ({ shown: [...c.events.notifier.shown], stats: { ...c.events.notifier.stats } }),
    opsView: () => c.ops.view.snapshot(),
    recoveryView: () => c.recovery.view.snapshot(),
    apiRequest: <T>(method: string, path: string, body?: unknown) => {
      const api = c.refresh.api;
      if (!api) return Promise.reject(new Error("the Sentinel server is not running"));
      return api.request<T>(method, path, body);
    },
    state: () => c.server.state.kind,
    serverInfo: info,
    waitForState: (kind: ServerStateKind, timeoutMs = 10_000) =>
      new Promise<ServerInfo>((resolve, reject) => {
        if (c.server.state.kind === kind) return resolve(info());
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error(`server state is ${c.server.state.kind}, not ${kind}, after ${timeoutMs} ms`));
        }, timeoutMs);
        const sub = c.server.onDidChangeState((state) => {
          if (state.kind !== kind) return;
          clearTimeout(timer);
          sub.dispose();
          resolve(info());
        });
      }),
    sessionsSnapshot: () => c.model.snapshot(),
    treeSnapshot: () => c.tree.render(),
    refresh: () => c.refresh.refresh("test api"),
    events: () => ({
      state: c.refresh.events.state,
      opens: c.refresh.events.opens,
      refreshes: [...c.refresh.history],
      ...c.refresh.reconciler.stats,
    }),
    terminals: () => c.terminals.list(),
    contextKeys: () => c.contextKeys.snapshot(),
    metrics: () => {
      // A test build always has them (the test API exists only there).
      const m = c.metrics ?? newMetrics();
      return { ...m, attachToFirstScreenMs: [...m.attachToFirstScreenMs] };
    },
    setConfirmAnswer: (answer) => c.prompts.setAnswer(answer),
    confirmations: () => [...c.prompts.asked],
    pendingNotifications: () => c.prompts.pendingNotices(),
    chooseNotification: (text, action) => c.prompts.chooseNotice(text, action),
    sessionsView: () => ({ message: c.view.message, description: c.view.description }),
    servers: () => c.serversTree.render(),
    sessionRowCommand: async (id) => {
      const node = await findNode(id);
      const command = node && c.tree.getTreeItem(node).command;
      if (!command) return undefined;
      return {
        command: command.command,
        arguments: (command.arguments ?? []).map((a) => (typeof a === "object" && a ? { ...a } : a)),
      };
    },
    selectSessionRow: async (id) => {
      const node = await findNode(id);
      if (!node) throw new Error(`no Sessions row ${id}`);
      await c.view.reveal(node, { select: true, focus: true });
      return c.view.selection.map((n) => (n as SessionNode).id);
    },
  };
}
