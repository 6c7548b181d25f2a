// The Sessions tree (session › window › pane) over the SessionsModel: node objects cached by stable id (VS Code
// matches refreshed elements by identity, and expansion by id), changes queued and fired once per microtask
// (GitLens' triggerNodeChange), a badge with the unread count, and a message for states the welcome content
// cannot name (a failure's reason, a restart in progress).
import * as vscode from "vscode";
import type { RefreshManager } from "../client/refreshManager.js";
import type { ModelChange, SessionsModel } from "../client/sessionsModel.js";
import { type NodeRef, type NodeView, nodeId, paneView, sessionView, windowView } from "./treeNodes.js";

export const SESSIONS_VIEW_ID = "sentinel.sessions";

export interface SessionNode extends NodeRef {
  readonly id: string;
}

export interface RenderedItem {
  id: string;
  label: string;
  description: string;
  contextValue: string;
  children?: RenderedItem[];
}

export class SessionsTreeProvider implements vscode.TreeDataProvider<SessionNode> {
  private readonly changeEmitter = new vscode.EventEmitter<SessionNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly nodes = new Map<string, SessionNode>();
  private readonly queued = new Set<SessionNode>();
  private queuedRoot = false;
  private flushQueued = false;
  private renderedOnce = false;
  /** Called once, when the root is first rendered with sessions in the model. */
  onFirstRender: (() => void) | undefined;
  /** Adds state owned by other features to a row (a recording in progress: src/extension/recording/). */
  decorate: ((view: NodeView) => NodeView) | undefined;

  constructor(
    private readonly model: SessionsModel,
    private readonly refresh: RefreshManager,
  ) {}

  /** Queues a refresh of a node (its subtree) or of everything; fired once per microtask. */
  trigger(node?: SessionNode): void {
    if (!node) this.queuedRoot = true;
    else this.queued.add(node);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.queuedRoot) {
        this.queuedRoot = false;
        this.queued.clear();
        this.changeEmitter.fire(undefined);
        return;
      }
      const nodes = [...this.queued];
      this.queued.clear();
      for (const n of nodes) this.changeEmitter.fire(n);
    });
  }

  onModelChange(change: ModelChange): void {
    if (change.structure) {
      this.trigger();
      return;
    }
    for (const session of change.sessions) {
      const node = this.nodes.get(nodeId({ kind: "session", session }));
      if (node) this.trigger(node);
      else this.trigger();
    }
  }

  node(ref: NodeRef): SessionNode {
    const id = nodeId(ref);
    let node = this.nodes.get(id);
    if (!node) {
      node = { ...ref, id };
      this.nodes.set(id, node);
    }
    return node;
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    const view = this.view(node);
    if (!view) {
      const item = new vscode.TreeItem(node.session);
      item.id = node.id;
      return item;
    }
    const item = new vscode.TreeItem(
      view.label,
      view.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = view.id;
    item.description = view.description;
    const tooltip = new vscode.MarkdownString(view.tooltip);
    tooltip.supportThemeIcons = false;
    item.tooltip = tooltip;
    item.contextValue = view.contextValue;
    // A double-click attaches (registerCommands.ts: RowClicks); Enter does through a keybinding.
    item.command = { command: "sentinel.rowClicked", title: "Attach", arguments: [node] };
    item.iconPath = view.iconColor
      ? new vscode.ThemeIcon(view.icon, new vscode.ThemeColor(view.iconColor))
      : view.unread
        ? new vscode.ThemeIcon(view.icon, new vscode.ThemeColor("notificationsInfoIcon.foreground"))
        : new vscode.ThemeIcon(view.icon);
    item.accessibilityInformation = {
      label: `${view.label}${view.description ? `, ${view.description.replace(/●/g, "unread")}` : ""}`,
    };
    return item;
  }

  async getChildren(node?: SessionNode): Promise<SessionNode[]> {
    if (!node) {
      const sessions = this.model.sessions();
      if (sessions.length && !this.renderedOnce) {
        this.renderedOnce = true;
        this.onFirstRender?.();
      }
      this.prune(new Set(sessions.map((s) => s.name)));
      return sessions.map((s) => this.node({ kind: "session", session: s.name }));
    }
    if (node.kind === "session") {
      await this.refresh.ensureInspector(node.session);
      return this.model
        .windows(node.session)
        .map((w) => this.node({ kind: "window", session: node.session, windowIndex: w.index }));
    }
    if (node.kind === "window") {
      return this.model
        .panes(node.session, node.windowIndex)
        .map((p) => this.node({ kind: "pane", session: node.session, paneId: p.paneId }));
    }
    return [];
  }

  getParent(node: SessionNode): SessionNode | undefined {
    if (node.kind === "session") return undefined;
    if (node.kind === "window") return this.node({ kind: "session", session: node.session });
    const pane = this.model.panes(node.session).find((p) => p.paneId === node.paneId);
    return pane
      ? this.node({ kind: "window", session: node.session, windowIndex: pane.windowIndex })
      : undefined;
  }

  /** The view of a node from the current model, or undefined when its target is gone. */
  view(node: SessionNode): NodeView | undefined {
    const view = this.baseView(node);
    return view && this.decorate ? this.decorate(view) : view;
  }

  private baseView(node: SessionNode): NodeView | undefined {
    const now = Date.now();
    const session = this.model.session(node.session);
    if (!session) return undefined;
    const inspector = this.model.inspector(node.session);
    if (node.kind === "session") return sessionView(session, inspector, now);
    if (node.kind === "window") {
      const window = inspector?.windows.find((w) => w.index === node.windowIndex);
      return window ? windowView(window, inspector, now) : undefined;
    }
    const pane = inspector?.panes.find((p) => p.paneId === node.paneId);
    return pane ? paneView(pane, now) : undefined;
  }

  /** The tree as it renders now (loads inspectors as the view would on expanding). */
  async render(): Promise<RenderedItem[]> {
    const walk = async (node?: SessionNode): Promise<RenderedItem[]> => {
      const children = await this.getChildren(node);
      const out: RenderedItem[] = [];
      for (const child of children) {
        const view = this.view(child);
        if (!view) continue;
        const item: RenderedItem = {
          id: view.id,
          label: view.label,
          description: view.description,
          contextValue: view.contextValue,
        };
        if (view.collapsible) item.children = await walk(child);
        out.push(item);
      }
      return out;
    };
    return walk();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }

  /** Forget cached nodes of sessions that are gone. */
  private prune(live: Set<string>): void {
    for (const [id, node] of this.nodes) if (!live.has(node.session)) this.nodes.delete(id);
  }
}
