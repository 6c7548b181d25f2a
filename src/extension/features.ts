// The issue-8 features beside the Sessions core: Recordings (view, commands, player, recording state on Sessions
// rows and in the status bar), the Events view, notifications, and the Ops and Recovery views. Built by the
// Container after the Sessions tree, disposed before it; the test API (src/extension/testApi.ts) reads them out.
import * as vscode from "vscode";
import { EventType } from "../protocol/events.js";
import { EventsView } from "./events/eventsView.js";
import { Notifier } from "./events/notifier.js";
import { jobRow, loadOps, loadRecovery, opsReloadEvent, ProbedView, type Row } from "./ops/opsViews.js";
import { type RestoreOptions, restoreSession } from "./ops/restore.js";
import { runRunbook } from "./ops/runbook.js";
import { type FeatureHost, Recordings } from "./recording/recordings.js";

export class Features implements vscode.Disposable {
  readonly recordings: Recordings;
  readonly events: EventsView;
  readonly notifier: Notifier;
  readonly ops: ProbedView;
  readonly recovery: ProbedView;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly jobs = new Map<string, Record<string, unknown>>();

  constructor(private readonly host: FeatureHost) {
    this.recordings = new Recordings(host);
    this.events = new EventsView();
    this.ops = new ProbedView(
      "sentinel.ops",
      "sentinel.opsState",
      opsReloadEvent,
      host.refresh,
      async (api) => {
        const [rows, history] = await Promise.all([
          loadOps(api),
          // The run history, where the server has it; jobs seen in events since are newer and win.
          api
            .request<{ jobs: Array<Record<string, unknown>> | null }>("GET", "/api/ops/jobs?limit=20")
            .then((d) => d?.jobs ?? [])
            .catch(() => []),
        ]);
        const byId = new Map<string, Record<string, unknown>>();
        for (const job of [...history].reverse()) byId.set(String(job.id), job);
        for (const job of this.jobs.values()) {
          byId.delete(String(job.id));
          byId.set(String(job.id), job);
        }
        if (!byId.size) return rows;
        const jobs: Row[] = [...byId.values()].reverse().slice(0, 20).map(jobRow);
        return [
          ...rows,
          { id: "ops:jobs", label: "Jobs", description: `${jobs.length}`, icon: "run-all", children: jobs },
        ];
      },
    );
    this.recovery = new ProbedView(
      "sentinel.recovery",
      "sentinel.recoveryState",
      (event) =>
        event.type.startsWith("recovery.") ||
        (event.type === EventType.SessionsUpdated &&
          (event.payload as { action?: string } | undefined)?.action === "live-set"),
      host.refresh,
      loadRecovery,
    );
    this.notifier = new Notifier({ ackAlert: (id) => this.ackAlert(id) });
    const stateSub = host.server.onDidChangeState((state) => {
      if (state.kind === "stopped" || state.kind === "failed") {
        this.ops.reset();
        this.recovery.reset();
      }
    });
    const eventSub = host.refresh.onDidReceiveEvent((event) => {
      if (event.type === EventType.OpsJobUpdated) this.noteJob(event.payload);
      const entry = this.events.log.add(event);
      if (entry) this.notifier.offer(entry);
    });
    this.disposables.push(
      { dispose: () => eventSub.dispose() },
      { dispose: () => stateSub.dispose() },
      vscode.commands.registerCommand("sentinel.refreshOps", () => this.ops.reload()),
      vscode.commands.registerCommand("sentinel.refreshRecovery", () => this.recovery.reload()),
      vscode.commands.registerCommand(
        "sentinel.restoreSession",
        async (arg?: Row | string, options?: RestoreOptions) => {
          try {
            await host.server.start("restore command");
            const api = host.refresh.api;
            if (!api) throw new Error("the Sentinel server is not running");
            const job = await restoreSession(api, host.refresh, host.sessions, arg, options);
            void this.recovery.reload();
            return job;
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            host.log.error(`sentinel.restoreSession: ${message}`);
            void vscode.window.showErrorMessage(`Sentinel: ${message}`);
            return undefined;
          }
        },
      ),
      vscode.commands.registerCommand("sentinel.runRunbook", async (arg?: Row | string) => {
        try {
          await host.server.start("runbook command");
          const api = host.refresh.api;
          if (!api) throw new Error("the Sentinel server is not running");
          return await runRunbook(api, host.refresh, host.prompts, arg, (job) => {
            this.noteJob({ job });
            this.ops.scheduleReload();
          });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          host.log.error(`sentinel.runRunbook: ${message}`);
          void vscode.window.showErrorMessage(`Sentinel: ${message}`);
          return undefined;
        }
      }),
      vscode.commands.registerCommand("sentinel.ackAlert", (arg?: Row | number) => {
        const id = typeof arg === "number" ? arg : (arg?.data as { alertId?: number } | undefined)?.alertId;
        return id ? this.ackAlert(id) : undefined;
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    this.notifier.dispose();
    this.recovery.dispose();
    this.ops.dispose();
    this.events.dispose();
    this.recordings.dispose();
  }

  /** Runbook jobs seen in `ops.job.updated` events (the server has no jobs list): the newest 20, by id. */
  private noteJob(payload: unknown): void {
    const job = (payload as { job?: Record<string, unknown> } | undefined)?.job;
    if (!job || typeof job.id !== "string") return;
    this.jobs.delete(job.id);
    this.jobs.set(job.id, job);
    while (this.jobs.size > 20) this.jobs.delete(this.jobs.keys().next().value as string);
  }

  private async ackAlert(id: number): Promise<void> {
    const api = this.host.refresh.api;
    if (!api) throw new Error("the Sentinel server is not running");
    try {
      await api.request("POST", `/api/ops/alerts/${id}/ack`);
    } catch (error) {
      void vscode.window.showErrorMessage(
        `Sentinel: could not acknowledge the alert: ${(error as Error).message}`,
      );
      return;
    }
    await this.ops.reload();
  }
}
