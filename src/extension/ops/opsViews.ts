// The Ops and Recovery views. Each probes its server routes (`GET /api/ops/overview`,
// `GET /api/recovery/overview`) whenever the server changes, an event that changes its lists arrives, or events
// were missed (a gap in ids, a reconnect): loads asked of the refresh owner (RefreshManager.request, debounced
// 300 ms there), which also reloads the view after missed events. A 404 means this server does not provide them (the view's welcome
// content says so, from the context key `sentinel.opsState` / `sentinel.recoveryState`: unknown | missing |
// disabled | error | available); a 503 means switched off. Never fake data: rows come only from the server's
// lists (ops: overview, open alerts with Acknowledge, services, runbooks; recovery: sessions by state and
// restore jobs), and a list the server refuses is a row that says why.
import * as vscode from "vscode";
import { type EventEnvelope, EventType, type PayloadOf } from "../../protocol/events.js";
import type { Job } from "../../protocol/opsRunbooks.js";
import { Routes } from "../../protocol/routes.js";
import { type ApiClient, ApiError } from "../client/apiClient.js";
import type { AreaRefreshReason, RefreshManager } from "../client/refreshManager.js";
import type { ContextKey, ContextKeys } from "../views/contextKeys.js";
import { md } from "../views/treeNodes.js";
import { formatDuration } from "./jobOutput.js";

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
  /** Rows with children start expanded unless this is set. */
  collapsed?: boolean;
  /** Arguments of the row's commands (an alert id…). */
  data?: unknown;
}

function severityIcon(severity: string): [string, string | undefined] {
  const s = severity.toLowerCase();
  if (s === "error" || s === "err") return ["error", "errorForeground"];
  if (s === "warn" || s === "warning") return ["warning", "list.warningForeground"];
  return ["info", undefined];
}

/** A list the server refuses (503 where systemd does not run, or a route it lacks: undefined) as the reason. */
function refusal(error: unknown): string | undefined {
  if (error instanceof ApiError && error.status === 404) return undefined;
  return error instanceof Error ? error.message : String(error);
}

/** Ops rows from the server's answers. */
export async function loadOps(api: ApiClient): Promise<Row[]> {
  const { host, services } = (await api.call(Routes.opsOverview, {}, undefined)).overview;
  const rows: Row[] = [];
  const failed = services.failed > 0;
  rows.push({
    id: "ops:overview",
    label: host.hostname || "Host",
    description: [
      [host.os, host.arch].filter(Boolean).join("/"),
      `${services.active}/${services.total} services active${failed ? `, ${services.failed} failed` : ""}`,
    ]
      .filter(Boolean)
      .join(" · "),
    icon: failed ? "warning" : "server",
    ...(failed ? { iconColor: "list.warningForeground" } : {}),
  });
  // A list the server refuses becomes a row that says so; one it lacks (404) is left out.
  const [alerts, serviceList, runbooks] = await Promise.all([
    api
      .call(Routes.opsAlerts, {}, undefined, { query: { limit: 100 } })
      .then((d) => d?.alerts ?? [])
      .catch(refusal),
    api
      .call(Routes.opsServices, {}, undefined)
      .then((d) => d?.services ?? [])
      .catch(refusal),
    api
      .call(Routes.runbooks, {}, undefined)
      .then((d) => d?.runbooks ?? [])
      .catch(refusal),
  ]);
  const unavailable = (id: string, label: string, reason: string): Row => ({
    id,
    label,
    description: `unavailable: ${reason}`,
    icon: "circle-slash",
    children: [],
  });
  if (typeof alerts === "string") rows.push(unavailable("ops:alerts", "Alerts", alerts));
  else if (alerts) {
    // Open alerts are the list; acknowledged ones leave it (counted in the description), resolved ones too.
    const open = alerts.filter((a) => a.status === "open");
    const acked = alerts.filter((a) => a.status === "acked").length;
    rows.push({
      id: "ops:alerts",
      label: "Alerts",
      description: [open.length ? `${open.length} open` : "none open", acked ? `${acked} acknowledged` : ""]
        .filter(Boolean)
        .join(" · "),
      icon: "bell",
      children: open.map((a) => {
        const [icon, iconColor] = severityIcon(a.severity);
        return {
          id: `ops:alert:${a.id}`,
          label: a.title || a.dedupeKey,
          description: a.occurrences > 1 ? `×${a.occurrences}` : "",
          tooltip: `**${md(a.title)}**\n\n${md(a.message)}\n\n${a.severity} · ${a.source} · last seen ${a.lastSeenAt}`,
          icon,
          ...(iconColor ? { iconColor } : {}),
          contextValue: "sentinel.alert.open",
          data: { alertId: a.id },
        };
      }),
    });
  }
  if (typeof serviceList === "string") rows.push(unavailable("ops:services", "Services", serviceList));
  else if (serviceList) {
    rows.push({
      id: "ops:services",
      label: "Services",
      description: `${serviceList.length}`,
      icon: "server-process",
      children: serviceList.map((s) => {
        const state = s.activeState;
        const failed = state === "failed";
        return {
          id: `ops:service:${s.name}`,
          label: s.displayName || s.name,
          description: [state, s.enabledState, s.manager].filter((x) => x && x !== "-").join(" · "),
          icon: failed ? "error" : state === "active" || state === "running" ? "pass" : "circle-outline",
          ...(failed ? { iconColor: "errorForeground" } : {}),
          contextValue: "sentinel.service",
        };
      }),
    });
  }
  if (typeof runbooks === "string") rows.push(unavailable("ops:runbooks", "Runbooks", runbooks));
  else if (runbooks) {
    rows.push({
      id: "ops:runbooks",
      label: "Runbooks",
      description: `${runbooks.length}`,
      icon: "checklist",
      children: runbooks.map((r) => {
        const steps = r.steps.length;
        return {
          id: `ops:runbook:${r.id}`,
          label: r.name || r.id,
          description: [`${steps} step${steps === 1 ? "" : "s"}`, r.enabled ? "" : "disabled"]
            .filter(Boolean)
            .join(" · "),
          tooltip: `**${md(r.name)}**\n\n${md(r.description)}`,
          icon: "checklist",
          contextValue: `sentinel.runbook${r.enabled ? "" : ".disabled"}`,
          data: { runbookId: r.id },
        };
      }),
    });
  }
  return rows;
}

/** A step of a job: finished (its result and duration) or running (for how long so far). */
function stepRow(
  jobId: string,
  step: { stepIndex: number; title: string; error?: string },
  ms: number,
  running: boolean,
): Row {
  const error = running ? "" : (step.error ?? "");
  const [icon, iconColor] = running
    ? ["sync~spin", undefined]
    : error
      ? ["error", "errorForeground"]
      : ["pass", "testing.iconPassed"];
  return {
    id: `ops:job:${jobId}:step:${step.stepIndex}`,
    label: `${step.stepIndex + 1}. ${step.title}`,
    description: [running ? "running" : error || "ok", formatDuration(ms)].join(" · "),
    ...(error ? { tooltip: md(error) } : {}),
    icon,
    ...(iconColor ? { iconColor } : {}),
    contextValue: "sentinel.jobStep",
    data: { jobId, stepIndex: step.stepIndex },
  };
}

/** A runbook job as `ops.job.updated` carries it: a row with its per-step progress, its steps as children. */
export function jobRow(job: Job): Row {
  const results = job.stepResults ?? [];
  const running = job.status === "running" ? job.runningStep : undefined;
  const steps = [
    ...results.map((r) => stepRow(job.id, r, r.durationMs, false)),
    ...(running && !results.some((r) => r.stepIndex === running.stepIndex)
      ? [stepRow(job.id, running, running.elapsedMs, true)]
      : []),
  ];
  const status = job.status;
  const total = job.totalSteps || 0;
  const done = job.completedSteps || 0;
  const [icon, iconColor] =
    status === "failed"
      ? ["error", "errorForeground"]
      : status === "succeeded"
        ? ["pass", "testing.iconPassed"]
        : status === "running"
          ? ["sync~spin", undefined]
          : ["clock", undefined];
  return {
    id: `ops:job:${job.id}`,
    label: job.runbookName || job.runbookId || job.id,
    description: [
      status,
      total ? `${done}/${total}` : "",
      status === "running" ? job.currentStep : "",
      job.error,
    ]
      .filter(Boolean)
      .join(" · "),
    icon,
    ...(iconColor ? { iconColor } : {}),
    contextValue: `sentinel.job.${status}`,
    data: { jobId: job.id },
    children: steps,
    collapsed: true,
  };
}

/**
 * Ops events that change what the Ops view lists; not the 2 s metrics, nor the 5 s alert and timeline snapshots
 * (they carry no `globalRev`), which would re-read every list every few seconds.
 */
export function opsReloadEvent(event: EventEnvelope): boolean {
  if (!event.type.startsWith("ops.") || event.type === EventType.OpsMetricsUpdated) return false;
  if (event.type === EventType.OpsTimelineUpdated) return false;
  if (event.type === EventType.OpsAlertsUpdated)
    return "globalRev" in ((event.payload ?? {}) as PayloadOf<typeof EventType.OpsAlertsUpdated>);
  return true;
}

/** Recovery rows: the sessions the server tracks, grouped by state. */
export async function loadRecovery(api: ApiClient): Promise<Row[]> {
  const { overview } = await api.call(Routes.recoveryOverview, {}, undefined);
  const sessions = (await api.call(Routes.recoverySessions, {}, undefined))?.sessions ?? [];
  const groups = new Map<string, Row[]>();
  for (const s of sessions) {
    const state: string = s.state || "other";
    const list = groups.get(state) ?? [];
    list.push({
      id: `recovery:session:${s.name}`,
      label: s.name,
      description: [
        `${s.windows} window${s.windows === 1 ? "" : "s"}`,
        s.snapshotAt ? `snapshot ${new Date(s.snapshotAt).toLocaleString()}` : "",
        s.restoreError,
      ]
        .filter(Boolean)
        .join(" · "),
      icon: state === "killed" ? "debug-disconnect" : state === "restoring" ? "sync" : "history",
      ...(state === "killed" ? { iconColor: "list.warningForeground" } : {}),
      contextValue: `sentinel.recoverySession.${state}`,
      data: { session: s.name, snapshotId: s.latestSnapshotId },
    });
    groups.set(state, list);
  }
  const order = ["killed", "restoring", "running", "restored"];
  const jobs = overview.runningJobs ?? [];
  const jobRows: Row[] = jobs.length
    ? [
        {
          id: "recovery:jobs",
          label: "Restore jobs",
          description: `${jobs.length}`,
          icon: "history",
          children: jobs.map((j) => {
            const status = j.status;
            return {
              id: `recovery:job:${j.id}`,
              label: `${j.sessionName}${j.targetSession && j.targetSession !== j.sessionName ? ` → ${j.targetSession}` : ""}`,
              description: [
                status,
                j.totalSteps ? `${j.completedSteps}/${j.totalSteps}` : "",
                j.currentStep,
                j.error,
              ]
                .filter(Boolean)
                .join(" · "),
              icon: status === "failed" ? "error" : status === "running" ? "sync~spin" : "clock",
              ...(status === "failed" ? { iconColor: "errorForeground" } : {}),
            };
          }),
        },
      ]
    : [];
  const stateRows = [...groups.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([state, children]) => ({
      id: `recovery:state:${state}`,
      label: state[0]!.toUpperCase() + state.slice(1),
      description: `${children.length}`,
      icon: "folder",
      children,
    }));
  return [...stateRows, ...jobRows];
}

export class ProbedView implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly view: vscode.TreeView<Row>;
  private rows: Row[] = [];
  private probeState: ProbeState = "unknown";
  private error: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly viewId: string,
    private readonly area: "ops" | "recovery",
    private readonly contextKeys: ContextKeys,
    private readonly contextKey: ContextKey,
    /** Events after which the lists are re-read (grouped by the refresh owner: one reload per 300 ms). */
    reloadOn: (event: EventEnvelope) => boolean,
    private readonly refresh: RefreshManager,
    private readonly load: (api: ApiClient) => Promise<Row[]>,
  ) {
    this.view = vscode.window.createTreeView(viewId, { treeDataProvider: this });
    // The owner reloads the lists after missed events too (a gap in ids, a reconnect, a reconcile notice).
    const registration = refresh.register(area, { debounceMs: 300, load: () => this.runLoad() });
    const eventSub = refresh.onDidReceiveEvent((event) => {
      if (reloadOn(event)) this.scheduleReload("event");
    });
    this.disposables.push(
      { dispose: () => registration.dispose() },
      { dispose: () => eventSub.dispose() },
      this.view,
      this.changeEmitter,
      this.view.onDidChangeVisibility((e) => {
        if (e.visible) this.scheduleReload("view shown");
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

  /** Loads now (concurrent calls share one run plus one rerun: the refresh owner's per-area SingleFlight). */
  reload(reason: AreaRefreshReason = "manual"): Promise<void> {
    return this.refresh.now(this.area, reason);
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
          ? row.collapsed
            ? vscode.TreeItemCollapsibleState.Collapsed
            : vscode.TreeItemCollapsibleState.Expanded
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
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  /** Re-reads the lists soon (the refresh owner groups bursts). */
  scheduleReload(reason: AreaRefreshReason): void {
    void this.refresh.request(this.area, reason);
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
    this.contextKeys.set(this.contextKey, state);
  }
}
