// The Events area: every event of the stream goes to the Events view's log, and the entries worth it to the
// Notifier. Built and disposed by the Container (moved out of features.ts).
import type * as vscode from "vscode";
import type { AreaHost } from "../host.js";
import { EventsView } from "./eventsView.js";
import { Notifier } from "./notifier.js";

export class EventsArea implements vscode.Disposable {
  readonly view: EventsView;
  readonly notifier = new Notifier();
  private readonly subscriptions: { dispose(): void }[];
  /** The server whose events the log holds ("companion", or an external server's URL), once one ran. */
  private server: string | undefined;

  constructor(host: AreaHost) {
    this.view = new EventsView(host.commands, host.contextKeys, host.refresh);
    this.subscriptions = [
      host.refresh.onDidReceiveEvent((event) => {
        const entry = this.view.log.add(event);
        if (entry) this.notifier.offer(entry);
      }),
      // The log is one server's: after a switch to another (ADR 0019), the previous server's entries go, so they
      // never read as the new server's. A restart of the same server keeps them.
      host.server.onDidChangeState((state) => {
        if (state.kind !== "running") return;
        // The companion may come back on another port: it is the same server.
        const server = state.source === "external" ? state.endpoint.url : "companion";
        if (this.server !== undefined && this.server !== server) this.view.log.clear();
        this.server = server;
      }),
    ];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.notifier.dispose();
    this.view.dispose();
  }
}
