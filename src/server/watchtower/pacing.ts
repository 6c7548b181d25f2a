// When the watchtower (./engine.ts) collects: the timer of the next collect asked for (debounced, and paced by the
// minimum interval since the last one) and the timer of the next timed listing or full collect (the safety net).
import type { ServerConfig } from "../config.js";
import type { Demand } from "./demand.js";

type WatchtowerConfig = ServerConfig["watchtower"];

/**
 * Collects for new activity (a pane that did not write before the last collect, a mutation through this server)
 * start at least this far apart; `minCollectIntervalMs` (longer) holds only for panes that keep writing, so a
 * pane printing continuously costs a few collects a second while fresh output elsewhere is not kept waiting.
 */
const FRESH_INTERVAL_MS = 100;
/**
 * `scan` mode without a usable output probe (no /proc, another user's tmux): list this often instead, so output
 * is still seen within a fraction of a second; each listing is one tmux process.
 */
const SCAN_FALLBACK_INTERVAL_MS = 250;
/**
 * `scan` mode while the probe watches: a listing this often anyway, for a change that landed in the instant
 * between a listing and the probe's new baseline (the probe sees everything else, output and commands alike).
 */
const SCAN_WATCHED_INTERVAL_MS = 5000;
/**
 * `scan` mode: when all tmux read since the probe's last look is the echo drawn on this server's own terminals
 * (keys typed over /ws and what tmux drew back), the user sees it already; a collect follows this long after the
 * last one instead of at once, so typing does not cost a tmux process per key.
 */
export const OWN_STREAM_INTERVAL_MS = 1000;

/** What the safety net's due time depends on besides the demand. */
export interface SafetyView {
  /** `scan` mode: whether the output probe can read tmux's counters; undefined in the other modes. */
  probeAvailable: boolean | undefined;
  liveSessions: number;
  /** Control clients watch at least one session (`events` mode). */
  watching: boolean;
}

export class Pacer {
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private safetyTimer: NodeJS.Timeout | undefined;
  private safetyDue = 0;

  constructor(
    private readonly config: WatchtowerConfig,
    private readonly demand: Demand,
    /** `scan` mode: the probe's period already gathers output that comes together, so no debounce on top. */
    private readonly probing: boolean,
    /** Runs a collect (the engine's `runCollect`). */
    private readonly collect: () => void,
    private readonly running: () => boolean,
  ) {}

  /**
   * A collect soon: after the debounce, and not sooner than the minimum interval since the last one (the short
   * one when something new changed: a mutation through this server, or a pane that had not written before the
   * last collect).
   */
  request(): void {
    const now = Date.now();
    const interval = this.demand.fresh
      ? Math.min(FRESH_INTERVAL_MS, this.config.minCollectIntervalMs)
      : this.config.minCollectIntervalMs;
    const debounce = this.probing ? 0 : this.config.debounceMs;
    const due = Math.max(now + debounce, this.demand.lastCollectStart + interval);
    this.schedule(due - now);
  }

  /** A collect after `delayMs`, unless one is due sooner already. */
  schedule(delayMs: number): void {
    const due = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.collect();
      },
      Math.max(0, delayMs),
    );
  }

  /** A collect starting now takes whatever the pending timer was for. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The next full collect: `safetyIntervalMs` after the last one while control clients watch, `tickIntervalMs`
   * in poll mode and while none can (no tmux server yet, or every session unwatched). Collects triggered by
   * notices do not push it back. In `scan` mode a listing (captures only of what moved) runs every
   * `SCAN_WATCHED_INTERVAL_MS` while the probe watches tmux, every `SCAN_FALLBACK_INTERVAL_MS` while it cannot
   * (sessions exist but /proc is not readable), every `tickIntervalMs` while there is no tmux server to find; and a
   * full collect every `safetyIntervalMs`.
   */
  scheduleSafety(view: SafetyView): void {
    const { demand, config } = this;
    let due: number;
    if (view.probeAvailable !== undefined) {
      const tick = view.probeAvailable
        ? Math.max(SCAN_WATCHED_INTERVAL_MS, config.tickIntervalMs)
        : view.liveSessions > 0
          ? SCAN_FALLBACK_INTERVAL_MS
          : config.tickIntervalMs;
      due = Math.min(demand.lastCollectStart + tick, demand.lastFullAt + config.safetyIntervalMs);
    } else {
      due = demand.lastFullAt + (view.watching ? config.safetyIntervalMs : config.tickIntervalMs);
    }
    if (this.safetyTimer && this.safetyDue === due) return;
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.safetyDue = due;
    this.safetyTimer = setTimeout(
      () => {
        this.safetyTimer = undefined;
        if (!this.probing || Date.now() >= demand.lastFullAt + config.safetyIntervalMs) demand.fullDue = true;
        demand.dirty = true;
        if (!this.running()) this.schedule(0);
      },
      Math.max(0, due - Date.now()),
    );
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.timer = this.safetyTimer = undefined;
  }
}
