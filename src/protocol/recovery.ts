// Recovery on the wire (spec §1.10, §7, §3.3): session snapshots, recovery sessions, restore jobs, the
// overview, the request shapes of the `/api/recovery/*` routes, their errors, and the `recovery.*` events.

export type RecoverySessionState = "running" | "killed" | "restoring" | "restored" | "archived";
/** `safe` restores the layout and working directories only; `confirm` also types each pane's command without
 * running it (the user presses Enter); `full` types and runs it. */
export type RestoreMode = "safe" | "confirm" | "full";
export type ConflictPolicy = "rename" | "replace" | "skip";
/** `partial` is part of the wire type but never produced (as in the seed). */
export type RecoveryJobStatus = "queued" | "running" | "succeeded" | "failed" | "partial";

export const RESTORE_MODES: readonly RestoreMode[] = ["safe", "confirm", "full"];
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ["rename", "replace", "skip"];
export const DEFAULT_RESTORE_MODE: RestoreMode = "confirm";
export const DEFAULT_CONFLICT_POLICY: ConflictPolicy = "rename";

/** Unknown values are normalised to the defaults, silently (§1.10). Compared trimmed, case-insensitively. */
export function normalizeRestoreMode(value: string | undefined): RestoreMode {
  const v = (value ?? "").trim().toLowerCase();
  return (RESTORE_MODES as readonly string[]).includes(v) ? (v as RestoreMode) : DEFAULT_RESTORE_MODE;
}

export function normalizeConflictPolicy(value: string | undefined): ConflictPolicy {
  const v = (value ?? "").trim().toLowerCase();
  return (CONFLICT_POLICIES as readonly string[]).includes(v)
    ? (v as ConflictPolicy)
    : DEFAULT_CONFLICT_POLICY;
}

export interface WindowSnapshot {
  index: number;
  name: string;
  active: boolean;
  panes: number;
  /** tmux `window_layout` (its pane ids are those of the session snapshotted). */
  layout: string;
}

export interface PaneSnapshot {
  windowIndex: number;
  paneIndex: number;
  title: string;
  active: boolean;
  currentPath: string;
  startCommand: string;
  currentCommand: string;
  /** The watchtower's tail preview of the pane ("" when the snapshot came from tmux directly). */
  lastContent: string;
}

/** The payload of a snapshot (§7.1 step 4). Windows are sorted by index, panes by (window, pane). */
export interface SessionSnapshot {
  sessionName: string;
  capturedAt: string;
  bootId: string;
  attached: number;
  /** The active window's index, or the window of the active pane, or -1. */
  activeWindow: number;
  activePaneId: string;
  windows: WindowSnapshot[];
  panes: PaneSnapshot[];
}

/** A row of `recovery_sessions` (§7.1). Times are RFC 3339 (seconds, UTC); the optional ones only when set. */
export interface RecoverySession {
  name: string;
  state: RecoverySessionState;
  latestSnapshotId: number;
  snapshotHash: string;
  snapshotAt: string;
  lastBootId: string;
  lastSeenAt: string;
  killedAt?: string;
  restoredAt?: string;
  archivedAt?: string;
  restoreError: string;
  windows: number;
  panes: number;
}

/** Snapshot meta (§7.1); `payloadJson` is the payload as a JSON string. */
export interface SnapshotMeta {
  id: number;
  sessionName: string;
  bootId: string;
  stateHash: string;
  capturedAt: string;
  activeWindow: number;
  activePaneId: string;
  windows: number;
  panes: number;
  payloadJson: string;
}

export interface RecoveryJob {
  id: string;
  sessionName: string;
  targetSession: string;
  snapshotId: number;
  mode: RestoreMode;
  conflictPolicy: ConflictPolicy;
  status: RecoveryJobStatus;
  totalSteps: number;
  completedSteps: number;
  currentStep: string;
  error: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface RecoveryOverview {
  bootId: string;
  lastBootId: string;
  /** `0001-01-01T00:00:00Z` before the first collect (§0.4). */
  lastCollectAt: string;
  lastBootChange: string;
  /** Sessions in killed, restoring or restored. */
  killedSessions: RecoverySession[];
  /** Jobs queued, running, failed or partial, newest 30. */
  runningJobs: RecoveryJob[];
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";

// Responses.
export interface RecoveryOverviewResponse {
  overview: RecoveryOverview;
}
export interface RecoverySessionsResponse {
  sessions: RecoverySession[];
}
export interface RecoverySnapshotsResponse {
  snapshots: SnapshotMeta[];
}
export interface RecoverySnapshotResponse {
  snapshot: { meta: SnapshotMeta; payload: SessionSnapshot };
}
export interface RecoveryJobResponse {
  job: RecoveryJob;
}

export const SNAPSHOT_LIMIT_DEFAULT = 20;
export const SNAPSHOT_LIMIT_MAX = 200;

/** `?limit=` of the snapshots list: 1..200, anything else (absent, invalid, out of range) is 20 (§1.10). */
export function snapshotLimit(raw: unknown): number {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== "string" || !/^\d+$/.test(value.trim())) return SNAPSHOT_LIMIT_DEFAULT;
  const n = Number(value.trim());
  return n >= 1 && n <= SNAPSHOT_LIMIT_MAX ? n : SNAPSHOT_LIMIT_DEFAULT;
}

/** Job ids are 20 lowercase hex characters. */
export const JOB_ID_PATTERN = /^[0-9a-f]{20}$/;

export const RecoveryErrorCode = {
  Disabled: "RECOVERY_DISABLED",
  Error: "RECOVERY_ERROR",
  RestoreFailed: "RECOVERY_RESTORE_FAILED",
  SnapshotNotFound: "SNAPSHOT_NOT_FOUND",
  JobNotFound: "JOB_NOT_FOUND",
} as const;

export const RecoveryMessages = {
  disabled: "recovery is disabled",
  invalidSnapshotId: "invalid snapshot id",
  snapshotNotFound: "snapshot not found",
  jobNotFound: "job not found",
  targetSession: "targetSession must match ^[A-Za-z0-9._-]{1,64}$",
  storeError: "recovery store failure",
  restoreFailed: "failed to start restore",
  /** A job that was queued or running when its server stopped (Appendix A: no job stays `running`). */
  interruptedByRestart: "interrupted: the server restarted while the restore was running",
  interruptedByShutdown: "interrupted: the server stopped while the restore was running",
  timedOut: "restore timed out",
} as const;

// Events (§3.3).
export const RecoveryEventType = {
  Overview: "recovery.overview.updated",
  Job: "recovery.job.updated",
} as const;

export type RecoveryOverviewPayload =
  | { session: string; action: "archive" | "restore-started" }
  | { changedSessions: number; killed: number; bootChanged: boolean; serverLost?: boolean }
  | { session: string; status: "restoring" | "restored" | "killed" };

export type RecoveryJobPayload =
  | { jobId: string; status: "queued" | "running" }
  | { jobId: string; status: "running"; completed: number; total: number; step: string }
  | { jobId: string; status: "failed"; message: string }
  | { jobId: string; status: "succeeded"; target: string };
