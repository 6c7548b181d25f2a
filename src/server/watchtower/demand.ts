// What the next collect of the watchtower (./engine.ts) must do, gathered as it is asked for: the panes that wrote
// (control-mode notices), the sessions whose every pane needs a capture, a mutation through this server, a full
// collect due; and the pace the last collects showed (output that keeps coming). A collect takes all of it when it
// starts (`take`), so what arrives while it runs is the next one's.

/** What one collect does, fixed when it starts. */
export interface CollectOrder {
  startedAt: number;
  /** Windows with output since this second (tmux keeps activity times in whole seconds) may have changed. */
  activeSince: number;
  /** Capture every pane, purge runtime rows, persist counters. */
  full: boolean;
  /** Mutations noted when the collect started: once it applies, readers waiting for them are served. */
  mutations: number;
  /** Panes that wrote (control-mode notices), with their session. */
  dirtyPanes: ReadonlyMap<string, string>;
  /** `scan` mode: the pane output bytes the probe saw tmux read before this collect started (`Demand.probeBytes`). */
  probeBytes: number;
  /** Since the previous collect started (ms; 0 for the first): the time those bytes came in. */
  sincePrevious: number;
  /** Sessions whose client just attached: every pane of theirs is captured. */
  catchUp: ReadonlySet<string>;
}

/**
 * Pane output, in bytes a second between two collects, that makes output that keeps coming a flood: ten log
 * lines of ~100 bytes a second. A build log or a `tail -f` of a busy file is above it; an echo, a prompt, a
 * progress bar or a status line redrawn a few times a second, a line now and then are below it.
 */
export const FLOOD_BYTES_PER_S = 1024;

export class Demand {
  /** Something asked for a collect since the last one started. */
  dirty = false;
  /** A mutation made through this server awaits a collect (paced as fresh). */
  dirtyMutation = false;
  readonly dirtyPanes = new Map<string, string>();
  /** The panes that had written before the last collect started. */
  private lastDirtyPanes = new Set<string>();
  readonly catchUp = new Set<string>();
  fullDue = true;
  /**
   * The probe saw only this server's own terminals' traffic since the last collect started (their echo), and
   * since when: a collect follows once the typing pauses (engine.ts `look`).
   */
  streamed = false;
  streamSince = 0;
  /**
   * `scan` mode: a confirming listing is due a while after the last collect (pacing.ts), because a change may
   * have landed where the probe could not see it: a tmux command that printed nothing, or a collect whose
   * footprint could not be checked. Cleared when that listing starts.
   */
  confirmDue = false;
  /** Mutations noted so far, and how many of them the last finished collect had seen when it listed. */
  mutations = 0;
  collectedMutations = 0;
  /**
   * `scan` mode: the pane output bytes the probe saw tmux read (not only wake-ups) since the last collect started.
   * A collect it asks for counts as one that saw output even when the captures show nothing new: a pane that
   * redraws the same text (a spinner, a clock, a repeated log line) is output that keeps coming all the same.
   */
  probeBytes = 0;
  /** The last two collects both changed something: output keeps coming, collect at the slower pace. */
  sustained = false;
  private changedLast = false;
  /**
   * `scan` mode: output keeps coming in volume (FLOOD_BYTES_PER_S or more before each of the last two collects:
   * a build log, a `tail -f`), as opposed to a trickle of small writes (typing in another client, a prompt, a
   * line now and then): collected at the flood pace (pacing.ts), which bounds what a printing pane costs.
   */
  flooding = false;
  private floodLast = false;
  lastCollectStart = 0;
  lastFullAt = 0;

  /** Something new waits: a mutation through this server, or a pane that had not written before the last collect. */
  get fresh(): boolean {
    if (this.dirtyMutation) return true;
    for (const paneId of this.dirtyPanes.keys()) if (!this.lastDirtyPanes.has(paneId)) return true;
    return false;
  }

  /** A collect is still wanted. */
  get pending(): boolean {
    return this.dirty || this.dirtyPanes.size > 0;
  }

  /** Starts a collect: takes what was asked for (`poll` mode collects everything every time). */
  take(startedAt: number, poll: boolean): CollectOrder {
    const activeSince = Math.floor(this.lastCollectStart / 1000);
    const sincePrevious = this.lastCollectStart ? startedAt - this.lastCollectStart : 0;
    this.lastCollectStart = startedAt;
    const full = this.fullDue || poll;
    this.fullDue = false;
    this.dirty = false;
    this.dirtyMutation = false;
    this.streamed = false;
    const probeBytes = this.probeBytes;
    this.probeBytes = 0;
    const dirtyPanes = new Map(this.dirtyPanes);
    this.dirtyPanes.clear();
    const catchUp = new Set(this.catchUp);
    this.catchUp.clear();
    this.lastDirtyPanes = new Set(dirtyPanes.keys());
    if (full) this.lastFullAt = startedAt;
    return {
      startedAt,
      activeSince,
      full,
      mutations: this.mutations,
      dirtyPanes,
      probeBytes,
      sincePrevious,
      catchUp,
    };
  }

  /**
   * A collect applied: two in a row that changed something mean output keeps coming; two in a row that each
   * followed output at FLOOD_BYTES_PER_S or more (what the probe saw over the time since the collect before), a
   * flood.
   */
  settle(changed: boolean, order?: Pick<CollectOrder, "probeBytes" | "sincePrevious">): void {
    this.sustained = changed && this.changedLast;
    this.changedLast = changed;
    const flood =
      !!order &&
      order.sincePrevious > 0 &&
      (order.probeBytes * 1000) / order.sincePrevious >= FLOOD_BYTES_PER_S;
    this.flooding = this.sustained && flood && this.floodLast;
    this.floodLast = flood;
  }
}
