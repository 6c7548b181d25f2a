// When `scan` mode's probe (./outputProbe.ts) looks at the tmux server's counters (ADR 0023). A look on a timer
// wakes this server, and on a VM a Node process pays ~0.2 ms of CPU per wake-up whatever the callback does (an
// empty 50 ms timer alone: ~0.4 % of a core); the look itself is a few tens of microseconds. So:
// - the probe looks every `fastMs` while tmux keeps moving for someone else, and every `slowMs` once it has been
//   still (or moved only for this server's own terminals: their echo, which asks for no collect) for
//   PROBE_SETTLE_MS; a move seen on the slow beat brings the fast one back at once;
// - while this server's own terminals type or are drawn it is awake anyway: a look that is half a period due runs
//   then (`awake`, in the same turn of the event loop), and the timer stands back to BACKSTOP_PERIODS periods, so
//   a user who types wakes the server for nothing else.

/** How long tmux stays still (for anyone but our own terminals) before the probe slows down. */
export const PROBE_SETTLE_MS = 2000;
/** After a look made while awake for our own terminals, the timer's next look is this many periods away. */
const BACKSTOP_PERIODS = 2;

export class ProbeClock {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private every = 0;
  private movedAt: number;
  private lookedAt: number;

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
   * This server is awake for its own terminals' traffic: if half a period has passed since the last look, look
   * in this turn of the event loop (after the traffic is handled) rather than wake up for it later.
   */
  awake(): void {
    if (this.every === 0 || this.immediate || this.now() - this.lookedAt < this.every / 2) return;
    this.immediate = setImmediate(this.awakeLook);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    this.every = 0;
  }

  /** The next timed look after `period` (the beat), or `delay` when that differs (the backstop). */
  private arm(period: number, delay = period): void {
    if (this.timer) clearTimeout(this.timer);
    this.every = period;
    this.timer = setTimeout(this.timedLook, delay);
  }

  private readonly timedLook = (): void => {
    this.timer = undefined;
    this.lookNow(false);
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
    this.arm(period, awake ? period * BACKSTOP_PERIODS : period);
  }
}
