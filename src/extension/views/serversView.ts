// The Servers view: every known server (the companion, `sentinel.servers`, `sentinel.server.url`) with its health,
// a check mark on the active one, and the action that fixes each state as an inline button (the manifest's
// view/item/context menus, keyed on the row's context value `server.<companion|external>.<health>[.active]`).
// A click on a row that is not active makes it the active server (ADR 0019).
import * as vscode from "vscode";
import { COMPANION_ID } from "../server/serverList.js";
import { describeHealth, type ServerRow, type Servers } from "../server/servers.js";

export const SERVERS_VIEW_ID = "sentinel.servers";

export interface ServerNode {
  readonly id: string;
}

export interface RenderedServer {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  active: boolean;
  health: ServerRow["health"]["kind"];
}

const ICONS: Record<ServerRow["health"]["kind"], [string, string | undefined]> = {
  unknown: ["circle-outline", undefined],
  stopped: ["circle-slash", undefined],
  connecting: ["sync~spin", undefined],
  connected: ["vm-running", "testing.iconPassed"],
  auth: ["key", "list.warningForeground"],
  unreachable: ["debug-disconnect", "list.errorForeground"],
  error: ["error", "list.errorForeground"],
};

/** The row of one server as the view shows it (also for the test API). */
export function renderServer(row: ServerRow): RenderedServer {
  const { entry, health, active } = row;
  const where = entry.url ?? "started by this extension on this host";
  const state = describeHealth(health);
  const kind = entry.id === COMPANION_ID ? "companion" : "external";
  return {
    id: entry.id,
    label: entry.name,
    description: [active ? "active" : "", entry.url ?? "", state].filter(Boolean).join(" · "),
    tooltip: [
      `${entry.name}${active ? " (active: the Sessions, Recordings, Events, Ops and Recovery views show it)" : ""}`,
      where,
      state,
      entry.source === "server.url" ? "From the setting sentinel.server.url." : "",
    ]
      .filter(Boolean)
      .join("\n"),
    contextValue: `server.${kind}.${health.kind}${active ? ".active" : ""}`,
    active,
    health: health.kind,
  };
}

export class ServersTreeProvider implements vscode.TreeDataProvider<ServerNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ServerNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly nodes = new Map<string, ServerNode>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly servers: Servers) {
    this.subscription = servers.onDidChange(() => this.changeEmitter.fire(undefined));
  }

  getChildren(element?: ServerNode): ServerNode[] {
    if (element) return [];
    return this.servers.list().map((row) => this.node(row.entry.id));
  }

  getTreeItem(node: ServerNode): vscode.TreeItem {
    const row = this.servers.list().find((r) => r.entry.id === node.id);
    if (!row) return new vscode.TreeItem(node.id);
    const view = renderServer(row);
    const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.None);
    item.id = `server:${node.id}`;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.contextValue = view.contextValue;
    const [icon, color] = row.active ? ["check", ICONS[view.health][1]] : ICONS[view.health];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.accessibilityInformation = {
      label: `${view.label}, ${row.active ? "active, " : ""}${describeHealth(row.health)}`,
    };
    if (!row.active)
      item.command = { command: "sentinel.useServer", title: "Use This Server", arguments: [node] };
    return item;
  }

  render(): RenderedServer[] {
    return this.servers.list().map(renderServer);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }

  private node(id: string): ServerNode {
    let node = this.nodes.get(id);
    if (!node) {
      node = { id };
      this.nodes.set(id, node);
    }
    return node;
  }
}
