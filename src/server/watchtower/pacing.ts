// When the watchtower (./engine.ts) collects: the timer of the next collect asked for (debounced, and paced by the
// minimum interval since the last one) and the timer of the next timed listing or full collect (the safety net;
// while the probe watches, a full collect due while this server's own terminals type waits for a pause, ADR 0026).
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
 * `scan` mode, output in volume that keeps coming (`Demand.flooding`): collects at least this far apart
 * (`minCollectIntervalMs` when longer). Each collect starts a tmux process (2–12 ms of this server's CPU); at the
 * 250 ms minimum interval a printing pane cost ~8.5 % of a core (`npm run bench -- activity`). New activity
 * elsewhere during the flood is seen at this pace too; the reference Sentinel collects every 1 s.
 */
const FLOOD_INTERVAL_MS = 500;
/**
 * `scan` mode without a usable output probe (no /proc, another user's tmux): list this often instead, so output
 * is still seen within a fraction of a second; each listing is one tmux process.
 */
const SCAN_FALLBACK_INTERVAL_MS = 250;
/**
 * `scan` mode while the probe watches: a listing this long after a collect that may have missed a change in the
 * instant between its listing and the probe's new baseline (`Demand.confirmDue`). Not on a timer otherwise: the
 * probe sees output and commands alike, so an idle tmux is left alone (ADR 0021).
 */
const SCAN_CONFIRM_DELAY_MS = 5000;
/**
 * `scan` mode while the probe watches: a full collect at most this often (`safetyIntervalMs` when longer). It
 * bounds how long a change that both the probe and the footprint check missed can go unseen.
 */
const SCAN_PROBED_SAFETY_MS = 60_000;
/**
 * `scan` mode while the probe watches: a full collect that falls due while this server's own terminals type waits
 * for a pause in their traffic, checked this often… It captures every pane (10-40 ms of this server's CPU, in part
 * on the event loop that relays the keys), and it is only the safety net: the typing's own looks still watch tmux.
 */
export const SAFETY_TYPING_RECHECK_MS = 1000;
/** …but not longer than this past its time: typing that goes on is not a reason to skip the safety net. */
export const SAFETY_TYPING_MAX_DEFER_MS = 30_000;

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
  /** How often the safety net's full collect runs, as the last `scheduleSafety` found. */
  private fullEvery = 0;
  /** The probe watches tmux (`scan` mode, counters readable), as the last `scheduleSafety` found. */
  private probeWatching = false;

  constructor(
    private readonly config: WatchtowerConfig,
    private readonly demand: Demand,
    /** `scan` mode: the probe's period already gathers output that comes together, so no debounce on top. */
    private readonly probing: boolean,
    /** Runs a collect (the engine's `runCollect`). */
    private readonly collect: () => void,
    private readonly running: () => boolean,
    /** This server's own terminals have typed or been drawn within the last second (engine.ts). */
    private readonly typing: () => boolean,
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
      : this.demand.flooding
        ? Math.max(FLOOD_INTERVAL_MS, this.config.minCollectIntervalMs)
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
   * notices do not push it back. In `scan` mode while the probe watches tmux, a confirming listing (captures only
   * of what moved) `SCAN_CONFIRM_DELAY_MS` after the last collect when one is due (`Demand.confirmDue`) and a full
   * collect every `SCAN_PROBED_SAFETY_MS` (or `safetyIntervalMs` if longer), nothing else; while the probe cannot
   * watch, a listing every `SCAN_FALLBACK_INTERVAL_MS` while sessions exist, every `tickIntervalMs` while there is
   * no tmux server to find, and a full collect every `safetyIntervalMs`. A full collect due while the probe watches
   * and this server's own terminals type (and no confirming listing is due) waits for a pause in their traffic,
   * at most `SAFETY_TYPING_MAX_DEFER_MS` (`safetyFired`).
   */
  scheduleSafety(view: SafetyView): void {
    const { demand, config } = this;
    let due: number;
    this.fullEvery = config.safetyIntervalMs;
    this.probeWatching = view.probeAvailable === true;
    if (view.probeAvailable) {
      this.fullEvery = Math.max(config.safetyIntervalMs, SCAN_PROBED_SAFETY_MS);
      due = demand.lastFullAt + this.fullEvery;
      if (demand.confirmDue)
        due = Math.min(due, demand.lastCollectStart + Math.max(SCAN_CONFIRM_DELAY_MS, config.tickIntervalMs));
    } else if (view.probeAvailable !== undefined) {
      const tick = view.liveSessions > 0 ? SCAN_FALLBACK_INTERVAL_MS : config.tickIntervalMs;
      due = Math.min(demand.lastCollectStart + tick, demand.lastFullAt + config.safetyIntervalMs);
    } else {
      due = demand.lastFullAt + (view.watching ? config.safetyIntervalMs : config.tickIntervalMs);
    }
    if (this.safetyTimer && this.safetyDue === due) return;
    this.armSafety(due, due - Date.now());
  }

  private armSafety(due: number, delayMs: number): void {
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.safetyDue = due;
    this.safetyTimer = setTimeout(this.safetyFired, Math.max(0, delayMs));
  }

  private readonly safetyFired = (): void => {
    this.safetyTimer = undefined;
    const { demand } = this;
    const now = Date.now();
    const full = !this.probing || now >= demand.lastFullAt + this.fullEvery;
    if (full) demand.fullDue = true;
    // A full collect alone (no confirming listing due) waits for a pause in our own terminals' typing; a collect
    // that runs meanwhile for anything else is the full one (`fullDue` is set).
    if (
      full &&
      this.probeWatching &&
      !demand.confirmDue &&
      now < this.safetyDue + SAFETY_TYPING_MAX_DEFER_MS &&
      this.typing()
    ) {
      this.armSafety(this.safetyDue, SAFETY_TYPING_RECHECK_MS);
      return;
    }
    // This listing is the confirming one (a later doubt asks for another).
    demand.confirmDue = false;
    demand.dirty = true;
    if (!this.running()) this.schedule(0);
  };

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.timer = this.safetyTimer = undefined;
  }
}
