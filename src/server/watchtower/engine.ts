// The watchtower (spec §4, ADR 0004, ADR 0013): keeps the activity projection of every tmux session up to date
// and publishes what changed. Three modes:
// - `scan` (the default) attaches nothing to tmux. It learns that some pane wrote from the tmux server's read
//   counter in /proc (./outputProbe.ts, every `probeIntervalMs`, `probeIdleIntervalMs` while tmux is still:
//   ./probeClock.ts), and of the server's own mutations from the routes; then it lists sessions, windows and
//   panes in one tmux call and captures, in one more, only the panes whose screen fingerprint or window activity
//   moved since the last listing. Changes made with the tmux CLI that print nothing (a rename, a kill) wake
//   tmux, which the probe counts too; the wake-ups of attached clients' status-line timers are told apart
//   (./statusTicks.ts).
// - `events` learns of output and structure changes from tmux control-mode clients (./monitors.ts). Opt-in:
//   tmux up to 3.5a (and reportedly 3.7c) can crash when a control client attaches while notices flow.
// - `poll` collects everything on every tick, like the Go server.
// A slower full collect that captures every pane runs as a safety net. With no tmux server (or no tmux), the
// projections are kept and the collect counts as a success.
// This file ties the parts together: what the next collect must do (./demand.ts), when it runs (./pacing.ts),
// the collect itself (./pass.ts), the readers' wait (./reads.ts), then publishing (./publish.ts).
import type { FastifyBaseLogger } from "fastify";
import type { ServerConfig } from "../config.js";
import type { EventHub } from "../events/hub.js";
import type { TmuxRepos } from "../store/repositories.js";
import type { Tmux, TmuxServerListing } from "../tmux/adapter.js";
import type { CollectOutcome } from "./collector.js";
import { Demand } from "./demand.js";
import { Monitors } from "./monitors.js";
import { OutputProbe } from "./outputProbe.js";
import { Pacer } from "./pacing.js";
import { CollectPass, type WatchtowerCounters } from "./pass.js";
import { ProbeClock } from "./probeClock.js";
import { publishOutcome } from "./publish.js";
import { CatchUp, isBehind } from "./reads.js";
import { StatusTicks } from "./statusTicks.js";
import { TypedPanes, type TypedReads } from "./typedPanes.js";

export type { WatchtowerCounters } from "./pass.js";

type WatchtowerConfig = ServerConfig["watchtower"];

export interface WatchtowerDeps {
  repos: TmuxRepos;
  tmux: Tmux;
  events: EventHub;
  log: FastifyBaseLogger;
  config: WatchtowerConfig;
}

/**
 * `scan` mode: when all tmux read since the probe's last look is the echo drawn on this server's own terminals
 * (keys typed over /ws and what tmux drew back), the user sees it already: no collect for it until the typing
 * pauses this long…
 */
const OWN_STREAM_QUIET_MS = 1000;
/** …or, while it goes on, this long after it began: typing costs no tmux process per key (ADR 0021). */
const OWN_STREAM_MAX_DEFER_MS = 10_000;
/**
 * Bytes tmux may read beyond the own terminals' traffic while they type and still count as their echo, besides
 * what tmux reads for the panes they type into (./typedPanes.ts): their programs' own writes and the command lines
 * read to name their windows.
 */
const OWN_STREAM_SLACK = 64;
/** How long after its last tmux call a collect takes the probe's new baseline (tmux's last wake-up for it). */
const OWN_SETTLE_MS = 10;

export class Watchtower {
  private readonly repos: TmuxRepos;
  readonly counters: WatchtowerCounters = {
    collects: 0,
    fullCollects: 0,
    captures: 0,
    notices: 0,
    monitors: 0,
    statusTicks: 0,
  };
  private readonly config: WatchtowerConfig;
  private readonly tmux: Tmux;
  private readonly events: EventHub;
  private readonly log: FastifyBaseLogger;
  private readonly monitors: Monitors | undefined;
  private readonly probe: OutputProbe | undefined;
  /** When the probe looks: often while tmux moves, seldom while it is still (./probeClock.ts). */
  private readonly probeClock: ProbeClock | undefined;
  private readonly demand = new Demand();
  /** `scan` mode: the status-line timers of attached clients, which wake tmux for nothing to list. */
  private readonly statusTicks = new StatusTicks();
  private readonly pacer: Pacer;
  private readonly pass: CollectPass;
  /** The collect that readers who found the projection behind wait for, shared by all of them. */
  private readonly catchingUp = new CatchUp(() => this.catchUpReaders());
  private lookedAt = 0;
  private readonly listedListeners = new Set<(sessions: ReadonlySet<string>) => void>();
  /** Bytes this server's own terminals typed into tmux and got from it since the probe's last look. */
  private ownInput = 0;
  private ownOutput = 0;
  /** How much they typed and were drawn, and the programs in their panes wrote, at the previous look. */
  private ownPrevious = 0;
  /** Bytes they typed and were drawn while a collect's tmux calls ran. */
  private ownDuringCollect = 0;
  /** The sessions they are on, since their traffic last paused (OWN_STREAM_QUIET_MS). */
  private readonly ownSessions = new Set<string>();
  /** What tmux reads for the panes they type into (the programs' writes, the command lines read for names). */
  private readonly typedPanes = new TypedPanes();
  private running: Promise<void> | undefined;
  private live = false;
  private liveSessions = 0;
  private closed = false;

  constructor(deps: WatchtowerDeps) {
    this.config = deps.config;
    this.tmux = deps.tmux;
    this.events = deps.events;
    this.log = deps.log;
    this.repos = deps.repos;
    if (this.config.enabled && this.config.mode === "scan") {
      this.probe = new OutputProbe();
      const { probeIntervalMs, probeIdleIntervalMs } = this.config;
      this.probeClock = new ProbeClock(probeIntervalMs, probeIdleIntervalMs, () => this.look());
    }
    if (this.config.enabled && this.config.mode === "events") {
      this.monitors = new Monitors(
        this.tmux,
        {
          output: (paneId, session) => {
            this.counters.notices++;
            this.demand.dirtyPanes.set(paneId, session);
            this.request();
          },
          // Not fresh: automatic-rename alone sends one for every command a busy loop runs.
          structure: () => {
            this.counters.notices++;
            this.request();
          },
          // Output written before the session's client attached has no notice: capture its panes once.
          watched: (session) => {
            this.demand.catchUp.add(session);
            this.request(true);
          },
        },
        this.log,
        this.config.maxMonitors,
      );
    }
    this.pacer = new Pacer(
      this.config,
      this.demand,
      this.probe !== undefined,
      () => void this.runCollect(),
      () => this.running !== undefined,
      () => this.ownTyping(Date.now()),
    );
    this.pass = new CollectPass({
      repos: this.repos,
      tmux: this.tmux,
      log: this.log,
      config: this.config,
      counters: this.counters,
      probe: this.probe,
      monitors: this.monitors,
    });
  }

  /** Starts collecting (the first collect runs at once). No-op when the watchtower is disabled. */
  start(): void {
    if (!this.config.enabled || this.closed) return;
    if (this.config.mode === "events")
      this.log.warn(
        "watchtower_mode = events: one tmux control-mode client per session. tmux up to 3.5a (reportedly 3.7c) " +
          "can crash, losing every session, when such a client attaches while tmux sends notices (ADR 0004). " +
          'The default, "scan", attaches nothing.',
      );
    this.probeClock?.start();
    this.pacer.schedule(0);
  }

  /** Whether the projection mirrors a running tmux server (the GET routes serve it only then). */
  get projectionLive(): boolean {
    return this.live && !this.closed;
  }

  /**
   * Asks for a collect soon: after the debounce, and not sooner than the minimum interval since the last one
   * (the short one when something new changed: a mutation through this server, `fresh`, or a pane that had not
   * written before the last collect).
   */
  request(fresh = false): void {
    if (this.closed || !this.config.enabled) return;
    this.demand.dirty = true;
    if (fresh) this.demand.dirtyMutation = true;
    if (this.running) return;
    this.pacer.request();
  }

  get mode(): WatchtowerConfig["mode"] | "disabled" {
    return this.config.enabled ? this.config.mode : "disabled";
  }

  /**
   * The routes (and recovery) that changed tmux say so here: a collect follows soon, paced as fresh, and readers
   * wait for it (`current`), so a read right after a mutation through this server shows it.
   */
  noteMutation(): void {
    if (this.closed || !this.config.enabled) return;
    this.demand.mutations++;
    this.request(true);
  }

  /**
   * Resolves when the projection is as current as this server can know without asking tmux: at once when
   * nothing is pending (the read path: reads never collect nor write for their own sake); else after one
   * collect shared by every reader waiting, or after `timeoutMs`. Behind means a mutation noted and not yet
   * collected, or the probe (looked at now: a few microseconds) saw tmux move since the last listing and the
   * change is fresh; while output keeps coming (`sustained`), readers take the projection of the last collect,
   * at most `minCollectIntervalMs` old, rather than collect at their own rate.
   */
  async current(timeoutMs = 2000): Promise<void> {
    if (this.closed || !this.config.enabled) return;
    // Under a burst of reads, one look a millisecond answers for all of them.
    if (Date.now() - this.lookedAt >= 1) this.look();
    if (!this.behind()) return;
    await this.catchingUp.wait(timeoutMs);
  }

  private behind(): boolean {
    return isBehind(this.counters.collects, this.running !== undefined, this.demand);
  }

  /** A collect running may have listed before the change: wait for it, then run the next one if still behind. */
  private async catchUpReaders(): Promise<void> {
    if (this.running) await this.running;
    if (!this.closed && this.behind()) await this.runCollect();
  }

  /**
   * A terminal this server owns (a tmux client in a PTY, pty/terminalPipe.ts) on `session` typed or received
   * bytes.
   */
  readonly terminalTraffic = (input: number, output: number, session: string): void => {
    this.ownInput += input;
    this.ownOutput += output;
    this.ownSessions.add(session);
    if (this.running) this.ownDuringCollect += input + output;
    // Awake anyway: the probe's look that is due runs now instead of waking the server later.
    this.probeClock?.awake();
  };

  /**
   * The probe's look at tmux's counters: a move asks for a collect, at once, unless this server's own terminals
   * are typing (traffic within OWN_STREAM_QUIET_MS) and tmux read no more than they typed and were drawn, and
   * the programs in the panes they type into wrote, over the last two looks, plus the command lines tmux can have
   * read to name those panes' windows meanwhile (./typedPanes.ts) and OWN_STREAM_SLACK: that is their echo, which
   * the user sees already, left for a collect once the typing pauses (OWN_STREAM_QUIET_MS; at the latest
   * OWN_STREAM_MAX_DEFER_MS after it began).
   * Output elsewhere that reads more is collected at once; a smaller one, or a tmux command, waits for that
   * pause. A move without any byte read outside typing (a tmux command that printed nothing: a rename, a kill)
   * also asks for a confirming listing later, in case a second command landed while the first collect listed.
   * One wake-up with nothing read where an attached client's status-line timer is due (./statusTicks.ts) is
   * that timer, typing or not: nothing to list.
   */
  private look(): void {
    const now = Date.now();
    const span = this.lookedAt ? now - this.lookedAt : 0;
    this.lookedAt = now;
    if (!this.probe || this.closed) return;
    const moved = this.probe.check();
    const typed = this.typedSince(now, span);
    const typing = typed !== undefined;
    const own = this.ownInput + this.ownOutput + (typed?.written ?? 0);
    this.ownInput = this.ownOutput = 0;
    // What tmux reads lags what was typed, drawn and written by up to a look.
    const recent = own + this.ownPrevious;
    this.ownPrevious = own;
    if (
      moved === "changed" &&
      this.probe.wakes === 1 &&
      this.probe.readBytes === 0 &&
      this.statusTicks.lone(this.probe.since, now)
    ) {
      // A status-line timer's tick (./statusTicks.ts): tmux redrew a client's status line; nothing to list.
      this.counters.statusTicks++;
    } else if (typed && moved === "changed" && this.ownEcho(this.probe.readBytes, recent, typed.names)) {
      this.ownStream(now);
    } else if (moved === "changed") {
      this.probeClock?.moved();
      if (this.probe.readBytes === 0) this.demand.confirmDue = true;
      else this.demand.probeBytes += this.probe.readBytes;
      this.request(!this.demand.sustained);
    }
    if (
      this.demand.streamed &&
      !this.running &&
      (!typing || now - this.demand.streamSince >= OWN_STREAM_MAX_DEFER_MS)
    )
      this.request();
  }

  /**
   * This server's own terminals typed or were drawn within OWN_STREAM_QUIET_MS, as the probe clock saw their last
   * traffic (`scan` mode; never in the others, which have no probe to tell their echo).
   */
  private ownTyping(now: number): boolean {
    return now - (this.probeClock?.lastTraffic ?? Number.NEGATIVE_INFINITY) < OWN_STREAM_QUIET_MS;
  }

  /**
   * While this server's own terminals type: what tmux can have read over `spanMs` for the panes they type into,
   * their sessions' current panes (./typedPanes.ts). Undefined while they do not; their sessions are forgotten.
   */
  private typedSince(now: number, spanMs: number): TypedReads | undefined {
    if (!this.ownTyping(now)) {
      this.ownSessions.clear();
      return undefined;
    }
    const pids: number[] = [];
    for (const session of this.ownSessions) {
      const pid = this.pass.currentPanePid(session);
      if (pid) pids.push(pid);
    }
    // While typing goes on, the looks come less than OWN_STREAM_QUIET_MS apart.
    return this.typedPanes.readSince(pids, Math.min(spanMs, OWN_STREAM_QUIET_MS));
  }

  /** `read` bytes are the echo of `own` bytes of traffic and program writes, with `names` read for window names. */
  private ownEcho(read: number, own: number, names: number): boolean {
    return read <= own + names + OWN_STREAM_SLACK;
  }

  /** tmux moved for this server's own terminals' traffic alone: a collect once the typing pauses. */
  private ownStream(now: number): void {
    if (!this.demand.streamed) this.demand.streamSince = now;
    this.demand.streamed = true;
  }

  /**
   * After a collect's own tmux calls: what tmux read meanwhile beyond their footprint (outputProbe.ts `endOwn`).
   * Nothing: the listing saw everything. While this server's own terminals type, up to what they typed and drew
   * meanwhile (plus OWN_STREAM_SLACK): their echo. More: output landed while the collect listed, so another
   * collect follows at the usual pace. A footprint that just changed (it grew in the last collect, or shrank in
   * this one) may hide a write of its size: one more collect at that pace settles it ("recheck"). Unknown (a first
   * listing, a new tmux server): a confirming listing later.
   */
  private footprintCheck(): void {
    if (!this.probe) return;
    const extra = this.probe.endOwn();
    if (!this.probe.available) return;
    const now = Date.now();
    const typed = this.typedSince(now, now - this.demand.lastCollectStart);
    if (
      typed &&
      (typeof extra !== "number" || this.ownEcho(extra, this.ownDuringCollect + typed.written, typed.names))
    ) {
      if (extra !== 0) this.ownStream(now);
    } else if (extra === "unknown") this.demand.confirmDue = true;
    else if (extra === "recheck") this.request(!this.demand.sustained);
    else if (extra > 0) {
      this.probeClock?.moved();
      this.demand.probeBytes += extra;
      this.request(!this.demand.sustained);
    }
  }

  /**
   * Runs a call to tmux that changes nothing (recovery's snapshot listing) so that the probe does not take it
   * for a change: it looks first, then takes the counters after the call as its baseline. A change made by
   * someone else during the call is seen by the next listing that runs anyway (the timed one at the latest).
   */
  async quietly<T>(call: () => Promise<T>): Promise<T> {
    this.look();
    try {
      return await call();
    } finally {
      if (!this.closed && !this.running) this.probe?.rebase();
    }
  }

  /**
   * The tmux server and its sessions as of the latest listing, brought as current as a read is (`current`):
   * recovery's live set without a tmux call of its own. Undefined when the watchtower cannot say (disabled, no
   * listing yet, the last one failed or went over a control client, no tmux binary).
   */
  async serverListing(): Promise<TmuxServerListing | undefined> {
    if (this.closed || !this.config.enabled) return undefined;
    await this.current();
    return this.closed ? undefined : this.pass.latest;
  }

  /** Resolves when a first collect has finished (recovery waits for it before its own first collect). */
  async firstCollect(): Promise<void> {
    if (this.closed || !this.config.enabled) return;
    while (!this.closed && (this.counters.collects === 0 || this.running))
      await (this.running ?? this.runCollect());
  }

  /** Runs a full collect now (after any running one) and resolves when it is done. */
  async collectNow(): Promise<void> {
    if (this.closed) return;
    this.demand.fullDue = true;
    while (this.running) await this.running;
    await this.runCollect();
  }

  close(): void {
    this.closed = true;
    this.pacer.close();
    this.probeClock?.close();
    this.probe?.close();
    this.monitors?.close();
    try {
      this.repos.runtime.flush(new Date().toISOString());
    } catch {
      // The store is closed already: the counters of the last few collects are not kept.
    }
  }

  /**
   * Calls `listener` with the names of the sessions each successful collect listed, changed or not (terminal views
   * end when their user session is gone, which a collect that folded its creation and its kill into one listing
   * never publishes as a change). Returns the unsubscribe.
   */
  onListed(listener: (sessions: ReadonlySet<string>) => void): () => void {
    this.listedListeners.add(listener);
    return () => this.listedListeners.delete(listener);
  }

  private runCollect(): Promise<void> {
    if (this.running) return this.running;
    if (this.closed) return Promise.resolve();
    this.pacer.cancel();
    this.running = this.collect()
      .catch((error) => this.log.error({ err: error }, "watchtower collect failed"))
      .finally(() => {
        this.running = undefined;
        // A collect that failed before its footprint check must not leave the probe blind.
        if (this.probe?.owning) this.footprintCheck();
        if (this.closed) return;
        this.pacer.scheduleSafety({
          probeAvailable: this.probe?.available,
          liveSessions: this.liveSessions,
          watching: this.monitors !== undefined && this.monitors.size > 0,
        });
        if (this.demand.pending) this.request(this.demand.dirtyMutation);
      });
    return this.running;
  }

  private async collect(): Promise<void> {
    const order = this.demand.take(Date.now(), this.config.mode === "poll");
    this.counters.collects++;
    if (order.full) this.counters.fullCollects++;
    this.ownDuringCollect = 0;
    const seen = await this.pass.observe(order);
    if (this.closed) return;
    if (seen.listing && this.probe)
      this.statusTicks.setSessions(
        seen.listing.serverPid,
        seen.listing.sessions.map((s) => s.statusTimerMs),
      );
    this.demand.collectedMutations = order.mutations;
    let outcome: CollectOutcome;
    try {
      outcome = this.pass.apply(seen, order);
    } catch (e) {
      // The store and the pass's caches may now disagree: project everything again next time.
      this.demand.fullDue = true;
      throw e;
    }
    const { listing, snapshot, error } = seen;
    if (error) this.log.warn({ error }, "watchtower collect failed");
    this.demand.settle(seen.process.size > 0 || order.probeBytes > 0, order);
    if (snapshot) {
      this.live = snapshot.sessions.length > 0;
      this.liveSessions = snapshot.sessions.length;
    } else if (!error) {
      this.live = false;
      this.liveSessions = 0;
    }
    if (!this.closed) publishOutcome(this.events, this.repos.projection, outcome, this.liveSessions);
    if (snapshot && !this.closed && this.listedListeners.size) {
      const names = new Set(snapshot.sessions.map((s) => s.name));
      for (const listener of this.listedListeners) listener(names);
    }
    if (this.monitors && !this.closed) {
      if (listing) this.monitors.sync(listing.sessions);
      else if (!error) this.monitors.sync([]);
      this.counters.monitors = this.monitors.size;
    }
    // After publishing, so events do not wait for it: tmux may wake once more as our tmux client goes away
    // (measured: within a millisecond of its exit), then the probe takes its new baseline.
    if (this.probe?.owning) await new Promise((resolve) => setTimeout(resolve, OWN_SETTLE_MS));
    this.footprintCheck();
  }
}
