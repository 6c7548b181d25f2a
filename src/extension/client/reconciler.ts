// Reconciliation of the events stream (spec §3.6, docs/decisions/0003-events.md), as a state machine with its
// effects injected: it tracks `lastEventId` and `lastGlobalRev`, applies the patches events carry, detects gaps
// (`eventId > lastEventId + 1`) and `events.reconcile` notices, and asks for
// `GET /api/tmux/activity/delta?since=lastGlobalRev` at most once per 900 ms (a request made meanwhile runs
// once the window has passed); `overflow:true`, or a server without the delta route, means a full reload.
// No `vscode` import.
import type { ActivityDeltaResponse, InspectorPatch, SessionPatch } from "../../protocol/activity.js";
import { type EventEnvelope, EventType, type ReconcilePayload } from "../../protocol/events.js";

import { eventIdStep } from "./eventIds.js";

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ReconcilerEffects {
  /** `GET /api/tmux/activity/delta?since=…`; reject with `{status:404}` when the server has no such route. */
  delta(since: number): Promise<ActivityDeltaResponse>;
  /** Reload sessions and every loaded inspector over HTTP. */
  fullReload(reason: string): Promise<void>;
  applyPatches(
    sessionPatches: SessionPatch[] | undefined,
    inspectorPatches: InspectorPatch[] | undefined,
  ): void;
  /** Any event that is not a connection message, after its patches were applied (mutations, guardrails…). */
  onEvent?(event: EventEnvelope): void;
  /** Events may have been lost: every list kept current by events reloads (after the sessions' own repair). */
  missed?(reason: MissedReason): void;
  log?(message: string): void;
}

/**
 * Why events may have been lost, the one signal every view model handles the same way (it reloads its list):
 * - `connected`: the first connection to this server (nothing was seen yet);
 * - `reconnected`: a connection that could not resume (no replay: another server process, or `?since` refused);
 * - `gap`: ids were skipped on a connection;
 * - `reconcile`: the server says it could not replay or send everything (`events.reconcile`).
 */
export type MissedReason = "connected" | "reconnected" | "gap" | "reconcile";

export interface ConnectionInfo {
  /** `X-Sentinel-Events-Epoch` of the upgrade response; undefined for a server without replay (the Go seed). */
  epoch: string | undefined;
  /** Whether this connection asked for a replay with `?since=` and the previous connection's epoch. */
  resumed: boolean;
}

export interface ReconcilerStats {
  lastEventId: number;
  lastGlobalRev: number;
  epoch: string | undefined;
  gaps: number;
  deltas: number;
  fullReloads: number;
  reconcileNotices: number;
}

/** Events whose payload `globalRev` is the watchtower journal revision (ops events carry Date.now() instead). */
/** They also carry the session and inspector patches. */
const JOURNAL_EVENTS = new Set<string>([EventType.SessionsUpdated, EventType.ActivityUpdated]);

export class Reconciler {
  private lastEventId = 0;
  private lastGlobalRev = 0;
  private epoch: string | undefined;
  private everConnected = false;
  private inFlight = false;
  private pendingReason: string | undefined;
  private timer: unknown;
  private lastDeltaAt = Number.NEGATIVE_INFINITY;
  private disposed = false;
  private readonly counters = { gaps: 0, deltas: 0, fullReloads: 0, reconcileNotices: 0 };

  constructor(
    private readonly effects: ReconcilerEffects,
    private readonly clock: Clock = systemClock,
    private readonly throttleMs = 900,
  ) {}

  get stats(): ReconcilerStats {
    return {
      lastEventId: this.lastEventId,
      lastGlobalRev: this.lastGlobalRev,
      epoch: this.epoch,
      ...this.counters,
    };
  }

  /** Query of the next `/ws/events` URL: a replay from the last event of the same server process. */
  resumeQuery(): string {
    if (!this.everConnected || this.lastEventId <= 0 || !this.epoch) return "";
    return `?since=${this.lastEventId}&epoch=${encodeURIComponent(this.epoch)}`;
  }

  /** Another server (endpoint changed): forget ids and revisions; the next connection loads in full. */
  reset(): void {
    this.lastEventId = 0;
    this.lastGlobalRev = 0;
    this.epoch = undefined;
    this.everConnected = false;
    this.pendingReason = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A connection was opened (before its `events.ready`). */
  connected(info: ConnectionInfo): void {
    const first = !this.everConnected;
    this.everConnected = true;
    const previousEpoch = this.epoch;
    this.epoch = info.epoch;
    if (first) {
      this.runFullReload("initial");
      this.effects.missed?.("connected");
      return;
    }
    if (info.epoch && info.resumed && info.epoch === previousEpoch) {
      // The server replays what we missed, or says `events.reconcile` when it cannot.
      return;
    }
    // No replay: ids may have restarted (a new process, or a server without `since`).
    if (!info.epoch || info.epoch !== previousEpoch) this.lastEventId = 0;
    this.requestDelta("reconnect");
    this.effects.missed?.("reconnected");
  }

  /** One message of `/ws/events`. Non-envelopes (e.g. `tmux.seen.ack`) go through `applyAck`. */
  handle(event: EventEnvelope): void {
    if (this.disposed) return;
    const payload = (event.payload ?? {}) as Record<string, unknown>;
    if (event.type === EventType.Reconcile) {
      this.counters.reconcileNotices++;
      const notice = payload as unknown as Partial<ReconcilePayload>;
      if (typeof notice.lastEventId === "number" && notice.lastEventId >= 0)
        this.lastEventId = notice.lastEventId;
      this.requestDelta(`reconcile:${notice.reason ?? "unknown"}`);
      this.effects.missed?.("reconcile");
      return;
    }
    if (event.type === EventType.Ready) return;
    const step = eventIdStep(this.lastEventId, event.eventId);
    if (step === "gap") {
      this.counters.gaps++;
      this.effects.log?.(`events: gap after ${this.lastEventId} (got ${event.eventId})`);
      this.requestDelta("gap");
    }
    // Ids that start over are handled by the connection (a new epoch resets the position), not here.
    if (step !== "untracked" && event.eventId > this.lastEventId) this.lastEventId = event.eventId;
    if (step === "gap") this.effects.missed?.("gap");
    if (JOURNAL_EVENTS.has(event.type)) {
      this.raiseGlobalRev(payload.globalRev);
      const sessionPatches = payload.sessionPatches as SessionPatch[] | undefined;
      const inspectorPatches = payload.inspectorPatches as InspectorPatch[] | undefined;
      if (Array.isArray(sessionPatches) || Array.isArray(inspectorPatches))
        this.effects.applyPatches(
          Array.isArray(sessionPatches) ? sessionPatches : undefined,
          Array.isArray(inspectorPatches) ? inspectorPatches : undefined,
        );
    }
    this.effects.onEvent?.(event);
  }

  /** A `tmux.seen.ack` or an HTTP seen response: patches and the revision, no event id. */
  applySeen(result: {
    globalRev?: number;
    sessionPatches?: SessionPatch[];
    inspectorPatches?: InspectorPatch[];
  }): void {
    this.raiseGlobalRev(result.globalRev);
    if (result.sessionPatches?.length || result.inspectorPatches?.length)
      this.effects.applyPatches(result.sessionPatches, result.inspectorPatches);
  }

  /** Ask for a delta; throttled to one call per `throttleMs`, coalescing requests made meanwhile. */
  requestDelta(reason: string): void {
    if (this.disposed) return;
    this.pendingReason ??= reason;
    if (this.inFlight || this.timer !== undefined) return;
    const wait = this.lastDeltaAt + this.throttleMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.runDelta();
      }, wait);
      return;
    }
    this.runDelta();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private raiseGlobalRev(value: unknown): void {
    if (typeof value === "number" && Number.isSafeInteger(value) && value > this.lastGlobalRev)
      this.lastGlobalRev = value;
  }

  private runDelta(): void {
    const reason = this.pendingReason ?? "request";
    this.pendingReason = undefined;
    this.inFlight = true;
    this.lastDeltaAt = this.clock.now();
    this.counters.deltas++;
    const since = this.lastGlobalRev;
    this.effects.log?.(`events: delta since ${since} (${reason})`);
    this.effects
      .delta(since)
      .then(
        (delta) => {
          if (this.disposed) return;
          if (delta.sessionPatches?.length || delta.inspectorPatches?.length)
            this.effects.applyPatches(delta.sessionPatches, delta.inspectorPatches);
          this.raiseGlobalRev(delta.globalRev);
          if (delta.overflow) return this.fullReload("delta overflow");
        },
        (error: { status?: number; message?: string }) => {
          if (this.disposed) return;
          this.effects.log?.(`events: delta failed (${error?.message ?? error}); full reload`);
          return this.fullReload(error?.status === 404 ? "no delta route" : "delta failed");
        },
      )
      .finally(() => {
        this.inFlight = false;
        if (this.pendingReason !== undefined && !this.disposed) this.requestDelta(this.pendingReason);
      });
  }

  private runFullReload(reason: string): void {
    void this.fullReload(reason);
  }

  private fullReload(reason: string): Promise<void> {
    this.counters.fullReloads++;
    return this.effects.fullReload(reason).catch((error: Error) => {
      this.effects.log?.(`events: full reload failed: ${error?.message ?? error}`);
    });
  }
}
