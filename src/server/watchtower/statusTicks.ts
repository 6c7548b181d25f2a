// tmux's status-line timers, told apart from tmux commands (ADR 0025). Every client attached to a session with a
// status line has a timer (status.c, `status_timer_callback`) that fires every `status-interval` seconds from when
// the client attached (or the option last changed), re-armed as it fires. Each firing wakes the tmux server once
// to redraw that client's status line; it reads nothing, and writes nothing unless the line changed (the default
// one shows minutes). To the output probe (./outputProbe.ts) that is a wake-up without a byte read, which is what
// a tmux command from the CLI looks like (a rename, a kill: read with recvmsg, which /proc does not count), so the
// watchtower would list at once and confirm later: two tmux processes every 15 s per attached client, idle or not.
//
// A command from the CLI wakes tmux at least twice (its client connects, then leaves: measured 2–6 runs); a timer
// tick, once. So a look that saw exactly one wake-up and no byte read is a tick if it falls where a tick is due:
// each such lone wake-up that is not one starts a train, one per status period the sessions have, expecting the
// next tick one period later; a lone wake-up in that window is a tick, which narrows the window (the first look
// can only say "between my last two looks"; each match intersects). A tick may come late (tmux busy), never
// early: the window reaches LATE_MS further, and the train follows the late tick. A train whose ticks stop (the
// client left, its timer moved: the option changed) expires after a few periods. What a tick could hide is a
// change that also wakes tmux exactly once, reads nothing and lands in the same window: the 60 s full collect
// bounds how long that goes unseen.

/** How far a tick may land from where its train expects it, per period: timer slack and ms clock rounding. */
const DRIFT_MS = 15;
/**
 * How much later still: a timer never fires early, but a busy tmux (or a busy machine) runs it late, and it is
 * re-armed from then, so the train's phase moves with it (seen in CI: one tick past a 15 ms window).
 */
const LATE_MS = 100;
/** A train that was never matched (its first lone wake-up may have been a command) lasts this many periods… */
const CANDIDATE_PERIODS = 2;
/** …a matched one this many without a match (ticks merged into busier looks are not seen). */
const TRAIN_PERIODS = 4;
/** At most this many trains (each attached client's timer is one). */
const MAX_TRAINS = 32;

interface Train {
  period: number;
  /** When its last tick fired: somewhere in [lo, hi]. */
  lo: number;
  hi: number;
  matched: boolean;
}

export class StatusTicks {
  private periods: readonly number[] = [];
  private server: number | undefined;
  private trains: Train[] = [];

  /**
   * From each listing: the tmux server's pid (another one starts afresh) and the status timers' periods of its
   * sessions in ms (`TmuxSession.statusTimerMs`; 0: none). Trains of periods no session has any more are dropped.
   */
  setSessions(serverPid: number | undefined, periods: Iterable<number>): void {
    if (serverPid !== this.server) this.trains = [];
    this.server = serverPid;
    const distinct = new Set<number>();
    for (const period of periods) if (period > 0) distinct.add(period);
    this.periods = [...distinct];
    this.trains = this.trains.filter((train) => distinct.has(train.period));
  }

  /**
   * The probe saw tmux wake exactly once and read nothing, somewhere between `from` (its previous reading) and
   * `to` (now). Whether that is a status timer's tick: true when a train expected one in that window.
   */
  lone(from: number, to: number): boolean {
    this.expire(to);
    let tick = false;
    for (const train of this.trains) {
      const match = this.window(train, from, to);
      if (!match) continue;
      train.lo = match.lo;
      train.hi = match.hi;
      train.matched = true;
      tick = true;
    }
    if (tick) return true;
    for (const period of this.periods) this.trains.push({ period, lo: from, hi: to, matched: false });
    if (this.trains.length > MAX_TRAINS) this.trains.splice(0, this.trains.length - MAX_TRAINS);
    return false;
  }

  /** How many trains it follows (tests). */
  get size(): number {
    return this.trains.length;
  }

  /** Where in [from, to] the train's tick due then fired, if one was due. */
  private window(train: Train, from: number, to: number): { lo: number; hi: number } | undefined {
    const last = train.matched ? TRAIN_PERIODS : CANDIDATE_PERIODS;
    for (let k = 1; k <= last; k++) {
      const lo = Math.max(train.lo + k * train.period - k * DRIFT_MS, from);
      const hi = Math.min(train.hi + k * train.period + k * DRIFT_MS + LATE_MS, to);
      if (lo <= hi) return { lo, hi };
    }
    return undefined;
  }

  private expire(now: number): void {
    this.trains = this.trains.filter((train) => {
      const last = train.matched ? TRAIN_PERIODS : CANDIDATE_PERIODS;
      return now <= train.hi + last * (train.period + DRIFT_MS) + LATE_MS;
    });
  }
}
