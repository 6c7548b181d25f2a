// What `activate()` returns: a small, stable API for the integration tests in test/extension/ (and for
// diagnostics), so they can observe the server, the model, the rendered tree and the terminals without reaching
// into the extension's internals. Obtain it with
//   const api = (await vscode.extensions.getExtension("sentinel.sentinel-vscode")!.activate()) as SentinelTestApi;
// Everything returns plain data (copies). The two `set…` hooks replace the modal dialogs for a test run.
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
import type { ConnectionState } from "./client/eventsConnection.js";
import type { ReconcilerStats } from "./client/reconciler.js";
import type { SessionSnapshot } from "./client/sessionsModel.js";
import type { FeaturesTestApi } from "./features.js";
import type { ServerSource, ServerStateKind } from "./server/serverManager.js";
import type { TerminalInfo } from "./terminal/terminalManager.js";
import type { RenderedItem } from "./views/sessionsView.js";

export interface Metrics {
  /** Wall time of activate() itself. */
  activateMs: number;
  /** CPU time of the extension host process during activate() (unlike wall time, not stretched by a busy machine). */
  activateCpuMs: number;
  /** From the start of activate() to the first render of the Sessions tree with sessions in it. */
  firstTreeRenderMs: number | undefined;
  /** From activate() to the server being usable (spawned, reused or connected). */
  serverReadyMs: number | undefined;
  /** Per attach: from the request to the first bytes of the screen. */
  attachToFirstScreenMs: number[];
}

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

/** Also: recordings(), players(), eventsView(), notifications(), opsView(), recoveryView() (src/extension/features.ts). */
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
}
