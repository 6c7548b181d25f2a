// Recovery (spec §7): owns the periodic collect, the restore jobs and what the routes read. Collects and
// restores never overlap (a restore's half-built session is not snapshotted); restores run one at a time, in
// the order they were asked for. A job never stays queued or running past its server: stopping fails it with a
// reason, and a server that starts fails whatever a crashed one left (Appendix A).
import { randomBytes } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { rfc3339Seconds } from "../../protocol/events.js";
import {
  type ConflictPolicy,
  RecoveryErrorCode,
  RecoveryEventType,
  type RecoveryJob,
  type RecoveryJobPayload,
  RecoveryMessages,
  type RecoveryOverview,
  type RecoveryOverviewPayload,
  type RecoverySession,
  type RestoreMode,
  type SessionSnapshot,
  type SnapshotMeta,
  ZERO_TIME,
} from "../../protocol/recovery.js";
import type { ServerConfig } from "../config.js";
import { DomainError } from "../errors.js";
import type { EventHub } from "../events/hub.js";
import type { Store } from "../store/database.js";
import type { ProjectionRepo } from "../store/projectionRepo.js";
import { RecoveryKey, RecoveryRepo } from "../store/recoveryRepo.js";
import type { Tmux, TmuxServerListing } from "../tmux/adapter.js";
import { readBootId } from "./bootId.js";
import { type CollectBasis, type CollectResult, collectOnce } from "./collector.js";
import { planRestore, type RestorePlan } from "./plan.js";
import {
  interruptedNote,
  PartialRestoreError,
  partialNote,
  RestoreError,
  runRestore,
  SESSION_CREATED_STEP,
} from "./restore.js";

export type RecoveryConfig = ServerConfig["recovery"];

export interface RecoveryDeps {
  store: Store;
  tmux: Tmux;
  events: EventHub;
  log: FastifyBaseLogger;
  config: RecoveryConfig;
  /** The watchtower's projection, and whether it is kept current. */
  projection: ProjectionRepo;
  projectionCurrent: () => boolean;
  /** Awaited before the first collect (the watchtower's first collect, so snapshots carry its tail previews). */
  beforeFirstCollect?: () => Promise<void>;
  /** Told when the live session set changed, or a restore changed tmux (the watchtower's `noteMutation`). */
  tmuxChanged?: () => void;
  /** Runs a snapshot's tmux calls without the watchtower's probe taking them for changes (`Watchtower.quietly`). */
  quietly?: <T>(call: () => Promise<T>) => Promise<T>;
  /** The live set from the watchtower's latest listing (`Watchtower.serverListing`), instead of a tmux call. */
  listing?: () => Promise<TmuxServerListing | undefined>;
}

export interface RestoreRequest {
  mode: RestoreMode;
  conflictPolicy: ConflictPolicy;
  /** "" means the snapshot's own session name. */
  targetSession: string;
}

/** Least time between two saves of a running job's progress. */
const PROGRESS_SAVE_MS = 250;

/**
 * A collect that stores no new snapshot writes the `running` refresh of its sessions and the time of the last
 * collect at most this often (ADR 0019): an idle server then writes nothing every few seconds.
 */
const REFRESH_EVERY_MS = 60_000;

const OPEN_JOB_STATES = ["queued", "running", "failed", "partial"] as const;

export class Recovery {
  readonly repo: RecoveryRepo;
  private readonly deps: RecoveryDeps;
  /** Collects and restores, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  /** The last collect's time (the store has it only every REFRESH_EVERY_MS). */
  private lastCollectAt: string | undefined;
  /** What the last collect was computed from: the next one is skipped when none of it moved (collector.ts). */
  private basis: CollectBasis | undefined;

  constructor(deps: RecoveryDeps) {
    this.deps = deps;
    this.repo = new RecoveryRepo(deps.store);
  }

  get enabled(): boolean {
    return this.deps.config.enabled;
  }

  /** Fails jobs a previous server left unfinished, then collects now and every interval. */
  start(): void {
    if (!this.enabled || this.closed) return;
    const stale = this.repo.failUnfinishedJobs(
      (job) => RecoveryMessages.interruptedByRestart + interruptedNote(job),
      this.now(),
    );
    for (const job of stale) {
      this.deps.log.warn(
        { job: job.id, session: job.sessionName },
        "recovery: restore job interrupted by a restart",
      );
    }
    const first = this.deps.beforeFirstCollect?.().catch(() => undefined) ?? Promise.resolve();
    void first.then(() => this.tick());
  }

  /** Collects (after whatever collect or restore is under way). Errors are logged and counted, not thrown. */
  collectNow(): Promise<CollectResult | undefined> {
    return this.enqueue(() => this.collect());
  }

  private tick(): void {
    if (this.closed) return;
    void this.collectNow().finally(() => {
      if (this.closed) return;
      this.timer = setTimeout(() => this.tick(), this.deps.config.snapshotIntervalMs);
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private now(): string {
    return rfc3339Seconds();
  }

  private async collect(): Promise<CollectResult | undefined> {
    if (this.closed) return undefined;
    let result: CollectResult;
    try {
      result = await collectOnce({
        store: this.deps.store,
        repo: this.repo,
        tmux: this.deps.tmux,
        projection: this.deps.projection,
        projectionCurrent: this.deps.projectionCurrent,
        readBootId: () => readBootId(this.deps.config.bootIdPath),
        maxSnapshots: this.deps.config.maxSnapshots,
        ...(this.deps.quietly ? { quietly: this.deps.quietly } : {}),
        ...(this.deps.listing ? { listing: this.deps.listing } : {}),
        refreshEveryMs: REFRESH_EVERY_MS,
        ...(this.basis ? { previous: this.basis } : {}),
      });
      this.lastCollectAt = result.collectedAt;
      this.basis = result.basis;
    } catch (error) {
      this.basis = undefined;
      if (!this.closed) this.deps.log.warn({ err: error }, "recovery collect failed");
      return undefined;
    }
    if (this.closed) return result;
    if (result.liveSetChanged) {
      this.deps.tmuxChanged?.();
      this.deps.events.publish("tmux.sessions.updated", {
        changedSessions: result.changed.length,
        liveCount: result.liveCount,
        action: "live-set",
      });
    }
    if (result.changed.length || result.killed.length || result.bootChanged || result.serverLost) {
      if (result.bootChanged || result.serverLost) {
        this.deps.log.warn(
          { bootChanged: result.bootChanged, serverLost: result.serverLost, killed: result.killed },
          "recovery: sessions lost",
        );
      }
      this.overviewEvent({
        changedSessions: result.changed.length,
        killed: result.killed.length,
        bootChanged: result.bootChanged,
        ...(result.serverLost ? { serverLost: true } : {}),
      });
    }
    return result;
  }

  private overviewEvent(payload: RecoveryOverviewPayload): void {
    this.deps.events.publish(RecoveryEventType.Overview, payload);
  }

  private jobEvent(payload: RecoveryJobPayload): void {
    this.deps.events.publish(RecoveryEventType.Job, payload);
  }

  async overview(): Promise<RecoveryOverview> {
    const bootId = await readBootId(this.deps.config.bootIdPath);
    return {
      bootId,
      lastBootId: this.repo.get(RecoveryKey.LastBootId) ?? "",
      lastCollectAt: this.lastCollectAt ?? (this.repo.get(RecoveryKey.LastCollectAt) || ZERO_TIME),
      lastBootChange: this.repo.get(RecoveryKey.LastBootChangeAt) || ZERO_TIME,
      killedSessions: this.killedSessions(),
      runningJobs: this.repo.jobs([...OPEN_JOB_STATES], 30),
    };
  }

  /** Sessions in killed, restoring or restored (§1.10). */
  killedSessions(): RecoverySession[] {
    return this.repo.sessions(["killed", "restoring", "restored"]);
  }

  snapshots(session: string, limit: number): SnapshotMeta[] {
    return this.repo.snapshots(session, limit);
  }

  snapshot(id: number): { meta: SnapshotMeta; payload: SessionSnapshot } | undefined {
    const meta = this.repo.snapshot(id);
    if (!meta) return undefined;
    return { meta, payload: JSON.parse(meta.payloadJson) as SessionSnapshot };
  }

  job(id: string): RecoveryJob | undefined {
    return this.repo.job(id);
  }

  /** Archives the session's recovery row and publishes it (§1.10, and DELETE of a session, §1.2). */
  archive(session: string): void {
    this.repo.archive(session, this.now());
    this.overviewEvent({ session, action: "archive" });
  }

  /** Follows a session rename into the recovery rows (best-effort, §1.2). */
  renameSession(from: string, to: string): void {
    try {
      this.repo.renameSession(from, to, this.now());
    } catch (error) {
      this.deps.log.warn({ err: error, from, to }, "recovery: rename of recovery rows failed");
    }
  }

  /**
   * Creates a restore job for the snapshot and runs it in the background (§7.2). Throws SNAPSHOT_NOT_FOUND; a
   * store failure propagates (the route answers RECOVERY_RESTORE_FAILED).
   */
  startRestore(snapshotId: number, request: RestoreRequest): RecoveryJob {
    const found = this.snapshot(snapshotId);
    if (!found) throw new DomainError(RecoveryErrorCode.SnapshotNotFound, RecoveryMessages.snapshotNotFound);
    const snapshot = found.payload;
    const plan = planRestore(snapshot);
    const job: RecoveryJob = {
      id: randomBytes(10).toString("hex"),
      sessionName: snapshot.sessionName,
      targetSession: request.targetSession || snapshot.sessionName,
      snapshotId,
      mode: request.mode,
      conflictPolicy: request.conflictPolicy,
      status: "queued",
      totalSteps: plan.totalSteps,
      completedSteps: 0,
      currentStep: "",
      error: "",
      createdAt: new Date().toISOString(),
    };
    this.repo.createJob(job);
    this.jobEvent({ jobId: job.id, status: "queued" });
    this.overviewEvent({ session: job.sessionName, action: "restore-started" });
    void this.enqueue(() => this.runJob(job, plan));
    return job;
  }

  private async runJob(job: RecoveryJob, plan: RestorePlan): Promise<void> {
    const { repo } = this;
    const { log } = this.deps;
    if (this.closed) return; // close() fails it.
    const timeout = AbortSignal.timeout(this.deps.config.restoreTimeoutMs);
    const signal = AbortSignal.any([this.abort.signal, timeout]);
    this.deps.store.transaction(() => {
      repo.setJobRunning(job.id, this.now());
      repo.markRestoring(job.sessionName, this.now());
    });
    this.jobEvent({ jobId: job.id, status: "running" });
    this.overviewEvent({ session: job.sessionName, status: "restoring" });
    // Every step is an event; the job row is updated at most every PROGRESS_SAVE_MS (each write is a commit to
    // disk) and at the end, so a slow disk does not slow the restore.
    let completed = 0;
    let step = "";
    let savedAt = 0;
    try {
      const target = await runRestore({
        tmux: this.deps.tmux,
        plan,
        mode: job.mode,
        conflictPolicy: job.conflictPolicy,
        target: job.targetSession,
        signal,
        step: (label) => {
          completed++;
          step = label;
          const now = performance.now();
          // "session created" is saved at once: a server killed after it leaves a session behind, and the next
          // start names it in the failed job (failUnfinishedJobs).
          if (now - savedAt >= PROGRESS_SAVE_MS || label === SESSION_CREATED_STEP) {
            savedAt = now;
            repo.setJobProgress(job.id, completed, plan.totalSteps, label);
          }
          this.jobEvent({
            jobId: job.id,
            status: "running",
            completed,
            total: plan.totalSteps,
            step: label,
          });
        },
        retarget: (target) => repo.setJobTarget(job.id, target),
      });
      if (signal.aborted) throw new RestoreError(String(signal.reason));
      this.deps.store.transaction(() => {
        repo.markRestored(job.sessionName, this.now());
        repo.finishJob(job.id, "succeeded", "", this.now(), { completed, step });
      });
      log.info({ job: job.id, session: job.sessionName, target }, "recovery: session restored");
      this.jobEvent({ jobId: job.id, status: "succeeded", target });
      this.overviewEvent({ session: job.sessionName, status: "restored" });
      this.deps.tmuxChanged?.();
      this.deps.events.publish("tmux.sessions.updated", { source: "recovery.restore", target });
      // Snapshot what was restored at once (the queue runs it right after this job).
      void this.collectNow();
    } catch (error) {
      const reason = signal.aborted
        ? timeout.aborted
          ? RecoveryMessages.timedOut
          : RecoveryMessages.interruptedByShutdown
        : (error as Error).message || String(error);
      const message =
        error instanceof PartialRestoreError ? `${reason}${partialNote(error.partial)}` : reason;
      if (!this.deps.store.isOpen) return;
      this.deps.store.transaction(() => {
        repo.finishJob(job.id, "failed", message, this.now(), { completed, step });
        repo.markRestoreFailed(job.sessionName, message, this.now());
      });
      log.warn({ job: job.id, session: job.sessionName, error: message }, "recovery: restore failed");
      this.jobEvent({ jobId: job.id, status: "failed", message });
      this.overviewEvent({ session: job.sessionName, status: "killed" });
    }
  }

  /**
   * Stops collecting and interrupts restores: every job not finished is failed at once, with a reason (so even a
   * stop cut short leaves none running), and a running one stops at its next step. Resolves when no job can write
   * any more, or after a second (the store may close after).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort(RecoveryMessages.interruptedByShutdown);
    if (this.deps.store.isOpen) {
      try {
        this.repo.failUnfinishedJobs(
          (job) => RecoveryMessages.interruptedByShutdown + interruptedNote(job),
          this.now(),
        );
      } catch (error) {
        this.deps.log.warn({ err: error }, "recovery: failing unfinished jobs at stop failed");
      }
    }
    const bounded = new Promise((resolve) => setTimeout(resolve, 1000).unref());
    await Promise.race([this.queue, bounded]);
  }
}
