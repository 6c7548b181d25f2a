// Recovery tables (spec §7, §9): recovery_sessions, recovery_snapshots, recovery_jobs and runtime_kv. Rows in,
// rows out; src/server/recovery decides what they hold. Callers that change several rows wrap the calls in one
// transaction.
import type {
  ConflictPolicy,
  RecoveryJob,
  RecoveryJobStatus,
  RecoverySession,
  RecoverySessionState,
  RestoreMode,
  SnapshotMeta,
} from "../../protocol/recovery.js";
import type { Store } from "./database.js";

type Raw = Record<string, string | number | bigint | null>;
const num = (v: unknown) => Number(v ?? 0);
const str = (v: unknown) => (v == null ? "" : String(v));

/** Keys of runtime_kv this port writes (the first four are the seed's, §9). */
export const RecoveryKey = {
  LastBootId: "recovery.last_boot_id",
  LastCollectAt: "recovery.last_collect_at",
  LastBootChangeAt: "recovery.last_boot_change_at",
  LastLiveSessions: "recovery.last_live_sessions",
  /** `<pid>:<start_time>` of the tmux server seen at the last collect, "" when none ran. */
  LastTmuxServer: "recovery.last_tmux_server",
  LastServerLossAt: "recovery.last_tmux_server_loss_at",
} as const;
export type RecoveryKey = (typeof RecoveryKey)[keyof typeof RecoveryKey];

/** Order of §7.1: killed → restoring → running → restored → other, then the newest snapshot first. */
const SESSION_ORDER = `CASE state WHEN 'killed' THEN 0 WHEN 'restoring' THEN 1 WHEN 'running' THEN 2
  WHEN 'restored' THEN 3 ELSE 4 END, snapshot_at DESC, name`;

const SESSION_COLUMNS = `name, state, latest_snapshot_id, snapshot_hash, snapshot_at, last_boot_id, last_seen_at,
  killed_at, restored_at, archived_at, restore_error, windows, panes`;
const SNAPSHOT_COLUMNS = `id, session_name, boot_id, state_hash, captured_at, active_window, active_pane_id, windows,
  panes, payload_json`;
const JOB_COLUMNS = `id, session_name, target_session, snapshot_id, mode, conflict_policy, status, total_steps,
  completed_steps, current_step, error, created_at, started_at, finished_at`;

function sessionRow(r: Raw): RecoverySession {
  const s: RecoverySession = {
    name: str(r.name),
    state: str(r.state) as RecoverySessionState,
    latestSnapshotId: num(r.latest_snapshot_id),
    snapshotHash: str(r.snapshot_hash),
    snapshotAt: str(r.snapshot_at),
    lastBootId: str(r.last_boot_id),
    lastSeenAt: str(r.last_seen_at),
    restoreError: str(r.restore_error),
    windows: num(r.windows),
    panes: num(r.panes),
  };
  if (r.killed_at) s.killedAt = str(r.killed_at);
  if (r.restored_at) s.restoredAt = str(r.restored_at);
  if (r.archived_at) s.archivedAt = str(r.archived_at);
  return s;
}

function snapshotRow(r: Raw): SnapshotMeta {
  return {
    id: num(r.id),
    sessionName: str(r.session_name),
    bootId: str(r.boot_id),
    stateHash: str(r.state_hash),
    capturedAt: str(r.captured_at),
    activeWindow: num(r.active_window),
    activePaneId: str(r.active_pane_id),
    windows: num(r.windows),
    panes: num(r.panes),
    payloadJson: str(r.payload_json),
  };
}

function jobRow(r: Raw): RecoveryJob {
  const j: RecoveryJob = {
    id: str(r.id),
    sessionName: str(r.session_name),
    targetSession: str(r.target_session),
    snapshotId: num(r.snapshot_id),
    mode: str(r.mode) as RestoreMode,
    conflictPolicy: str(r.conflict_policy) as ConflictPolicy,
    status: str(r.status) as RecoveryJobStatus,
    totalSteps: num(r.total_steps),
    completedSteps: num(r.completed_steps),
    currentStep: str(r.current_step),
    error: str(r.error),
    createdAt: str(r.created_at),
  };
  if (r.started_at) j.startedAt = str(r.started_at);
  if (r.finished_at) j.finishedAt = str(r.finished_at);
  return j;
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(",");

/** A snapshot row before it has an id. */
export type SnapshotWrite = Omit<SnapshotMeta, "id">;

export class RecoveryRepo {
  constructor(private readonly store: Store) {}

  // runtime_kv
  get(key: RecoveryKey): string | undefined {
    return this.store.get<{ value: string }>("SELECT value FROM runtime_kv WHERE key = ?", [key])?.value;
  }

  set(key: RecoveryKey, value: string, nowIso: string): void {
    this.store.run(
      `INSERT INTO runtime_kv (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, nowIso],
    );
  }

  // recovery_sessions
  session(name: string): RecoverySession | undefined {
    const r = this.store.get<Raw>(`SELECT ${SESSION_COLUMNS} FROM recovery_sessions WHERE name = ?`, [name]);
    return r ? sessionRow(r) : undefined;
  }

  /** Every row (any state) when `states` is empty. */
  sessions(states: RecoverySessionState[] = []): RecoverySession[] {
    const where = states.length ? `WHERE state IN (${placeholders(states.length)})` : "";
    return this.store
      .all<Raw>(`SELECT ${SESSION_COLUMNS} FROM recovery_sessions ${where} ORDER BY ${SESSION_ORDER}`, states)
      .map(sessionRow);
  }

  /** Stored hash of each session, to tell an unchanged snapshot without reading payloads. */
  hashes(): Map<string, string> {
    const rows = this.store.all<Raw>("SELECT name, snapshot_hash FROM recovery_sessions");
    return new Map(rows.map((r) => [str(r.name), str(r.snapshot_hash)]));
  }

  /**
   * Stores a snapshot whose hash differs from the session's (§7.1 step 4): a new snapshot row, and the session
   * back to `running` with killed_at, restored_at, archived_at and restore_error cleared. Returns its id.
   */
  insertSnapshot(s: SnapshotWrite, nowIso: string): number {
    this.store.run(
      `INSERT INTO recovery_snapshots (session_name, boot_id, state_hash, captured_at, active_window, active_pane_id,
         windows, panes, payload_json) VALUES (${placeholders(9)})`,
      [
        s.sessionName,
        s.bootId,
        s.stateHash,
        s.capturedAt,
        s.activeWindow,
        s.activePaneId,
        s.windows,
        s.panes,
        s.payloadJson,
      ],
    );
    const id = num(this.store.get<Raw>("SELECT last_insert_rowid() AS id")?.id);
    this.store.run(
      `INSERT INTO recovery_sessions (name, state, latest_snapshot_id, snapshot_hash, snapshot_at, last_boot_id,
         last_seen_at, windows, panes, updated_at) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET state = 'running', latest_snapshot_id = excluded.latest_snapshot_id,
         snapshot_hash = excluded.snapshot_hash, snapshot_at = excluded.snapshot_at,
         last_boot_id = excluded.last_boot_id, last_seen_at = excluded.last_seen_at, windows = excluded.windows,
         panes = excluded.panes, killed_at = '', restored_at = '', archived_at = '', restore_error = '',
         updated_at = excluded.updated_at`,
      [s.sessionName, id, s.stateHash, s.capturedAt, s.bootId, nowIso, s.windows, s.panes, nowIso],
    );
    return id;
  }

  /**
   * Unchanged snapshots (§7.1 step 4): the sessions are running and seen now; no snapshot row. Their window and
   * pane counts are part of the hash, so they are what is stored already. One statement for all of them.
   */
  /**
   * Of `names` (sessions whose snapshot did not change), those whose row a touch would change beyond its times:
   * not `running`, another boot id, a restore error; and those last seen before `seenBefore`.
   */
  needingTouch(names: string[], bootId: string, seenBefore: string): string[] {
    if (!names.length) return [];
    return this.store
      .all<Raw>(
        `SELECT name FROM recovery_sessions WHERE name IN (${placeholders(names.length)})
           AND (state != 'running' OR last_boot_id != ? OR restore_error != '' OR last_seen_at < ?)`,
        [...names, bootId, seenBefore],
      )
      .map((r) => str(r.name));
  }

  touchSessions(names: string[], bootId: string, nowIso: string): void {
    if (!names.length) return;
    this.store.run(
      `UPDATE recovery_sessions SET state = 'running', snapshot_at = ?, last_boot_id = ?, last_seen_at = ?,
         restore_error = '', updated_at = ? WHERE name IN (${placeholders(names.length)})`,
      [nowIso, bootId, nowIso, nowIso, ...names],
    );
  }

  /**
   * Sessions in running, restoring or restored that are not live become `killed` (§7.1 step 6), all of them or
   * only those named in `among`. Returns their names.
   */
  markKilled(
    live: ReadonlySet<string>,
    bootId: string,
    nowIso: string,
    among?: ReadonlySet<string>,
  ): string[] {
    const candidates = this.store
      .all<Raw>("SELECT name FROM recovery_sessions WHERE state IN ('running', 'restoring', 'restored')")
      .map((r) => str(r.name))
      .filter((name) => !live.has(name) && (!among || among.has(name)));
    for (const name of candidates) {
      this.store.run(
        `UPDATE recovery_sessions SET state = 'killed', killed_at = ?, last_seen_at = ?, last_boot_id = ?,
           restore_error = '', updated_at = ? WHERE name = ?`,
        [nowIso, nowIso, bootId, nowIso, name],
      );
    }
    return candidates;
  }

  /** Whether a row was archived. */
  archive(name: string, nowIso: string): boolean {
    return (
      this.store.run(
        "UPDATE recovery_sessions SET state = 'archived', archived_at = ?, updated_at = ? WHERE name = ?",
        [nowIso, nowIso, name],
      ).changes > 0
    );
  }

  markRestoring(name: string, nowIso: string): void {
    this.store.run(
      "UPDATE recovery_sessions SET state = 'restoring', restore_error = '', updated_at = ? WHERE name = ?",
      [nowIso, name],
    );
  }

  markRestored(name: string, nowIso: string): void {
    this.store.run(
      `UPDATE recovery_sessions SET state = 'restored', restored_at = ?, killed_at = '', restore_error = '',
         updated_at = ? WHERE name = ?`,
      [nowIso, nowIso, name],
    );
  }

  /** A failed restore leaves the session killed, with the reason (§7.2 step 7). */
  markRestoreFailed(name: string, message: string, nowIso: string): void {
    this.store.run(
      `UPDATE recovery_sessions SET state = 'killed', restore_error = ?,
         killed_at = CASE WHEN killed_at = '' THEN ? ELSE killed_at END, updated_at = ? WHERE name = ?`,
      [message, nowIso, nowIso, name],
    );
  }

  /** Renames a session's rows (best-effort, §1.2 PATCH); a row already under the new name gives way. */
  renameSession(from: string, to: string, nowIso: string): void {
    this.store.transaction(() => {
      if (this.session(from)) {
        this.store.run("DELETE FROM recovery_sessions WHERE name = ?", [to]);
        this.store.run("UPDATE recovery_sessions SET name = ?, updated_at = ? WHERE name = ?", [
          to,
          nowIso,
          from,
        ]);
      }
      this.store.run("UPDATE recovery_snapshots SET session_name = ? WHERE session_name = ?", [to, from]);
      this.store.run("UPDATE recovery_jobs SET session_name = ? WHERE session_name = ?", [to, from]);
    });
  }

  // recovery_snapshots
  snapshot(id: number): SnapshotMeta | undefined {
    const r = this.store.get<Raw>(`SELECT ${SNAPSHOT_COLUMNS} FROM recovery_snapshots WHERE id = ?`, [id]);
    return r ? snapshotRow(r) : undefined;
  }

  /** Newest first. */
  snapshots(session: string, limit: number): SnapshotMeta[] {
    return this.store
      .all<Raw>(
        `SELECT ${SNAPSHOT_COLUMNS} FROM recovery_snapshots WHERE session_name = ?
         ORDER BY captured_at DESC, id DESC LIMIT ?`,
        [session, limit],
      )
      .map(snapshotRow);
  }

  /** Keeps the newest `keep` snapshots of the session (§7.1 step 8); returns how many were removed. */
  trimSnapshots(session: string, keep: number): number {
    return this.store.run(
      `DELETE FROM recovery_snapshots WHERE session_name = ? AND id NOT IN (
         SELECT id FROM recovery_snapshots WHERE session_name = ? ORDER BY captured_at DESC, id DESC LIMIT ?)`,
      [session, session, keep],
    ).changes;
  }

  // recovery_jobs
  createJob(job: RecoveryJob): void {
    this.store.run(`INSERT INTO recovery_jobs (${JOB_COLUMNS}) VALUES (${placeholders(14)})`, [
      job.id,
      job.sessionName,
      job.targetSession,
      job.snapshotId,
      job.mode,
      job.conflictPolicy,
      job.status,
      job.totalSteps,
      job.completedSteps,
      job.currentStep,
      job.error,
      job.createdAt,
      job.startedAt ?? "",
      job.finishedAt ?? "",
    ]);
  }

  job(id: string): RecoveryJob | undefined {
    const r = this.store.get<Raw>(`SELECT ${JOB_COLUMNS} FROM recovery_jobs WHERE id = ?`, [id]);
    return r ? jobRow(r) : undefined;
  }

  /** Newest first. */
  jobs(statuses: RecoveryJobStatus[], limit: number): RecoveryJob[] {
    return this.store
      .all<Raw>(
        `SELECT ${JOB_COLUMNS} FROM recovery_jobs WHERE status IN (${placeholders(statuses.length)})
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
        [...statuses, limit],
      )
      .map(jobRow);
  }

  setJobRunning(id: string, nowIso: string): void {
    this.store.run("UPDATE recovery_jobs SET status = 'running', started_at = ? WHERE id = ?", [nowIso, id]);
  }

  setJobProgress(id: string, completed: number, total: number, step: string): void {
    this.store.run(
      "UPDATE recovery_jobs SET completed_steps = ?, total_steps = ?, current_step = ? WHERE id = ?",
      [completed, total, step, id],
    );
  }

  setJobTarget(id: string, target: string): void {
    this.store.run("UPDATE recovery_jobs SET target_session = ? WHERE id = ?", [target, id]);
  }

  /** Ends a job; `progress` also records where it got to (progress is saved only now and then on the way). */
  finishJob(
    id: string,
    status: "succeeded" | "failed",
    error: string,
    nowIso: string,
    progress?: { completed: number; step: string },
  ): void {
    if (progress) {
      this.store.run(
        `UPDATE recovery_jobs SET status = ?, error = ?, finished_at = ?, completed_steps = ?, current_step = ?
         WHERE id = ?`,
        [status, error, nowIso, progress.completed, progress.step, id],
      );
      return;
    }
    this.store.run("UPDATE recovery_jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?", [
      status,
      error,
      nowIso,
      id,
    ]);
  }

  /**
   * Jobs left queued or running (by a server that stopped): failed with `reason` (or what it gives for each job).
   * Returns them as they were.
   */
  failUnfinishedJobs(why: string | ((job: RecoveryJob) => string), nowIso: string): RecoveryJob[] {
    const stale = this.jobs(["queued", "running"], 1_000_000);
    for (const job of stale) {
      const reason = typeof why === "string" ? why : why(job);
      this.finishJob(job.id, "failed", reason, nowIso);
      this.store.run(
        `UPDATE recovery_sessions SET state = 'killed', restore_error = ?,
           killed_at = CASE WHEN killed_at = '' THEN ? ELSE killed_at END, updated_at = ?
         WHERE name = ? AND state = 'restoring'`,
        [reason, nowIso, nowIso, job.sessionName],
      );
    }
    return stale;
  }
}
