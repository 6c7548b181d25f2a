// The Events area: every event of the stream goes to the Events view's log, and the entries worth it to the
// Notifier. Built and disposed by the Container (moved out of features.ts).
import type * as vscode from "vscode";
import type { AreaHost } from "../host.js";
import { EventsView } from "./eventsView.js";
import { Notifier } from "./notifier.js";

export class EventsArea implements vscode.Disposable {
  readonly view: EventsView;
  readonly notifier = new Notifier();
  private readonly subscription: { dispose(): void };

  constructor(host: AreaHost) {
    this.view = new EventsView(host.commands, host.contextKeys, host.refresh);
    this.subscription = host.refresh.onDidReceiveEvent((event) => {
      const entry = this.view.log.add(event);
      if (entry) this.notifier.offer(entry);
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.notifier.dispose();
    this.view.dispose();
  }
}
