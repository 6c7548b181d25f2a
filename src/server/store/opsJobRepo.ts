// The `ops_runbook_runs` table (spec §9, migrations 6 and 7): jobs, their progress and the process group of a
// running step, and what a previous process left unfinished.
import type { Job, JobSource, JobStatus, StepResult } from "../../protocol/opsRunbooks.js";
import type { Store } from "./database.js";
import { nowRfc3339, parseJson, rfc3339 } from "./opsRunbookRows.js";

/**
 * The leader of a running step's process group, as the runner records it (ops/runbooks/orphans.ts): enough to
 * end that group after a crash only when it is provably the same processes.
 */
export interface StepProcess {
  pgid: number;
  /** Field 22 of /proc/<pid>/stat: start time after boot, in clock ticks. */
  startTime: number;
  bootId: string;
}

interface RunRow {
  id: string;
  runbook_id: string;
  runbook_name: string;
  status: string;
  total_steps: number;
  completed_steps: number;
  current_step: string;
  error: string;
  step_results: string;
  source: string;
  schedule_id: string;
  created_at: string;
  started_at: string;
  finished_at: string;
}

const toJob = (r: RunRow): Job => {
  const job: Job = {
    id: r.id,
    runbookId: r.runbook_id,
    runbookName: r.runbook_name,
    status: r.status as JobStatus,
    totalSteps: Number(r.total_steps),
    completedSteps: Number(r.completed_steps),
    currentStep: r.current_step,
    error: r.error,
    stepResults: parseJson<StepResult[]>(r.step_results, []),
    createdAt: rfc3339(r.created_at),
  };
  if (r.source) job.source = r.source as JobSource;
  if (r.schedule_id) job.scheduleId = r.schedule_id;
  if (r.started_at) job.startedAt = rfc3339(r.started_at);
  if (r.finished_at) job.finishedAt = rfc3339(r.finished_at);
  return job;
};

export class JobRepo {
  constructor(private readonly store: Store) {}

  insertJob(job: Job): void {
    this.store.run(
      `INSERT INTO ops_runbook_runs (id, runbook_id, runbook_name, status, total_steps, completed_steps, current_step,
         error, step_results, source, schedule_id, created_at, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        job.id,
        job.runbookId,
        job.runbookName,
        job.status,
        job.totalSteps,
        job.completedSteps,
        job.currentStep,
        job.error,
        JSON.stringify(job.stepResults),
        job.source ?? "",
        job.scheduleId ?? "",
        job.createdAt,
        job.startedAt ?? "",
        job.finishedAt ?? "",
      ],
    );
  }

  /** Writes a job's progress (everything but its identity and createdAt); a finished job has no process. */
  updateJob(job: Job): void {
    this.store.run(
      `UPDATE ops_runbook_runs SET status = ?, completed_steps = ?, current_step = ?, error = ?, step_results = ?,
         started_at = ?, finished_at = ?,
         process = CASE WHEN ? IN ('succeeded', 'failed') THEN '' ELSE process END
       WHERE id = ?`,
      [
        job.status,
        job.completedSteps,
        job.currentStep,
        job.error,
        JSON.stringify(job.stepResults),
        job.startedAt ?? "",
        job.finishedAt ?? "",
        job.status,
        job.id,
      ],
    );
  }

  job(id: string): Job | undefined {
    const row = this.store.get<RunRow>("SELECT * FROM ops_runbook_runs WHERE id = ?", [id]);
    return row ? toJob(row) : undefined;
  }

  latestJobs(limit: number): Job[] {
    return this.store
      .all<RunRow>("SELECT * FROM ops_runbook_runs ORDER BY created_at DESC, rowid DESC LIMIT ?", [limit])
      .map(toJob);
  }

  /** Newest first, optionally of one runbook, schedule or status. */
  jobs(filter: { runbookId?: string; scheduleId?: string; status?: string; limit: number }): Job[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.runbookId) {
      where.push("runbook_id = ?");
      params.push(filter.runbookId);
    }
    if (filter.scheduleId) {
      where.push("schedule_id = ?");
      params.push(filter.scheduleId);
    }
    if (filter.status) {
      where.push("status = ?");
      params.push(filter.status);
    }
    params.push(filter.limit);
    return this.store
      .all<RunRow>(
        `SELECT * FROM ops_runbook_runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
        params,
      )
      .map(toJob);
  }

  deleteJob(id: string): boolean {
    return this.store.run("DELETE FROM ops_runbook_runs WHERE id = ?", [id]).changes > 0;
  }

  /** Who leads the running step's process group (migration 7); undefined clears it. */
  setJobProcess(id: string, process: StepProcess | undefined): void {
    this.store.run("UPDATE ops_runbook_runs SET process = ? WHERE id = ?", [
      process ? JSON.stringify(process) : "",
      id,
    ]);
  }

  /** The step processes recorded for jobs left `queued` or `running` (by a process that was killed). */
  unfinishedJobProcesses(): StepProcess[] {
    const rows = this.store.all<{ process: string }>(
      "SELECT process FROM ops_runbook_runs WHERE status IN ('queued', 'running') AND process != ''",
    );
    const out: StepProcess[] = [];
    for (const row of rows) {
      try {
        const p = JSON.parse(row.process) as Partial<StepProcess>;
        if (
          typeof p.pgid === "number" &&
          p.pgid > 1 &&
          typeof p.startTime === "number" &&
          typeof p.bootId === "string"
        ) {
          out.push({ pgid: p.pgid, startTime: p.startTime, bootId: p.bootId });
        }
      } catch {
        // Not ours to read: leave it.
      }
    }
    return out;
  }

  /** Jobs a previous process left `queued` or `running`: they end as failed with `reason` (Appendix A). */
  failUnfinishedJobs(reason: string): Job[] {
    const rows = this.store.all<RunRow>(
      "SELECT * FROM ops_runbook_runs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid",
    );
    const finishedAt = nowRfc3339();
    const failed: Job[] = [];
    for (const row of rows) {
      const job = toJob(row);
      job.status = "failed";
      job.error = job.error || reason;
      job.finishedAt = finishedAt;
      this.updateJob(job);
      failed.push(job);
    }
    return failed;
  }
}
