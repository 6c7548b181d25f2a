// The status bar item: the server's state and, while it runs, the unread count; a click shows the Sessions view.
import * as vscode from "vscode";
import type { UnreadTotals } from "../client/sessionsModel.js";
import type { ServerState } from "../server/serverManager.js";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem("sentinel.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Sentinel";
    this.item.command = "sentinel.sessions.focus";
    this.item.show();
  }

  update(state: ServerState, totals: UnreadTotals, eventsConnected: boolean): void {
    const item = this.item;
    item.backgroundColor = undefined;
    switch (state.kind) {
      case "running": {
        const unread = totals.panes;
        item.text = unread > 0 ? `$(terminal-tmux) ${unread}` : "$(terminal-tmux)";
        const where =
          state.source === "external" ? state.endpoint.url : `${state.endpoint.url} (${state.source})`;
        item.tooltip = [
          unread > 0
            ? `Sentinel: ${unread} unread pane${unread === 1 ? "" : "s"} in ${totals.sessions} session${totals.sessions === 1 ? "" : "s"}`
            : "Sentinel: no unread output",
          `Server ${where}${eventsConnected ? "" : " — live updates reconnecting"}`,
        ].join("\n");
        item.accessibilityInformation = { label: `Sentinel, ${unread} unread panes` };
        return;
      }
      case "starting":
        item.text = "$(sync~spin) Sentinel";
        item.tooltip = `Sentinel: starting the server (${state.detail})`;
        return;
      case "connecting":
        item.text = "$(sync~spin) Sentinel";
        item.tooltip = `Sentinel: connecting to ${state.url} (${state.reason})`;
        return;
      case "failed":
        item.text = "$(error) Sentinel";
        item.tooltip = `Sentinel: the server failed: ${state.reason}`;
        item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        return;
      case "stopped":
        item.text = "$(circle-slash) Sentinel";
        item.tooltip = "Sentinel: the server is stopped";
        return;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
