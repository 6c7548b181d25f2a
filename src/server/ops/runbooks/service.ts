// Runbooks, jobs and schedules as one service (spec §1.8): CRUD with validation, runs through the JobRunner,
// schedules through the Scheduler, and the `ops.schedule.updated` / timeline writes the routes promise. Errors
// are DomainErrors with the spec's codes.
import { randomBytes, randomUUID } from "node:crypto";
import {
  type Job,
  OpsRunbookMessages as M,
  OpsRunbookErrorCode,
  type Runbook,
  type Schedule,
  type ScheduleUpdatedPayload,
} from "../../../protocol/opsRunbooks.js";
import { DomainError, invalidRequest } from "../../errors.js";
import type { EventHub } from "../../events/hub.js";
import type { Store } from "../../store/database.js";
import { JobRepo } from "../../store/opsJobRepo.js";
import { RunbookRepo } from "../../store/opsRunbookRepo.js";
import { ScheduleRepo } from "../../store/opsScheduleRepo.js";
import { JobRunner, type RunnerLimits, type RunnerLogger, type TimelineSink } from "./runner.js";
import { Scheduler } from "./scheduler.js";
import { runbookFromBody, scheduleFromBody } from "./validate.js";

const runbookNotFound = () => new DomainError(OpsRunbookErrorCode.RunbookNotFound, M.runbookNotFound);
const jobNotFound = () => new DomainError(OpsRunbookErrorCode.JobNotFound, M.jobNotFound);
const scheduleNotFound = () => new DomainError(OpsRunbookErrorCode.ScheduleNotFound, M.scheduleNotFound);

export interface RunbookServiceOptions {
  store: Store;
  events: EventHub;
  log: RunnerLogger;
  limits: RunnerLimits;
  timeline?: TimelineSink | undefined;
  /** Longest sleep of the scheduler between due checks (5 s). */
  schedulerTickMs?: number;
  killGraceMs?: number;
}

export class RunbookService {
  private readonly runbookRepo: RunbookRepo;
  private readonly jobRepo: JobRepo;
  private readonly scheduleRepo: ScheduleRepo;
  readonly runner: JobRunner;
  readonly scheduler: Scheduler;
  private readonly events: EventHub;
  private readonly timeline: TimelineSink | undefined;
  private readonly log: RunnerLogger;

  constructor(options: RunbookServiceOptions) {
    this.runbookRepo = new RunbookRepo(options.store);
    this.jobRepo = new JobRepo(options.store);
    this.scheduleRepo = new ScheduleRepo(options.store);
    this.events = options.events;
    this.timeline = options.timeline;
    this.log = options.log;
    let scheduler: Scheduler | undefined;
    this.runner = new JobRunner({
      jobRepo: this.jobRepo,
      publish: (type, payload) => this.events.publish(type, payload),
      log: options.log,
      limits: options.limits,
      timeline: options.timeline,
      onFinished: (job) => scheduler?.jobFinished(job),
      ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
    });
    scheduler = new Scheduler({
      runbookRepo: this.runbookRepo,
      scheduleRepo: this.scheduleRepo,
      runner: this.runner,
      publish: (type, payload) => this.events.publish(type, payload),
      log: options.log,
      ...(options.schedulerTickMs !== undefined ? { tickMs: options.schedulerTickMs } : {}),
    });
    this.scheduler = scheduler;
  }

  /** Fails what a previous process left running (Appendix A), then starts the scheduler with its catch-up. */
  start(): void {
    this.runner.failInterrupted();
    this.scheduler.start();
  }

  /** Stops the scheduler and ends running jobs as failed; resolves when their rows are written. */
  async close(): Promise<void> {
    this.scheduler.stop();
    await this.runner.close();
  }

  // ---- runbooks ----

  list(): { runbooks: Runbook[]; jobs: Job[]; schedules: Schedule[] } {
    return {
      runbooks: this.runbookRepo.runbooks(),
      jobs: this.jobRepo.latestJobs(20),
      schedules: this.scheduleRepo.schedules(),
    };
  }

  get(id: string): Runbook {
    const runbook = this.runbookRepo.runbook(id);
    if (!runbook) throw runbookNotFound();
    return runbook;
  }

  create(body: unknown): Runbook {
    const fields = runbookFromBody(body);
    const id = fields.id || randomUUID();
    if (!this.runbookRepo.insertRunbook({ ...fields, id })) {
      throw new DomainError(OpsRunbookErrorCode.RunbookExists, M.runbookExists);
    }
    return this.get(id);
  }

  /** The body's `id` is ignored (spec): the path names the runbook. */
  update(id: string, body: unknown): Runbook {
    if (!this.runbookRepo.runbook(id)) throw runbookNotFound();
    const fields = runbookFromBody(body);
    if (!this.runbookRepo.updateRunbook({ ...fields, id })) throw runbookNotFound();
    return this.get(id);
  }

  /**
   * Deletes a runbook and, unlike the seed (whose orphaned schedules then fired into nothing), its schedules,
   * each with `ops.schedule.updated {action:"deleted"}`. Its past jobs stay.
   */
  delete(id: string): void {
    const schedules = this.scheduleRepo.schedulesOf(id);
    if (!this.runbookRepo.deleteRunbook(id)) throw runbookNotFound();
    for (const schedule of schedules) {
      this.scheduleRepo.deleteSchedule(schedule.id);
      this.publishSchedule({ action: "deleted", removed: schedule.id });
    }
    if (schedules.length > 0) this.scheduler.reschedule();
  }

  /** `POST /api/ops/runbooks/{id}/run` (the runbook's `enabled` is not checked, as in the seed). */
  run(id: string): { job: Job; timelineEvent?: unknown; globalRev: number } {
    const runbook = this.get(id);
    const job = this.runner.start(runbook, "manual");
    let timelineEvent: unknown;
    try {
      timelineEvent = this.timeline?.record({
        source: "runbook",
        eventType: "runbook.started",
        severity: "info",
        resource: runbook.id,
        message: `Runbook started: ${runbook.name}`,
        details: `job=${job.id} steps=${runbook.steps.length}`,
        metadata: { jobId: job.id, runbookId: runbook.id, status: job.status },
      });
    } catch (error) {
      this.log.warn({ job: job.id, err: error }, "could not record the runbook start on the timeline");
    }
    return { job, ...(timelineEvent !== undefined ? { timelineEvent } : {}), globalRev: Date.now() };
  }

  // ---- jobs ----

  /** `GET /api/ops/jobs` (this port): run history, newest first; running jobs as they are now. */
  jobs(query: Record<string, unknown>): Job[] {
    const text = (key: string) => {
      const v = query[key];
      return typeof v === "string" ? v.trim() : "";
    };
    const rawLimit = text("limit");
    let limit = 100;
    if (rawLimit) {
      if (!/^\d+$/.test(rawLimit) || Number(rawLimit) <= 0)
        throw invalidRequest("limit must be a positive integer");
      limit = Math.min(Number(rawLimit), 500);
    }
    const status = text("status");
    if (status && !["queued", "running", "succeeded", "failed"].includes(status)) {
      throw invalidRequest("status must be queued, running, succeeded or failed");
    }
    return this.jobRepo
      .jobs({ runbookId: text("runbookId"), scheduleId: text("scheduleId"), status, limit })
      .map((job) => this.runner.snapshot(job.id) ?? job);
  }

  job(id: string): Job {
    const job = this.runner.snapshot(id) ?? this.jobRepo.job(id);
    if (!job) throw jobNotFound();
    return job;
  }

  /** Cancels a queued or running job; it ends as failed ("cancelled by request"). 409 when already finished. */
  async cancelJob(id: string): Promise<Job> {
    const cancelled = await this.runner.cancel(id);
    if (cancelled) return cancelled;
    if (!this.jobRepo.job(id)) throw jobNotFound();
    throw new DomainError(OpsRunbookErrorCode.JobFinished, M.jobFinished);
  }

  /** Deletes a job; one still running is cancelled first (its processes end with it). */
  async deleteJob(id: string): Promise<void> {
    if (this.runner.isActive(id)) await this.runner.cancel(id);
    if (!this.jobRepo.deleteJob(id)) throw jobNotFound();
  }

  // ---- schedules ----

  schedules(): Schedule[] {
    return this.scheduleRepo.schedules();
  }

  schedule(id: string): Schedule {
    const schedule = this.scheduleRepo.schedule(id);
    if (!schedule) throw scheduleNotFound();
    return schedule;
  }

  createSchedule(body: unknown): Schedule {
    const fields = scheduleFromBody(body, (id) => !!this.runbookRepo.runbook(id), new Date());
    const id = randomBytes(10).toString("hex");
    this.scheduleRepo.insertSchedule({ ...fields, id });
    const schedule = this.schedule(id);
    this.publishSchedule({ action: "created", schedule });
    this.scheduler.reschedule();
    return schedule;
  }

  /** Updates every field, `runbookId` included (the seed validated but ignored it; Appendix A). */
  updateSchedule(id: string, body: unknown): Schedule {
    if (!this.scheduleRepo.schedule(id)) throw scheduleNotFound();
    const fields = scheduleFromBody(body, (rid) => !!this.runbookRepo.runbook(rid), new Date());
    if (!this.scheduleRepo.updateSchedule({ ...fields, id })) throw scheduleNotFound();
    const schedule = this.schedule(id);
    this.publishSchedule({ action: "updated", schedule });
    this.scheduler.reschedule();
    return schedule;
  }

  deleteSchedule(id: string): void {
    if (!this.scheduleRepo.deleteSchedule(id)) throw scheduleNotFound();
    this.publishSchedule({ action: "deleted", removed: id });
    this.scheduler.reschedule();
  }

  /** Runs the schedule's runbook now; `nextRunAt` and `enabled` stay as they are. */
  triggerSchedule(id: string): Job {
    const schedule = this.schedule(id);
    if (!this.runbookRepo.runbook(schedule.runbookId)) throw runbookNotFound();
    return this.scheduler.trigger(schedule);
  }

  private publishSchedule(payload: ScheduleUpdatedPayload): void {
    this.events.publish("ops.schedule.updated", payload);
  }
}
