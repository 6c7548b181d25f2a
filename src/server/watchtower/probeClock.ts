// When `scan` mode's probe (./outputProbe.ts) looks at the tmux server's counters (ADR 0023). A look on a timer
// wakes this server, and on a VM a Node process pays ~0.2 ms of CPU per wake-up whatever the callback does (an
// empty 50 ms timer alone: ~0.4 % of a core); the look itself is a few tens of microseconds. So:
// - the probe looks every `fastMs` while tmux keeps moving for someone else, and every `slowMs` once it has been
//   still (or moved only for this server's own terminals: their echo, which asks for no collect) for
//   PROBE_SETTLE_MS; a move seen on the slow beat brings the fast one back at once;
// - while this server's own terminals type or are drawn it is awake anyway: a look that is due runs then (`awake`,
//   in the same turn of the event loop), AWAKE_LOOK_PERIODS periods apart. Their echo asks for no collect, and
//   each look reads two /proc files (~70-90 µs of CPU), so while the user types, other panes' output is seen
//   within that many periods instead of one (ADR 0026). The timer is not moved at each key:
//   Node keeps its libuv timer at the earliest time it was ever due, so a timer pushed later still wakes the
//   process at its old time (measured: one wake-up per key typed 150 ms apart). It stays where it is, and when
//   it fires within a period of our own traffic it only checks back AWAKE_CHECK_PERIODS periods later: a user
//   who types wakes the server for nothing else but that check (ADR 0023, addendum).

/** How long tmux stays still (for anyone but our own terminals) before the probe slows down. */
export const PROBE_SETTLE_MS = 2000;
/**
 * While our own terminals' traffic carries the looks, they run at most this often: one every this many periods
 * (600 ms on the default slow beat, 200 ms on the fast one)…
 */
export const AWAKE_LOOK_PERIODS = 4;
/**
 * …and the timer checks back this many periods apart: once typing stops, the beat is back within this many
 * periods (1.2 s on the default slow beat, 400 ms on the fast one).
 */
export const AWAKE_CHECK_PERIODS = 8;

export class ProbeClock {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private every = 0;
  private movedAt: number;
  private lookedAt: number;
  /** When this server's own terminals last had traffic (`awake`). */
  private trafficAt = Number.NEGATIVE_INFINITY;
  private timersSet = 0;

  constructor(
    private readonly fastMs: number,
    /** A slower beat than the fast one, or the same (no slowing down); never faster. */
    private readonly slowMs: number,
    private readonly look: () => void,
    private readonly now: () => number = Date.now,
  ) {
    // Start-up is when the first listings run and a client attaches: look often until tmux has settled.
    this.movedAt = this.lookedAt = now();
  }

  /** Starts the fast beat. */
  start(): void {
    this.arm(this.fastMs);
  }

  /** How many times the clock has set its timer (each one a wake-up of this server when it fires, or is moved). */
  get timers(): number {
    return this.timersSet;
  }

  /** When this server's own terminals last had traffic (`awake`; -Infinity before any). */
  get lastTraffic(): number {
    return this.trafficAt;
  }

  /** The period the probe looks at now (0 before `start` and after `close`). */
  get period(): number {
    return this.every;
  }

  /** tmux moved for someone other than this server's own terminals: the fast beat, from now on. */
  moved(): void {
    this.movedAt = this.now();
    if (this.every !== 0 && this.every !== this.fastMs) this.arm(this.fastMs);
  }

  /**
   * This server is awake for its own terminals' traffic: if AWAKE_LOOK_PERIODS periods have passed since the last
   * look, look in this turn of the event loop (after the traffic is handled) rather than wake up for it later.
   */
  awake(): void {
    if (this.every === 0) return;
    const now = this.now();
    this.trafficAt = now;
    if (this.immediate || now - this.lookedAt < this.every * AWAKE_LOOK_PERIODS) return;
    this.immediate = setImmediate(this.awakeLook);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    this.every = 0;
  }

  /** The next timed look after `period` (the beat), or `delay` when that differs (the check while awake). */
  private arm(period: number, delay = period): void {
    if (this.timer) clearTimeout(this.timer);
    this.every = period;
    this.timersSet++;
    this.timer = setTimeout(this.timedLook, delay);
  }

  private readonly timedLook = (): void => {
    this.timer = undefined;
    // Our own terminals had traffic within the last period: their keys carry the looks; check back later.
    if (this.now() - this.trafficAt < this.every) this.arm(this.every, this.every * AWAKE_CHECK_PERIODS);
    else this.lookNow(false);
  };

  private readonly awakeLook = (): void => {
    this.immediate = undefined;
    if (this.every !== 0) this.lookNow(true);
  };

  private lookNow(awake: boolean): void {
    this.lookedAt = this.now();
    const before = this.timer;
    this.look();
    if (this.every === 0 || this.timer !== before) return; // closed, or a move during the look armed the fast beat
    // Slow once tmux has been still for PROBE_SETTLE_MS.
    const still = this.now() - this.movedAt >= PROBE_SETTLE_MS;
    const period = still ? Math.max(this.slowMs, this.fastMs) : this.fastMs;
    if (!awake) this.arm(period);
    // A look while awake leaves a timer that is already set where it is (see the header); it sets one only if
    // there is none or the beat changed.
    else if (!this.timer || period !== this.every) this.arm(period, period * AWAKE_CHECK_PERIODS);
  }
}
