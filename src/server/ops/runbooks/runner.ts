// Runs runbooks as jobs (spec §1.8 "Runbook execution engine", §8 job states): one job per run, steps in order,
// each with its own time limit inside the run's; the first failing step ends the run. The job row is written and
// `ops.job.updated` published when the run is created, when it starts, when each step starts and ends, and when
// it finishes. Cancellation and the run limit end the running step's whole process group (./shell.ts). At most
// `maxConcurrent` jobs run at once; the others wait as `queued`. A job never stays `running` past its process:
// shutdown ends running jobs as failed, and the next start fails whatever a killed process left unfinished.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import {
  type Job,
  type JobSource,
  type JobUpdatedPayload,
  RUNNING_OUTPUT_TAIL_BYTES,
  type Runbook,
  type RunbookStep,
  type RunningStep,
  type StepResult,
} from "../../../protocol/opsRunbooks.js";
import type { JobRepo } from "../../store/opsJobRepo.js";
import { nowRfc3339 } from "../../store/opsRunbookRows.js";
import { endOrphanGroup, identify } from "./orphans.js";
import { formatSeconds, runShell } from "./shell.js";

/** What the runner writes to the ops timeline (src/server/ops/timeline/timeline.ts satisfies it). */
export interface TimelineSink {
  record(input: {
    source?: string;
    eventType?: string;
    severity?: string;
    resource?: string;
    message?: string;
    details?: string;
    metadata?: Record<string, unknown> | string;
  }): unknown;
}

export interface RunnerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface RunnerLimits {
  /** Default time limit of one step (spec: 30 s); a step's `timeoutSeconds` overrides it. */
  stepTimeoutMs: number;
  /** Default time limit of a whole run (spec: 5 min); a runbook's `timeoutSeconds` overrides it. */
  runTimeoutMs: number;
  /** Output kept per step; the middle of longer output is dropped. */
  maxOutputBytes: number;
  /** Jobs running at once; more wait as `queued`. */
  maxConcurrent: number;
}

export interface RunnerOptions {
  jobRepo: JobRepo;
  publish: (type: "ops.job.updated", payload: JobUpdatedPayload) => void;
  log: RunnerLogger;
  limits: RunnerLimits;
  timeline?: TimelineSink | undefined;
  /** Called once per job when it has finished (the scheduler records the outcome on its schedule). */
  onFinished?: (job: Job) => void;
  /** Between SIGTERM to a step's process group and SIGKILL. */
  killGraceMs?: number;
  /** How often a running step's new output is published (1 s). */
  progressIntervalMs?: number;
}

export const Reasons = {
  cancelled: "cancelled by request",
  shutdown: "interrupted: the server stopped",
  restart: "interrupted by a server restart",
} as const;

interface Active {
  job: Job;
  runbook: Runbook;
  controller: AbortController;
  /** Settles when the job has finished and its row is written. */
  done: Promise<void>;
  resolveDone: () => void;
  started: boolean;
}

export class JobRunner {
  private readonly active = new Map<string, Active>();
  private readonly queue: Active[] = [];
  private running = 0;
  private closing = false;
  /** Aborted when a shutdown stops waiting for steps to end on SIGTERM. */
  private readonly killNow = new AbortController();

  constructor(private readonly options: RunnerOptions) {}

  /** At start-up: jobs a previous process left queued or running end as failed, with the reason. */
  failInterrupted(): Job[] {
    // Their steps' process groups outlived the killed server: end them first (only provably the same ones).
    for (const orphan of this.options.jobRepo.unfinishedJobProcesses()) {
      const killed = endOrphanGroup(orphan);
      if (killed > 0)
        this.options.log.warn(
          { pgid: orphan.pgid, killed },
          "ended a step's processes left by a killed server",
        );
    }
    const failed = this.options.jobRepo.failUnfinishedJobs(Reasons.restart);
    for (const job of failed) {
      this.options.log.warn({ job: job.id, runbook: job.runbookId }, "runbook job interrupted by a restart");
      this.options.onFinished?.(job);
    }
    return failed;
  }

  /** Creates the job (`queued`), publishes it, and runs it as soon as a slot is free. */
  start(runbook: Runbook, source: JobSource, scheduleId?: string): Job {
    if (this.closing) throw new Error("the server is stopping");
    const job: Job = {
      id: randomUUID(),
      runbookId: runbook.id,
      runbookName: runbook.name,
      status: "queued",
      totalSteps: runbook.steps.length,
      completedSteps: 0,
      currentStep: runbook.steps[0]?.title ?? "",
      error: "",
      stepResults: [],
      source,
      ...(scheduleId ? { scheduleId } : {}),
      createdAt: nowRfc3339(),
    };
    this.options.jobRepo.insertJob(job);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const entry: Active = {
      job,
      runbook,
      controller: new AbortController(),
      done,
      resolveDone,
      started: false,
    };
    this.active.set(job.id, entry);
    this.emit(job);
    this.queue.push(entry);
    queueMicrotask(() => this.pump());
    return structuredClone(job);
  }

  isActive(jobId: string): boolean {
    return this.active.has(jobId);
  }

  /** A copy of an unfinished job's current state, else undefined. */
  snapshot(jobId: string): Job | undefined {
    const entry = this.active.get(jobId);
    return entry ? structuredClone(entry.job) : undefined;
  }

  /**
   * Cancels an unfinished job: its running step's process group gets SIGTERM (then SIGKILL), and the job ends
   * as failed with `reason`. Resolves with the finished job; undefined when the job is not unfinished here.
   */
  async cancel(jobId: string, reason: string = Reasons.cancelled): Promise<Job | undefined> {
    const entry = this.active.get(jobId);
    if (!entry) return undefined;
    if (!entry.started) {
      const at = this.queue.indexOf(entry);
      if (at >= 0) this.queue.splice(at, 1);
      this.finish(entry, reason);
    } else {
      entry.controller.abort(reason);
    }
    await entry.done;
    return structuredClone(entry.job);
  }

  /**
   * Ends every unfinished job as failed (server shutdown) and waits until their rows are written. Steps get
   * SIGTERM, and SIGKILL after `shutdownGraceMs` (the server has a short deadline to exit).
   */
  async close(shutdownGraceMs = 500): Promise<void> {
    this.closing = true;
    const timer = setTimeout(() => this.killNow.abort(), shutdownGraceMs);
    try {
      await Promise.all([...this.active.keys()].map((id) => this.cancel(id, Reasons.shutdown)));
    } finally {
      clearTimeout(timer);
    }
  }

  private pump(): void {
    while (!this.closing && this.running < this.options.limits.maxConcurrent && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      entry.started = true;
      this.running += 1;
      this.execute(entry)
        .catch((error: unknown) => {
          this.options.log.warn({ job: entry.job.id, err: error }, "runbook job failed unexpectedly");
          if (this.active.has(entry.job.id)) {
            this.finish(entry, `internal error: ${(error as Error).message}`);
          }
        })
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }

  private async execute(entry: Active): Promise<void> {
    const { job, runbook, controller } = entry;
    job.status = "running";
    job.startedAt = nowRfc3339();
    this.save(job);
    const runLimitMs = runbook.timeoutSeconds
      ? runbook.timeoutSeconds * 1000
      : this.options.limits.runTimeoutMs;
    const runTimer = setTimeout(
      () => controller.abort(`run timed out after ${formatSeconds(runLimitMs)}`),
      runLimitMs,
    );
    let error = "";
    try {
      for (const [index, step] of runbook.steps.entries()) {
        if (controller.signal.aborted) {
          error = abortReason(controller.signal);
          break;
        }
        job.currentStep = step.title;
        this.save(job);
        const result = await this.runStep(job.id, runbook.id, index, step, controller.signal);
        job.stepResults.push(result);
        job.completedSteps = index + 1;
        job.currentStep = step.title;
        if (result.error) {
          error = `step ${index + 1} ${JSON.stringify(step.title)} failed: ${result.error}`;
          break;
        }
        // The last step's save is the finish below (one event, not two).
        if (index < runbook.steps.length - 1) this.save(job);
      }
    } finally {
      clearTimeout(runTimer);
    }
    this.finish(entry, error);
  }

  private async runStep(
    jobId: string,
    runbookId: string,
    index: number,
    step: RunbookStep,
    signal: AbortSignal,
  ): Promise<StepResult> {
    const base = { stepIndex: index, title: step.title, type: step.type };
    if (step.type === "manual") {
      return { ...base, output: step.description ?? "", error: "", durationMs: 0 };
    }
    const text = step.type === "command" ? step.command : step.type === "check" ? step.check : undefined;
    if (text === undefined) {
      return { ...base, output: "", error: `unknown step type: ${JSON.stringify(step.type)}`, durationMs: 0 };
    }
    const timeoutMs = step.timeoutSeconds ? step.timeoutSeconds * 1000 : this.options.limits.stepTimeoutMs;
    const entry = this.active.get(jobId);
    const stepStarted = performance.now();
    const running = (outputTail: string, outputBytes: number): RunningStep => ({
      ...base,
      outputTail,
      outputBytes,
      elapsedMs: Math.round(performance.now() - stepStarted),
    });
    if (entry) entry.job.runningStep = running("", 0);
    const result = await runShell(text, {
      env: stepEnvironment(process.env, { jobId, runbookId, stepIndex: index }),
      cwd: homeDirectory(),
      timeoutMs,
      signal,
      maxOutputBytes: this.options.limits.maxOutputBytes,
      ...(this.options.killGraceMs !== undefined ? { killGraceMs: this.options.killGraceMs } : {}),
      killNow: this.killNow.signal,
      onSpawn: (pgid) => this.recordProcess(jobId, pgid),
      progress: {
        intervalMs: this.options.progressIntervalMs ?? 1000,
        report: (capture) => {
          if (!entry || !this.active.has(jobId)) return;
          entry.job.runningStep = running(capture.lastText(RUNNING_OUTPUT_TAIL_BYTES), capture.total);
          this.emit(entry.job);
        },
      },
    });
    if (entry) delete entry.job.runningStep;
    const stepResult: StepResult = {
      ...base,
      output: result.output,
      error: result.error,
      durationMs: result.durationMs,
    };
    if (result.exitCode !== undefined) stepResult.exitCode = result.exitCode;
    if (result.truncatedBytes > 0) stepResult.truncatedBytes = result.truncatedBytes;
    return stepResult;
  }

  /** Writes the finished job, publishes it, records it on the timeline, and releases its waiters. */
  private finish(entry: Active, error: string): void {
    const { job } = entry;
    if (!this.active.has(job.id)) return;
    this.active.delete(job.id);
    job.status = error ? "failed" : "succeeded";
    job.error = error;
    job.finishedAt = nowRfc3339();
    try {
      this.save(job);
    } catch (saveError) {
      this.options.log.warn({ job: job.id, err: saveError }, "could not store the finished runbook job");
    }
    this.options.log.info(
      { job: job.id, runbook: job.runbookId, status: job.status, error: job.error || undefined },
      "runbook job finished",
    );
    try {
      this.options.timeline?.record({
        source: job.source === "manual" || !job.source ? "runbook" : "scheduler",
        eventType: `runbook.${job.status}`,
        severity: job.status === "failed" ? "error" : "info",
        resource: job.id,
        message: `Runbook run ${job.status}`,
        details: job.error,
        metadata: {
          jobId: job.id,
          status: job.status,
          ...(job.scheduleId ? { scheduleId: job.scheduleId } : { runbookId: job.runbookId }),
        },
      });
    } catch (timelineError) {
      this.options.log.warn(
        { job: job.id, err: timelineError },
        "could not record the runbook job on the timeline",
      );
    }
    try {
      this.options.onFinished?.(structuredClone(job));
    } finally {
      entry.resolveDone();
    }
  }

  /** Remembers the step's process group so a start after a SIGKILL can end it (./orphans.ts). */
  private recordProcess(jobId: string, pgid: number): void {
    try {
      this.options.jobRepo.setJobProcess(jobId, identify(pgid));
    } catch (error) {
      this.options.log.warn({ job: jobId, err: error }, "could not record a step's process");
    }
  }

  private save(job: Job): void {
    this.options.jobRepo.updateJob(job);
    this.emit(job);
  }

  private emit(job: Job): void {
    this.options.publish("ops.job.updated", { globalRev: Date.now(), job: structuredClone(job) });
  }
}

/** Variables a step must not see: the server's token, and Electron's switch that makes Electron apps plain Node. */
const HIDDEN_VARIABLES = ["SENTINEL_TOKEN", "ELECTRON_RUN_AS_NODE"];

/**
 * The server's environment, less what a step must not inherit, plus `SENTINEL_JOB_ID`, `SENTINEL_RUNBOOK_ID`
 * and `SENTINEL_STEP` (1-based) for steps that want to say which run they belong to.
 */
export function stepEnvironment(
  base: NodeJS.ProcessEnv,
  step: { jobId: string; runbookId: string; stepIndex: number },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of HIDDEN_VARIABLES) delete env[name];
  env.SENTINEL_JOB_ID = step.jobId;
  env.SENTINEL_RUNBOOK_ID = step.runbookId;
  env.SENTINEL_STEP = String(step.stepIndex + 1);
  return env;
}

/** Steps start in the user's home directory (not wherever the server happened to be started). */
function homeDirectory(): string | undefined {
  try {
    const home = homedir();
    return home && existsSync(home) ? home : undefined;
  } catch {
    return undefined;
  }
}

function abortReason(signal: AbortSignal): string {
  return typeof signal.reason === "string" && signal.reason ? signal.reason : Reasons.cancelled;
}
