// The `ops_schedules` table (spec §9, migration 6): schedules, which are due, and what each fire and run wrote.
import type { Schedule, ScheduleType } from "../../protocol/opsRunbooks.js";
import type { Store } from "./database.js";
import { nowRfc3339, rfc3339 } from "./opsRunbookRows.js";

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

/** The fields of a schedule its owner writes; the run fields (last run, status) are written by the scheduler. */
export type ScheduleRecord = Pick<
  Schedule,
  "id" | "runbookId" | "name" | "scheduleType" | "cronExpr" | "timezone" | "runAt" | "enabled" | "nextRunAt"
>;

export class ScheduleRepo {
  constructor(private readonly store: Store) {}

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
