// The Events view: the EventsLog (ops, recovery, guardrail and recording events), newest first, with severity
// icons, a filter (text, severity, categories) and a clear action. Redraws are asked of the refresh owner
// (RefreshManager.request, grouped there: at most one per 200 ms), so a burst of thousands of events costs a handful of renders, and the list never exceeds the log's
// capacity (setting `sentinel.events.maxEntries`).
import * as vscode from "vscode";
import type { RefreshManager } from "../client/refreshManager.js";
import { CommandId } from "../commands/commandIds.js";
import type { CommandRegistry } from "../commands/registry.js";
import { ContextKey, type ContextKeys } from "../views/contextKeys.js";
import { md } from "../views/treeNodes.js";
import {
  EVENT_CATEGORIES,
  type EventEntry,
  type EventSeverity,
  type EventsFilter,
  EventsLog,
} from "./eventsLog.js";

export const EVENTS_VIEW_ID = "sentinel.events";
const REDRAW_MS = 200;

const ICONS: Record<EventSeverity, [string, string]> = {
  error: ["error", "errorForeground"],
  warning: ["warning", "list.warningForeground"],
  info: ["info", "descriptionForeground"],
};

export interface EventsViewInfo {
  capacity: number;
  size: number;
  received: number;
  /** Rows the tree returned at its last render. */
  rendered: number;
  renders: number;
  filter: EventsFilter;
}

export class EventsView implements vscode.TreeDataProvider<EventEntry>, vscode.Disposable {
  readonly log: EventsLog;
  readonly view: vscode.TreeView<EventEntry>;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private filter: EventsFilter = {};
  private dirty = false;
  private rendered = 0;
  private renders = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    commands: CommandRegistry,
    private readonly contextKeys: ContextKeys,
    refresh: RefreshManager,
  ) {
    this.log = new EventsLog(this.capacitySetting());
    this.view = vscode.window.createTreeView(EVENTS_VIEW_ID, { treeDataProvider: this });
    // A log, not a list read from the server: nothing to reload after missed events (the reconciler's own
    // notices are entries of it).
    const registration = refresh.register("events", {
      debounceMs: REDRAW_MS,
      reloadOnMissedEvents: false,
      load: () => {
        if (this.dirty) this.fire();
      },
    });
    const logSub = this.log.onDidChange(() => {
      this.dirty = true;
      void refresh.request("events", "event");
    });
    this.disposables.push(
      { dispose: () => registration.dispose() },
      { dispose: () => logSub.dispose() },
      this.view,
      this.changeEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("sentinel.events.maxEntries")) this.log.resize(this.capacitySetting());
      }),
    );
    commands.registerAll({
      [CommandId.FilterEvents]: (filter?: EventsFilter) => this.pickFilter(filter),
      [CommandId.ClearEventsFilter]: () => this.setFilter({}),
      [CommandId.ClearEvents]: () => this.log.clear(),
    });
    this.updateDescription();
  }

  info(): EventsViewInfo {
    return {
      capacity: this.log.capacity,
      size: this.log.size,
      received: this.log.received,
      rendered: this.rendered,
      renders: this.renders,
      filter: { ...this.filter },
    };
  }

  /** The rows as the view shows them now. */
  rows(): EventEntry[] {
    return this.log.list(this.filter);
  }

  getChildren(element?: EventEntry): EventEntry[] {
    if (element) return [];
    const rows = this.rows();
    this.rendered = rows.length;
    this.renders++;
    return rows;
  }

  getTreeItem(e: EventEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(e.title, vscode.TreeItemCollapsibleState.None);
    item.id = `event:${e.seq}`;
    const time = new Date(e.timestamp);
    const when = Number.isNaN(time.getTime()) ? e.timestamp : time.toLocaleTimeString();
    item.description = [when, e.count > 1 ? `×${e.count}` : "", e.detail].filter(Boolean).join(" · ");
    const [icon, color] = ICONS[e.severity];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.tooltip = new vscode.MarkdownString(
      [
        `**${md(e.title)}**`,
        e.detail ? md(e.detail) : "",
        `${e.severity} · ${e.category} · \`${e.type}\` · event ${e.eventId}`,
        Number.isNaN(time.getTime()) ? "" : time.toLocaleString(),
      ]
        .filter(Boolean)
        .join("\n\n"),
    );
    item.contextValue = `sentinel.event.${e.category}${e.session ? ".session" : ""}`;
    item.accessibilityInformation = { label: `${e.severity}: ${e.title}, ${item.description}` };
    return item;
  }

  setFilter(filter: EventsFilter): void {
    this.filter = { ...filter };
    this.contextKeys.set(
      ContextKey.EventsFiltered,
      !!(filter.text || filter.minSeverity || filter.categories?.length),
    );
    this.updateDescription();
    this.fire();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    this.log.dispose();
  }

  private capacitySetting(): number {
    const value = vscode.workspace.getConfiguration("sentinel").get<number>("events.maxEntries", 500);
    return Math.min(10_000, Math.max(50, Math.floor(value || 500)));
  }

  private fire(): void {
    this.dirty = false;
    this.updateDescription();
    this.changeEmitter.fire();
  }

  private updateDescription(): void {
    const f = this.filter;
    const parts = [
      f.text ? `“${f.text}”` : "",
      f.minSeverity && f.minSeverity !== "info" ? `${f.minSeverity}+` : "",
      f.categories?.length ? f.categories.join(", ") : "",
    ].filter(Boolean);
    const description = parts.length ? `filtered: ${parts.join(" · ")}` : undefined;
    if (this.view.description !== description) this.view.description = description;
  }

  private async pickFilter(preset?: EventsFilter): Promise<EventsFilter | undefined> {
    if (preset && typeof preset === "object" && !("seq" in preset)) {
      this.setFilter(preset);
      return this.filter;
    }
    const text = await vscode.window.showInputBox({
      title: "Filter Events (1/3): text",
      prompt: "Show events whose title, detail, type or session contains this text (empty: any)",
      value: this.filter.text ?? "",
    });
    if (text === undefined) return undefined;
    const severity = await vscode.window.showQuickPick(
      [
        { label: "All severities", value: undefined },
        { label: "$(warning) Warnings and errors", value: "warning" as const },
        { label: "$(error) Errors only", value: "error" as const },
      ],
      { title: "Filter Events (2/3): severity" },
    );
    if (!severity) return undefined;
    const categories = await vscode.window.showQuickPick(
      EVENT_CATEGORIES.map((c) => ({
        label: c,
        picked: !this.filter.categories?.length || this.filter.categories.includes(c),
      })),
      { title: "Filter Events (3/3): categories", canPickMany: true },
    );
    if (!categories) return undefined;
    const all = categories.length === EVENT_CATEGORIES.length || categories.length === 0;
    this.setFilter({
      ...(text.trim() ? { text: text.trim() } : {}),
      ...(severity.value ? { minSeverity: severity.value } : {}),
      ...(all ? {} : { categories: categories.map((c) => c.label as EventEntry["category"]) }),
    });
    return this.filter;
  }
}
