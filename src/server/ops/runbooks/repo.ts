// The `ops_runbooks`, `ops_runbook_runs` and `ops_schedules` tables (spec §9, migration 6). Every time is
// written as RFC 3339 UTC with second precision, so `next_run_at <= now` compares as strings.
import type {
  Job,
  JobSource,
  JobStatus,
  Runbook,
  RunbookStep,
  Schedule,
  ScheduleType,
  StepResult,
} from "../../../protocol/opsRunbooks.js";
import type { Store } from "../../store/database.js";
import type { StepProcess } from "./orphans.js";

interface RunbookRow {
  id: string;
  name: string;
  description: string;
  steps_json: string;
  enabled: number;
  timeout_seconds: number;
  created_at: string;
  updated_at: string;
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

interface ScheduleRow {
  id: string;
  runbook_id: string;
  name: string;
  schedule_type: string;
  cron_expr: string;
  timezone: string;
  run_at: string;
  enabled: number;
  last_run_at: string;
  last_run_status: string;
  next_run_at: string;
  created_at: string;
  updated_at: string;
}

export const nowRfc3339 = (date: Date = new Date()) => `${date.toISOString().slice(0, 19)}Z`;

/** RFC 3339 on the wire, whatever SQL wrote (`YYYY-MM-DD HH:MM:SS` from a column default; §0.4). */
function rfc3339(value: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(" ", "T")}Z` : value;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? (value as T) : fallback;
  } catch {
    return fallback;
  }
}

/** Omits the optional step fields that are empty (spec §1.8). */
export function cleanStep(step: RunbookStep): RunbookStep {
  const out: RunbookStep = { type: step.type, title: step.title };
  if (step.command) out.command = step.command;
  if (step.check) out.check = step.check;
  if (step.description) out.description = step.description;
  if (step.timeoutSeconds) out.timeoutSeconds = step.timeoutSeconds;
  return out;
}

const toRunbook = (r: RunbookRow): Runbook => {
  const runbook: Runbook = {
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: Number(r.enabled) !== 0,
    steps: parseJson<RunbookStep[]>(r.steps_json, []).map(cleanStep),
    createdAt: rfc3339(r.created_at),
    updatedAt: rfc3339(r.updated_at),
  };
  if (Number(r.timeout_seconds) > 0) runbook.timeoutSeconds = Number(r.timeout_seconds);
  return runbook;
};

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

const toSchedule = (r: ScheduleRow): Schedule => ({
  id: r.id,
  runbookId: r.runbook_id,
  name: r.name,
  scheduleType: r.schedule_type as ScheduleType,
  cronExpr: r.cron_expr,
  timezone: r.timezone,
  runAt: r.run_at,
  enabled: Number(r.enabled) !== 0,
  lastRunAt: r.last_run_at,
  lastRunStatus: r.last_run_status,
  nextRunAt: r.next_run_at,
  createdAt: rfc3339(r.created_at),
  updatedAt: rfc3339(r.updated_at),
});

export interface RunbookRecord {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  steps: RunbookStep[];
  timeoutSeconds: number;
}

export interface ScheduleRecord {
  id: string;
  runbookId: string;
  name: string;
  scheduleType: ScheduleType;
  cronExpr: string;
  timezone: string;
  runAt: string;
  enabled: boolean;
  nextRunAt: string;
}

export class RunbookRepo {
  constructor(private readonly store: Store) {}

  // ---- runbooks ----

  runbooks(): Runbook[] {
    return this.store.all<RunbookRow>("SELECT * FROM ops_runbooks ORDER BY name, id").map(toRunbook);
  }

  runbook(id: string): Runbook | undefined {
    const row = this.store.get<RunbookRow>("SELECT * FROM ops_runbooks WHERE id = ?", [id]);
    return row ? toRunbook(row) : undefined;
  }

  /** False when the id is taken. */
  insertRunbook(r: RunbookRecord): boolean {
    const now = nowRfc3339();
    const { changes } = this.store.run(
      `INSERT OR IGNORE INTO ops_runbooks (id, name, description, steps_json, enabled, timeout_seconds, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.name, r.description, JSON.stringify(r.steps), r.enabled ? 1 : 0, r.timeoutSeconds, now, now],
    );
    return changes > 0;
  }

  /** False when there is no such runbook. */
  updateRunbook(r: RunbookRecord): boolean {
    const { changes } = this.store.run(
      `UPDATE ops_runbooks SET name = ?, description = ?, steps_json = ?, enabled = ?, timeout_seconds = ?, updated_at = ?
       WHERE id = ?`,
      [
        r.name,
        r.description,
        JSON.stringify(r.steps),
        r.enabled ? 1 : 0,
        r.timeoutSeconds,
        nowRfc3339(),
        r.id,
      ],
    );
    return changes > 0;
  }

  deleteRunbook(id: string): boolean {
    return this.store.run("DELETE FROM ops_runbooks WHERE id = ?", [id]).changes > 0;
  }

  // ---- runs ----

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

  // ---- schedules ----

  schedules(): Schedule[] {
    return this.store
      .all<ScheduleRow>("SELECT * FROM ops_schedules ORDER BY name, created_at, id")
      .map(toSchedule);
  }

  schedule(id: string): Schedule | undefined {
    const row = this.store.get<ScheduleRow>("SELECT * FROM ops_schedules WHERE id = ?", [id]);
    return row ? toSchedule(row) : undefined;
  }

  schedulesOf(runbookId: string): Schedule[] {
    return this.store
      .all<ScheduleRow>("SELECT * FROM ops_schedules WHERE runbook_id = ? ORDER BY name, created_at", [
        runbookId,
      ])
      .map(toSchedule);
  }

  insertSchedule(s: ScheduleRecord): void {
    const now = nowRfc3339();
    this.store.run(
      `INSERT INTO ops_schedules (id, runbook_id, name, schedule_type, cron_expr, timezone, run_at, enabled,
         last_run_at, last_run_status, next_run_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?)`,
      [
        s.id,
        s.runbookId,
        s.name,
        s.scheduleType,
        s.cronExpr,
        s.timezone,
        s.runAt,
        s.enabled ? 1 : 0,
        s.nextRunAt,
        now,
        now,
      ],
    );
  }

  /** Updates every field a PUT may change, `runbookId` included (the seed ignored it; Appendix A). */
  updateSchedule(s: ScheduleRecord): boolean {
    const { changes } = this.store.run(
      `UPDATE ops_schedules SET runbook_id = ?, name = ?, schedule_type = ?, cron_expr = ?, timezone = ?, run_at = ?,
         enabled = ?, next_run_at = ?, updated_at = ?
       WHERE id = ?`,
      [
        s.runbookId,
        s.name,
        s.scheduleType,
        s.cronExpr,
        s.timezone,
        s.runAt,
        s.enabled ? 1 : 0,
        s.nextRunAt,
        nowRfc3339(),
        s.id,
      ],
    );
    return changes > 0;
  }

  deleteSchedule(id: string): boolean {
    return this.store.run("DELETE FROM ops_schedules WHERE id = ?", [id]).changes > 0;
  }

  /** Enabled schedules due at `now` (RFC 3339 strings compare in time order). */
  dueSchedules(now: string): Schedule[] {
    return this.store
      .all<ScheduleRow>(
        "SELECT * FROM ops_schedules WHERE enabled = 1 AND next_run_at != '' AND next_run_at <= ? ORDER BY next_run_at, id",
        [now],
      )
      .map(toSchedule);
  }

  /** The earliest `next_run_at` of an enabled schedule, or undefined. */
  earliestNextRun(): string | undefined {
    const row = this.store.get<{ next: string | null }>(
      "SELECT MIN(next_run_at) AS next FROM ops_schedules WHERE enabled = 1 AND next_run_at != ''",
    );
    return row?.next ?? undefined;
  }

  /** When a schedule fires: its run fields, the next fire time and whether it stays enabled. */
  markFired(id: string, lastRunAt: string, status: string, nextRunAt: string, enabled: boolean): void {
    this.store.run(
      "UPDATE ops_schedules SET last_run_at = ?, last_run_status = ?, next_run_at = ?, enabled = ? WHERE id = ?",
      [lastRunAt, status, nextRunAt, enabled ? 1 : 0, id],
    );
  }

  /**
   * When its run finishes: only `last_run_*` (v0.11's UpdateScheduleLastRun). The seed also wrote
   * `next_run_at = ''` here, so a cron schedule fired once and never again (Appendix A).
   */
  markRunFinished(id: string, finishedAt: string, status: string): void {
    this.store.run("UPDATE ops_schedules SET last_run_at = ?, last_run_status = ? WHERE id = ?", [
      finishedAt,
      status,
      id,
    ]);
  }

  setNextRun(id: string, nextRunAt: string, enabled: boolean): void {
    this.store.run("UPDATE ops_schedules SET next_run_at = ?, enabled = ? WHERE id = ?", [
      nextRunAt,
      enabled ? 1 : 0,
      id,
    ]);
  }
}
