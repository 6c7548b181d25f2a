// Running a runbook from the Ops view: a modal confirmation naming its steps (they run shell commands on the
// server's host), `POST /api/ops/runbooks/{id}/run`, then the job followed to its end with per-step progress
// (`ops.job.updated`, published at every step's start and end; `GET /api/ops/jobs/{id}` once after subscribing
// and again whenever events may have been missed) in a progress notification.
import * as vscode from "vscode";
import { EventType } from "../../protocol/events.js";
import type { Job } from "../../protocol/opsRunbooks.js";
import { Routes } from "../../protocol/routes.js";
import type { ApiClient } from "../client/apiClient.js";
import type { RefreshManager } from "../client/refreshManager.js";
import type { Prompts } from "../commands/prompts.js";

const JOB_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs a runbook after the user confirmed it. The confirmation is never skipped on a caller's say-so (any
 * extension can run our commands with any arguments): only the test host's hook answers it (Prompts).
 */
export async function runRunbook(
  api: ApiClient,
  refresh: RefreshManager,
  prompts: Prompts,
  arg: { data?: unknown } | string | undefined,
  onJob: (job: Job) => void = () => undefined,
): Promise<Job | undefined> {
  let id = typeof arg === "string" ? arg : (arg?.data as { runbookId?: string } | undefined)?.runbookId;
  if (!id) {
    const runbooks = (await api.call(Routes.runbooks, {}, undefined))?.runbooks ?? [];
    const picked = await vscode.window.showQuickPick(
      runbooks
        .filter((r) => r.enabled)
        .map((r) => ({
          label: r.name,
          description: `${r.steps.length} steps`,
          detail: r.description,
          id: r.id,
        })),
      { title: "Run a runbook", placeHolder: "Runbook" },
    );
    if (!picked) return undefined;
    id = picked.id;
  }
  const runbook = (await api.call(Routes.runbook, { runbook: id }, undefined)).runbook;
  const steps = runbook.steps.map((s, i) => `${i + 1}. ${s.title}${s.command ? ` — ${s.command}` : ""}`);
  const ok = await prompts.confirm(
    `Run the runbook "${runbook.name}" on the server's host?`,
    steps.join("\n"),
    "Run",
  );
  if (!ok) return undefined;
  const started = (await api.call(Routes.runRunbook, { runbook: id }, undefined)).job;
  onJob(started);
  const job = await followJob(api, refresh, started, `Runbook ${runbook.name}`, onJob);
  if (job.status === "succeeded")
    void vscode.window.showInformationMessage(`Sentinel: runbook ${runbook.name} succeeded.`);
  else
    void vscode.window.showErrorMessage(
      `Sentinel: runbook ${runbook.name} ${job.status}: ${job.error || "no reason given"}`,
    );
  return job;
}

function followJob(
  api: ApiClient,
  refresh: RefreshManager,
  job: Job,
  title: string,
  onJob: (job: Job) => void,
): Promise<Job> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) => {
      return new Promise<Job>((resolve) => {
        let current = job;
        let reported = 0;
        let finished = false;
        const update = (next: Job) => {
          if (finished) return;
          current = next;
          onJob(next);
          const pct = next.totalSteps ? Math.min(100, (next.completedSteps / next.totalSteps) * 100) : 0;
          progress.report({
            message: [
              next.status,
              next.totalSteps ? `${next.completedSteps}/${next.totalSteps}` : "",
              next.status === "running" ? next.currentStep : "",
            ]
              .filter(Boolean)
              .join(" · "),
            increment: Math.max(0, pct - reported),
          });
          reported = Math.max(reported, pct);
          if (next.status === "succeeded" || next.status === "failed") {
            finished = true;
            clearTimeout(limit);
            sub.dispose();
            missedSub.dispose();
            resolve(next);
          }
        };
        const sub = refresh.onEvent(EventType.OpsJobUpdated, (payload) => {
          if (payload?.job?.id === job.id) update(payload.job);
        });
        // The job's events before this subscription (a fast job may have ended), and any the socket lost.
        const read = () =>
          void api
            .call(Routes.job, { job: job.id }, undefined)
            .then((r) => r?.job && update(r.job))
            .catch(() => undefined);
        const missedSub = refresh.onDidMissEvents(read);
        const limit = setTimeout(
          () => update({ ...current, status: "failed", error: current.error || "no end reported in time" }),
          JOB_TIMEOUT_MS,
        );
        update(job);
        read();
      });
    }),
  );
}
