// `setContext` keys that drive the manifest's `when` clauses (viewsWelcome, menus); each set only when it changes.
import * as vscode from "vscode";

export const ContextKey = {
  /** stopped | starting | running | connecting | failed */
  ServerState: "sentinel.serverState",
  /**
   * Why the server failed, when it was its token: "missing" (an external server wants one, none is stored for its
   * origin) or "refused"; "" otherwise. The Sessions view's welcome offers Set Server Token for both.
   */
  ServerAuth: "sentinel.serverAuth",
  /** The extension talks to an external server (setting `sentinel.server.url`). */
  External: "sentinel.external",
  /** This window started the server it uses. */
  OwnsServer: "sentinel.ownsServer",
  TmuxMissing: "sentinel.tmuxMissing",
  SessionsLoaded: "sentinel.sessionsLoaded",
  SessionCount: "sentinel.sessionCount",
  EventsConnected: "sentinel.eventsConnected",
} as const;

export class ContextKeys {
  private readonly values = new Map<string, unknown>();

  set(key: (typeof ContextKey)[keyof typeof ContextKey], value: string | number | boolean): void {
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
