// The Ops area: the Ops view (overview, alerts with Acknowledge, services, runbooks, the runbook jobs seen) and its
// commands: Refresh Ops, Run Runbook, Show Output (of a job or step), Acknowledge Alert. Built and disposed by the Container (moved out of
// features.ts).
import type * as vscode from "vscode";
import { EventType } from "../../protocol/events.js";
import type { Job } from "../../protocol/opsRunbooks.js";
import { Routes } from "../../protocol/routes.js";
import { CommandId } from "../commands/commandIds.js";
import type { AreaHost } from "../host.js";
import { ContextKey } from "../views/contextKeys.js";
import { JobOutputDocuments } from "./jobOutputDocuments.js";
import { jobRow, loadOps, opsReloadEvent, ProbedView, type Row } from "./opsViews.js";
import { runRunbook } from "./runbook.js";

const JOBS_KEPT = 20;

export class OpsArea implements vscode.Disposable {
  readonly view: ProbedView;
  /** Show Output's documents, following their jobs. */
  readonly jobOutput: JobOutputDocuments;
  /** Runbook jobs seen in `ops.job.updated` events (newer than the server's history): the newest 20, by id. */
  private readonly jobs = new Map<string, Job>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly host: AreaHost) {
    this.view = new ProbedView(
      "sentinel.ops",
      "ops",
      host.contextKeys,
      ContextKey.OpsState,
      opsReloadEvent,
      host.refresh,
      async (api) => {
        const [rows, history] = await Promise.all([
          loadOps(api),
          // The run history, where the server has it; jobs seen in events since are newer and win.
          api
            .call(Routes.jobs, {}, undefined, { query: { limit: 20 } })
            .then((d) => d?.jobs ?? [])
            .catch((): Job[] => []),
        ]);
        const byId = new Map<string, Job>();
        for (const job of [...history].reverse()) byId.set(job.id, job);
        for (const job of this.jobs.values()) {
          byId.delete(job.id);
          byId.set(job.id, job);
        }
        if (!byId.size) return rows;
        const jobs: Row[] = [...byId.values()].reverse().slice(0, JOBS_KEPT).map(jobRow);
        return [
          ...rows,
          { id: "ops:jobs", label: "Jobs", description: `${jobs.length}`, icon: "run-all", children: jobs },
        ];
      },
    );
    this.jobOutput = new JobOutputDocuments(host.refresh);
    this.disposables.push(
      this.view,
      this.jobOutput,
      host.refresh.onEvent(EventType.OpsJobUpdated, (payload) => this.noteJob(payload?.job)),
      host.server.onDidChangeState((state) => {
        if (state.kind === "stopped" || state.kind === "failed") this.view.reset();
      }),
    );
    host.commands.registerAll({
      [CommandId.RefreshOps]: () => this.view.reload(),
      [CommandId.RunRunbook]: async (arg?: Row | string) =>
        runRunbook(await host.api.get("runbook command"), host.refresh, host.prompts, arg, (job) => {
          this.noteJob(job);
          this.view.scheduleReload("command");
        }),
      [CommandId.ShowJobOutput]: (arg?: Row | string) => {
        const id = typeof arg === "string" ? arg : (arg?.data as { jobId?: string } | undefined)?.jobId;
        return id ? this.jobOutput.show(id) : undefined;
      },
      [CommandId.AckAlert]: (arg?: Row | number) => {
        const id = typeof arg === "number" ? arg : (arg?.data as { alertId?: number } | undefined)?.alertId;
        return id ? this.ackAlert(id) : undefined;
      },
    });
  }

  /** Acknowledges an alert on the server, then re-reads the lists. */
  async ackAlert(id: number): Promise<void> {
    const api = await this.host.api.get("acknowledge alert");
    try {
      await api.call(Routes.ackAlert, { alert: String(id) }, undefined);
    } catch (error) {
      throw new Error(`could not acknowledge the alert: ${(error as Error).message}`);
    }
    await this.view.reload("command");
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  private noteJob(job: Job | undefined): void {
    if (!job || typeof job.id !== "string") return;
    this.jobs.delete(job.id);
    this.jobs.set(job.id, job);
    while (this.jobs.size > JOBS_KEPT) this.jobs.delete(this.jobs.keys().next().value as string);
  }
}
