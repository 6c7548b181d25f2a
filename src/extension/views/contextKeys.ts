// `setContext` keys that drive the manifest's `when` clauses (viewsWelcome, menus); each set only when it changes.
// Every key the extension sets is here and set through ContextKeys (one instance, owned by the Container).
import * as vscode from "vscode";

export const ContextKey = {
  /** stopped | starting | running | connecting | failed */
  ServerState: "sentinel.serverState",
  /**
   * Why the server failed, when it was its token: "missing" (an external server wants one, none is stored for its
   * origin) or "refused"; "" otherwise. The Sessions view's welcome offers Set Server Token for both.
   */
  ServerAuth: "sentinel.serverAuth",
  /** The active server is an external one (`sentinel.servers`, `sentinel.server.url`; ADR 0019). */
  External: "sentinel.external",
  /** This window started the server it uses. */
  OwnsServer: "sentinel.ownsServer",
  TmuxMissing: "sentinel.tmuxMissing",
  SessionsLoaded: "sentinel.sessionsLoaded",
  SessionCount: "sentinel.sessionCount",
  EventsConnected: "sentinel.eventsConnected",
  /** A recording is being written (Stop Recording in the title bar). */
  RecordingActive: "sentinel.recordingActive",
  /** The Events view has a filter (Clear Filter in its title bar). */
  EventsFiltered: "sentinel.eventsFiltered",
  /** The Ops and Recovery views' probe: unknown | missing | disabled | error | available. */
  OpsState: "sentinel.opsState",
  RecoveryState: "sentinel.recoveryState",
} as const;
export type ContextKey = (typeof ContextKey)[keyof typeof ContextKey];

export class ContextKeys {
  private readonly values = new Map<string, unknown>();

  set(key: ContextKey, value: string | number | boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand("setContext", key, value);
  }

  get(key: string): unknown {
    return this.values.get(key);
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries(this.values);
  }
}
