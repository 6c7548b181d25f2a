// Runbooks, jobs (runbook runs) and schedules on the wire (spec §1.8, §8, the `ops.job.updated` and
// `ops.schedule.updated` rows of §3.3), with this port's additions: per-step and per-run time limits, job
// cancellation, stored output caps, and the fixes Appendix A asks for (a cron schedule keeps firing, finished
// jobs keep `startedAt`, a manual trigger records its outcome, PUT may move a schedule to another runbook).

/** `command` and `check` run `/bin/sh -c <text>`; `manual` only records its description. */
export type RunbookStepType = "command" | "check" | "manual";

export const RUNBOOK_STEP_TYPES: readonly RunbookStepType[] = ["command", "check", "manual"];

export interface RunbookStep {
  type: RunbookStepType;
  title: string;
  /** Omitted when empty. */
  command?: string;
  check?: string;
  description?: string;
  /** This port: the step's own time limit in seconds (else the server's default, 30 s). Omitted when unset. */
  timeoutSeconds?: number;
}

export interface Runbook {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  steps: RunbookStep[];
  /** This port: the whole run's time limit in seconds (else the server's default, 5 min). Omitted when unset. */
  timeoutSeconds?: number;
  /** RFC 3339, seconds, UTC. */
  createdAt: string;
  updatedAt: string;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed";

export interface StepResult {
  stepIndex: number;
  title: string;
  type: string;
  /** Combined stdout and stderr, capped (see `truncated`); the description for a manual step. */
  output: string;
  /** "" on success; `exit status N`, `signal: SIGTERM`, `timed out after 30s`, `cancelled`, … */
  error: string;
  durationMs: number;
  /** This port: the shell's exit code, when it exited by itself. */
  exitCode?: number;
  /** This port: bytes of output left out of `output` (its middle was dropped), when any. */
  truncatedBytes?: number;
}

/** A runbook run. `startedAt` and `finishedAt` are omitted until set. */
export interface Job {
  id: string;
  runbookId: string;
  runbookName: string;
  status: JobStatus;
  totalSteps: number;
  completedSteps: number;
  currentStep: string;
  /** Why the run failed: `step <i> "<title>" failed: <err>`, `cancelled …`, `interrupted by a server restart`. */
  error: string;
  stepResults: StepResult[];
  /**
   * This port: the step running now, with the tail of its output so far (up to 4 KiB), refreshed about once a
   * second in `ops.job.updated` while it writes. Only on a running job (events and GET), never stored.
   */
  runningStep?: RunningStep;
  /** This port: `manual` (the run route), `scheduler` (a schedule fired) or `trigger` (a schedule's trigger). */
  source?: JobSource;
  /** This port: the schedule that started the run, when one did. */
  scheduleId?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export type JobSource = "manual" | "scheduler" | "trigger";

export interface RunningStep {
  stepIndex: number;
  title: string;
  type: string;
  /** The last bytes of the step's output so far (at most RUNNING_OUTPUT_TAIL_BYTES). */
  outputTail: string;
  /** Bytes the step has written so far. */
  outputBytes: number;
  /** Since the step started. */
  elapsedMs: number;
}

/** How much of a running step's output `runningStep.outputTail` carries. */
export const RUNNING_OUTPUT_TAIL_BYTES = 4096;

export type ScheduleType = "cron" | "once";

export interface Schedule {
  /** 20 lowercase hex characters. */
  id: string;
  runbookId: string;
  name: string;
  scheduleType: ScheduleType;
  /** 5 fields (`min hour dom month dow`), 6 with seconds first, or a descriptor (`@daily`, `@every 90s`, …). */
  cronExpr: string;
  /** IANA name (`UTC`, `Local`, `Europe/Paris`); the cron fields are read in it. */
  timezone: string;
  /** `once` schedules: when, RFC 3339 UTC; "" for cron. */
  runAt: string;
  enabled: boolean;
  /** "" until the first run. */
  lastRunAt: string;
  /** "" | `running` | `succeeded` | `failed` | `skipped` (the previous run of this schedule was still going). */
  lastRunStatus: string;
  /** RFC 3339 UTC; "" when nothing is due (a `once` schedule that ran, or a disabled one). */
  nextRunAt: string;
  createdAt: string;
  updatedAt: string;
}

// ---- request bodies (decoded by the server with Go's rules: keys case-insensitive, unknown keys refused) ----

export interface RunbookStepInput {
  type?: string;
  title?: string;
  command?: string;
  check?: string;
  description?: string;
  timeoutSeconds?: number;
}

export interface RunbookInput {
  id?: string;
  name?: string;
  description?: string;
  enabled?: boolean;
  steps?: RunbookStepInput[];
  timeoutSeconds?: number;
}

export interface ScheduleInput {
  runbookId?: string;
  name?: string;
  scheduleType?: string;
  cronExpr?: string;
  timezone?: string;
  runAt?: string;
  enabled?: boolean;
}

// ---- responses (inside the `{data}` envelope) ----

export interface RunbooksListResponse {
  runbooks: Runbook[];
  /** The 20 latest runs, newest first. */
  jobs: Job[];
  /** `[]` when there are none (the seed sent null; clients take both). */
  schedules: Schedule[];
}

export interface RunbookResponse {
  runbook: Runbook;
}

export interface RunStartedResponse {
  job: Job;
  /** The `runbook.started` ops timeline event, when the ops timeline is there. */
  timelineEvent?: unknown;
  globalRev: number;
}

export interface JobResponse {
  job: Job;
}

/** `GET /api/ops/jobs` (this port): newest first, at most `limit` (default 100, max 500). */
export interface JobsResponse {
  jobs: Job[];
}

export interface SchedulesResponse {
  schedules: Schedule[];
}

export interface ScheduleResponse {
  schedule: Schedule;
}

export interface RemovedResponse {
  removed: string;
}

// ---- events ----

export const OpsRunbookEventType = {
  JobUpdated: "ops.job.updated",
  ScheduleUpdated: "ops.schedule.updated",
} as const;

/** `ops.job.updated`: run created, started, each step started and finished, run finished. `globalRev` is ms. */
export interface JobUpdatedPayload {
  globalRev: number;
  job: Job;
}

/** `ops.schedule.updated`; `schedule` is an object in some variants and an id in others (§3.3). */
export type ScheduleUpdatedPayload =
  | { action: "created" | "updated"; schedule: Schedule }
  | { action: "deleted"; removed: string }
  | { action: "triggered"; schedule: string; jobId: string }
  | { action: "skipped"; schedule: string; jobId: string }
  | { action: "run_completed"; schedule: string; jobId: string; status: JobStatus };

// ---- errors ----

export const OpsRunbookErrorCode = {
  RunbookNotFound: "OPS_RUNBOOK_NOT_FOUND",
  JobNotFound: "OPS_JOB_NOT_FOUND",
  ScheduleNotFound: "SCHEDULE_NOT_FOUND",
  /** This port (the seed answered 500 STORE_ERROR): a runbook with that id exists. */
  RunbookExists: "OPS_RUNBOOK_EXISTS",
  /** This port: cancel of a job that already finished. */
  JobFinished: "OPS_JOB_FINISHED",
} as const;

export const OpsRunbookMessages = {
  runbookNameRequired: "runbook name is required",
  runbookNotFound: "runbook not found",
  runbookExists: "a runbook with this id already exists",
  invalidRunbookId: "runbook id must be 1-128 characters: letters, digits, dots, hyphens, underscores",
  stepsRequired: "runbook needs at least one step",
  tooManySteps: "a runbook has at most 100 steps",
  jobNotFound: "job not found",
  jobFinished: "job already finished",
  scheduleNotFound: "schedule not found",
  runbookIdRequired: "runbookId is required",
  nameRequired: "name is required",
  scheduleType: 'scheduleType must be "cron" or "once"',
  invalidCron: "invalid cron expression",
  invalidTimezone: "invalid timezone",
  runAtInvalid: "runAt must be a valid RFC3339 timestamp",
  runAtPast: "runAt must be in the future",
  invalidJson: "invalid json body",
} as const;

export const RUNBOOK_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
export const MAX_RUNBOOK_STEPS = 100;
/** Longest step time limit a runbook may set, in seconds (one day). */
export const MAX_TIMEOUT_SECONDS = 86_400;
