// The status bar item: the active server's state (and its name when it is not the companion) and, while it runs,
// the unread count; a click shows the Sessions view.
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

  /** `server`: the active server's name when it is an external one (ADR 0019), else undefined. */
  update(state: ServerState, totals: UnreadTotals, eventsConnected: boolean, server?: string): void {
    const item = this.item;
    item.backgroundColor = undefined;
    const named = server ? ` ${server}` : "";
    const on = server ? ` (${server})` : "";
    switch (state.kind) {
      case "running": {
        const unread = totals.panes;
        item.text = `$(terminal-tmux)${unread > 0 ? ` ${unread}` : ""}${named}`;
        const where =
          state.source === "external" ? state.endpoint.url : `${state.endpoint.url} (${state.source})`;
        item.tooltip = [
          unread > 0
            ? `Sentinel: ${unread} unread pane${unread === 1 ? "" : "s"} in ${totals.sessions} session${totals.sessions === 1 ? "" : "s"}`
            : "Sentinel: no unread output",
          `Server${on} ${where}${eventsConnected ? "" : " — live updates reconnecting"}`,
        ].join("\n");
        item.accessibilityInformation = { label: `Sentinel${on}, ${unread} unread panes` };
        return;
      }
      case "starting":
        item.text = "$(sync~spin) Sentinel";
        item.tooltip = `Sentinel: starting the server (${state.detail})`;
        return;
      case "connecting":
        item.text = `$(sync~spin) Sentinel${named}`;
        item.tooltip = `Sentinel: connecting to ${state.url} (${state.reason})`;
        return;
      case "failed":
        item.text = `$(error) Sentinel${named}`;
        item.tooltip = `Sentinel: the server${on} failed: ${state.reason}`;
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
