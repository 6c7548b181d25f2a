// The Ops and Recovery views. Each probes its server routes (`GET /api/ops/overview`, `GET /api/recovery/overview`)
// whenever the server changes or an ops / recovery event arrives: a 404 means this server does not provide them
// (the view's welcome content says so, from the context key `sentinel.opsState` / `sentinel.recoveryState`:
// unknown | missing | disabled | error | available); a 503 means switched off. Never fake data: rows come only
// from the server's lists (ops: overview, open and acknowledged alerts with Acknowledge, services; recovery:
// sessions by state).
import * as vscode from "vscode";
import { type ApiClient, ApiError } from "../client/apiClient.js";
import type { RefreshManager } from "../client/refreshManager.js";
import { md } from "../views/treeNodes.js";

export type ProbeState = "unknown" | "missing" | "disabled" | "error" | "available";

export interface Row {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon: string;
  iconColor?: string;
  contextValue?: string;
  children?: Row[];
  /** Arguments of the row's commands (an alert id…). */
  data?: unknown;
}

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

function severityIcon(severity: string): [string, string | undefined] {
  const s = severity.toLowerCase();
  if (s === "error" || s === "err") return ["error", "errorForeground"];
  if (s === "warn" || s === "warning") return ["warning", "list.warningForeground"];
  return ["info", undefined];
}

/** Ops rows from the server's answers. */
export async function loadOps(api: ApiClient): Promise<Row[]> {
  const overview = rec((await api.request<{ overview: unknown }>("GET", "/api/ops/overview"))?.overview);
  const rows: Row[] = [];
  const host = rec(overview.host);
  const services = rec(overview.services);
  rows.push({
    id: "ops:overview",
    label: str(host.hostname) || "Host",
    description: [
      [str(host.os), str(host.arch)].filter(Boolean).join("/"),
      services.total !== undefined
        ? `${str(services.active)}/${str(services.total)} services active${Number(services.failed) > 0 ? `, ${str(services.failed)} failed` : ""}`
        : "",
    ]
      .filter(Boolean)
      .join(" · "),
    icon: Number(services.failed) > 0 ? "warning" : "server",
    ...(Number(services.failed) > 0 ? { iconColor: "list.warningForeground" } : {}),
  });
  const [alerts, serviceList] = await Promise.all([
    api
      .request<{ alerts: unknown[] | null }>("GET", "/api/ops/alerts?limit=100")
      .then((d) => (d?.alerts ?? []).map(rec))
      .catch(() => undefined),
    api
      .request<{ services: unknown[] | null }>("GET", "/api/ops/services")
      .then((d) => (d?.services ?? []).map(rec))
      .catch(() => undefined),
  ]);
  if (alerts) {
    const live = alerts.filter((a) => str(a.status) !== "resolved");
    rows.push({
      id: "ops:alerts",
      label: "Alerts",
      description: live.length ? `${live.length}` : "none",
      icon: "bell",
      children: live.map((a) => {
        const [icon, iconColor] = severityIcon(str(a.severity));
        const acked = str(a.status) === "acked";
        return {
          id: `ops:alert:${str(a.id)}`,
          label: str(a.title) || str(a.dedupeKey),
          description: [
            acked ? "acknowledged" : "",
            Number(a.occurrences) > 1 ? `×${str(a.occurrences)}` : "",
          ]
            .filter(Boolean)
            .join(" · "),
          tooltip: `**${md(str(a.title))}**\n\n${md(str(a.message))}\n\n${str(a.severity)} · ${str(a.source)} · last seen ${str(a.lastSeenAt)}`,
          icon: acked ? "bell-slash" : icon,
          ...(iconColor && !acked ? { iconColor } : {}),
          contextValue: `sentinel.alert.${acked ? "acked" : "open"}`,
          data: { alertId: Number(a.id) },
        };
      }),
    });
  }
  if (serviceList) {
    rows.push({
      id: "ops:services",
      label: "Services",
      description: `${serviceList.length}`,
      icon: "server-process",
      children: serviceList.map((s) => {
        const state = str(s.activeState);
        const failed = state === "failed";
        return {
          id: `ops:service:${str(s.name)}`,
          label: str(s.displayName) || str(s.name),
          description: [state, str(s.enabledState), str(s.manager)].filter((x) => x && x !== "-").join(" · "),
          icon: failed ? "error" : state === "active" || state === "running" ? "pass" : "circle-outline",
          ...(failed ? { iconColor: "errorForeground" } : {}),
          contextValue: "sentinel.service",
        };
      }),
    });
  }
  return rows;
}

/** Recovery rows: the sessions the server tracks, grouped by state. */
export async function loadRecovery(api: ApiClient): Promise<Row[]> {
  await api.request("GET", "/api/recovery/overview");
  const sessions = (
    (await api.request<{ sessions: unknown[] | null }>("GET", "/api/recovery/sessions"))?.sessions ?? []
  ).map(rec);
  const groups = new Map<string, Row[]>();
  for (const s of sessions) {
    const state = str(s.state) || "other";
    const list = groups.get(state) ?? [];
    list.push({
      id: `recovery:session:${str(s.name)}`,
      label: str(s.name),
      description: [
        `${str(s.windows)} window${Number(s.windows) === 1 ? "" : "s"}`,
        s.snapshotAt ? `snapshot ${new Date(str(s.snapshotAt)).toLocaleString()}` : "",
        str(s.restoreError),
      ]
        .filter(Boolean)
        .join(" · "),
      icon: state === "killed" ? "debug-disconnect" : state === "restoring" ? "sync" : "history",
      ...(state === "killed" ? { iconColor: "list.warningForeground" } : {}),
      contextValue: `sentinel.recoverySession.${state}`,
      data: { session: str(s.name), snapshotId: s.latestSnapshotId },
    });
    groups.set(state, list);
  }
  const order = ["killed", "restoring", "running", "restored"];
  return [...groups.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([state, children]) => ({
      id: `recovery:state:${state}`,
      label: state[0]!.toUpperCase() + state.slice(1),
      description: `${children.length}`,
      icon: "folder",
      children,
    }));
}

export class ProbedView implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly view: vscode.TreeView<Row>;
  private rows: Row[] = [];
  private probeState: ProbeState = "unknown";
  private error: string | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly viewId: string,
    private readonly contextKey: string,
    private readonly eventPrefix: string,
    private readonly refresh: RefreshManager,
    private readonly load: (api: ApiClient) => Promise<Row[]>,
  ) {
    this.view = vscode.window.createTreeView(viewId, { treeDataProvider: this });
    const eventSub = refresh.onDidReceiveEvent((event) => {
      if (event.type.startsWith(this.eventPrefix)) this.scheduleReload();
    });
    const openSub = refresh.events.onDidOpen(() => this.scheduleReload());
    this.disposables.push(
      { dispose: () => eventSub.dispose() },
      { dispose: () => openSub.dispose() },
      this.view,
      this.changeEmitter,
      this.view.onDidChangeVisibility((e) => {
        if (e.visible) this.scheduleReload();
      }),
    );
    this.setState("unknown");
  }

  get state(): ProbeState {
    return this.probeState;
  }

  snapshot(): { state: ProbeState; error: string | undefined; rows: Row[] } {
    return { state: this.probeState, error: this.error, rows: structuredClone(this.rows) };
  }

  /** Loads now (concurrent calls share one run plus one rerun). */
  reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          await this.runLoad();
        } while (this.again);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** The server went away: back to unknown, no rows. */
  reset(): void {
    this.rows = [];
    this.error = undefined;
    this.setState("unknown");
    this.changeEmitter.fire();
  }

  getChildren(row?: Row): Row[] {
    return row ? (row.children ?? []) : this.rows;
  }

  getTreeItem(row: Row): vscode.TreeItem {
    const item = new vscode.TreeItem(
      row.label,
      row.children
        ? row.children.length
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.None
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = row.id;
    if (row.description) item.description = row.description;
    if (row.tooltip) item.tooltip = new vscode.MarkdownString(row.tooltip);
    item.iconPath = row.iconColor
      ? new vscode.ThemeIcon(row.icon, new vscode.ThemeColor(row.iconColor))
      : new vscode.ThemeIcon(row.icon);
    if (row.contextValue) item.contextValue = row.contextValue;
    return item;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  private scheduleReload(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, 300);
  }

  private async runLoad(): Promise<void> {
    const api = this.refresh.api;
    if (!api) return;
    try {
      const rows = await this.load(api);
      if (api !== this.refresh.api) return;
      this.rows = rows;
      this.error = undefined;
      this.setState("available");
    } catch (error) {
      if (api !== this.refresh.api) return;
      this.rows = [];
      if (error instanceof ApiError && error.status === 404) this.setState("missing");
      else if (error instanceof ApiError && error.status === 503) {
        this.error = error.message;
        this.setState("disabled");
      } else {
        this.error = error instanceof Error ? error.message : String(error);
        this.setState("error");
      }
    }
    this.view.message = this.probeState === "error" ? `Could not load: ${this.error}` : undefined;
    this.changeEmitter.fire();
  }

  private setState(state: ProbeState): void {
    this.probeState = state;
    void vscode.commands.executeCommand("setContext", this.contextKey, state);
  }
}
