// The scheduler (spec §1.8 "Scheduler"): runs runbooks when their schedules are due. Instead of only a 5 s tick
// it sleeps until the earliest `nextRunAt` (at most `tickMs`, so clock jumps are caught up), which lets
// per-second cron schedules fire on time. Fixes of Appendix A: a finished run only writes `last_run_*`, so a cron
// schedule keeps firing (the seed wiped `next_run_at`); a manual trigger records its outcome too. A schedule
// whose previous run is still going is not started twice: that fire is skipped (`lastRunStatus: skipped`).
import type { Job, Schedule, ScheduleUpdatedPayload } from "../../../protocol/opsRunbooks.js";
import type { RunbookRepo } from "../../store/opsRunbookRepo.js";
import type { ScheduleRepo } from "../../store/opsScheduleRepo.js";
import { nextFire, parseCron, rfc3339 } from "./cron.js";
import type { JobRunner, RunnerLogger } from "./runner.js";

export interface SchedulerOptions {
  runbookRepo: RunbookRepo;
  scheduleRepo: ScheduleRepo;
  runner: JobRunner;
  publish: (type: "ops.schedule.updated", payload: ScheduleUpdatedPayload) => void;
  log: RunnerLogger;
  /** Longest sleep between due checks (spec: 5 s). */
  tickMs?: number;
  /** Catch-up window at start: older missed fires are not run (spec: 24 h). */
  catchUpMs?: number;
  now?: () => Date;
}

/** The next fire of a cron schedule strictly after `after`, as stored ("" when it never fires again). */
export function nextCronRun(cronExpr: string, timezone: string, after: Date): string {
  const spec = parseCron(cronExpr);
  if (!spec) return "";
  const next = nextFire(spec, timezone, after);
  return next ? rfc3339(next) : "";
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Schedule id → the job it last started, while that job runs. */
  private readonly runningJobs = new Map<string, string>();
  private readonly tickMs: number;
  private readonly catchUpMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerOptions) {
    this.tickMs = options.tickMs ?? 5000;
    this.catchUpMs = options.catchUpMs ?? 24 * 3600_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Catch-up pass, then the due loop. */
  start(): void {
    this.stopped = false;
    this.catchUp();
    this.check();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Re-plans the next wake-up (a schedule was created, changed or deleted). */
  reschedule(): void {
    if (this.stopped) return;
    this.arm();
  }

  /** The runner calls this for every finished job; schedule runs record their outcome. */
  jobFinished(job: Job): void {
    if (!job.scheduleId) return;
    if (this.runningJobs.get(job.scheduleId) === job.id) this.runningJobs.delete(job.scheduleId);
    const finishedAt = job.finishedAt ?? rfc3339(this.now());
    try {
      if (!this.options.scheduleRepo.schedule(job.scheduleId)) return;
      this.options.scheduleRepo.markRunFinished(job.scheduleId, finishedAt, job.status);
    } catch (error) {
      this.options.log.warn({ schedule: job.scheduleId, err: error }, "could not record a schedule's run");
      return;
    }
    this.options.publish("ops.schedule.updated", {
      action: "run_completed",
      schedule: job.scheduleId,
      jobId: job.id,
      status: job.status,
    });
  }

  /** `POST /api/ops/schedules/{id}/trigger`: runs now, keeps `nextRunAt` and `enabled`. */
  trigger(schedule: Schedule): Job {
    const runbook = this.options.runbookRepo.runbook(schedule.runbookId);
    if (!runbook) throw new Error("runbook not found");
    const job = this.options.runner.start(runbook, "trigger", schedule.id);
    this.runningJobs.set(schedule.id, job.id);
    this.options.scheduleRepo.markFired(
      schedule.id,
      rfc3339(this.now()),
      "running",
      schedule.nextRunAt,
      schedule.enabled,
    );
    this.options.publish("ops.schedule.updated", {
      action: "triggered",
      schedule: schedule.id,
      jobId: job.id,
    });
    return job;
  }

  /** Runs every due schedule, then sleeps until the next one. */
  check(): void {
    if (this.stopped) return;
    try {
      const now = this.now();
      for (const schedule of this.options.scheduleRepo.dueSchedules(rfc3339(now))) this.fire(schedule, now);
    } catch (error) {
      this.options.log.warn({ err: error }, "scheduler pass failed");
    }
    this.arm();
  }

  /**
   * Sleeps until the earliest fire, at most `tickMs`. With nothing scheduled (no enabled schedule with a next
   * fire) there is nothing to wake for: creating, changing or enabling a schedule calls `reschedule`.
   */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let delay = this.tickMs;
    try {
      const earliest = this.options.scheduleRepo.earliestNextRun();
      if (!earliest) return;
      const at = Date.parse(earliest);
      // Still due right after a pass means that schedule could not be fired (store error): retry in a second
      // rather than spin.
      const wait = at - this.now().getTime();
      if (!Number.isNaN(at)) delay = Math.min(delay, wait > 0 ? wait : 1000);
    } catch {
      // The store is closing; the tick retries.
    }
    this.timer = setTimeout(() => this.check(), delay);
    this.timer.unref();
  }

  private fire(schedule: Schedule, now: Date): void {
    const { next, enabled } = this.following(schedule, now);
    const firedAt = rfc3339(now);
    const previous = this.runningJobs.get(schedule.id);
    if (previous && this.options.runner.isActive(previous)) {
      this.options.scheduleRepo.markFired(schedule.id, firedAt, "skipped", next, enabled);
      this.options.log.info(
        { schedule: schedule.id, job: previous },
        "schedule skipped: its previous run is still going",
      );
      this.options.publish("ops.schedule.updated", {
        action: "skipped",
        schedule: schedule.id,
        jobId: previous,
      });
      return;
    }
    const runbook = this.options.runbookRepo.runbook(schedule.runbookId);
    if (!runbook) {
      this.options.scheduleRepo.markFired(schedule.id, firedAt, "failed", next, enabled);
      this.options.log.warn(
        { schedule: schedule.id, runbook: schedule.runbookId },
        "schedule's runbook is gone",
      );
      return;
    }
    const job = this.options.runner.start(runbook, "scheduler", schedule.id);
    this.runningJobs.set(schedule.id, job.id);
    this.options.scheduleRepo.markFired(schedule.id, firedAt, "running", next, enabled);
    this.options.log.info({ schedule: schedule.id, job: job.id, next }, "schedule fired");
    this.options.publish("ops.schedule.updated", {
      action: "triggered",
      schedule: schedule.id,
      jobId: job.id,
    });
  }

  /** After a fire: `once` → nothing next, disabled; cron → the next fire after now (UTC if the zone is gone). */
  private following(schedule: Schedule, now: Date): { next: string; enabled: boolean } {
    if (schedule.scheduleType !== "cron") return { next: "", enabled: false };
    const next = nextCronRun(schedule.cronExpr, schedule.timezone, now);
    return { next, enabled: next !== "" };
  }

  /**
   * At start (spec): an enabled schedule whose `nextRunAt` passed within the catch-up window runs now; an older
   * one is moved on (cron: the next future fire, last run fields kept) or disabled (once).
   */
  private catchUp(): void {
    const now = this.now();
    const cutoff = rfc3339(new Date(now.getTime() - this.catchUpMs));
    let due: Schedule[];
    try {
      due = this.options.scheduleRepo.dueSchedules(rfc3339(now));
    } catch (error) {
      this.options.log.warn({ err: error }, "scheduler catch-up failed");
      return;
    }
    for (const schedule of due) {
      if (schedule.nextRunAt >= cutoff) {
        this.fire(schedule, now);
        continue;
      }
      const { next, enabled } = this.following(schedule, now);
      this.options.scheduleRepo.setNextRun(schedule.id, next, enabled);
      this.options.log.info(
        { schedule: schedule.id, missed: schedule.nextRunAt, next },
        "missed schedule moved on",
      );
    }
  }
}
