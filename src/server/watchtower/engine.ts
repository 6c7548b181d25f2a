// The watchtower (spec §4, ADR 0004, ADR 0013): keeps the activity projection of every tmux session up to date
// and publishes what changed. Three modes:
// - `scan` (the default) attaches nothing to tmux. It learns that some pane wrote from the tmux server's read
//   counter in /proc (./outputProbe.ts, every `probeIntervalMs`), and of the server's own mutations from the
//   routes; then it lists sessions, windows and panes in one tmux call and captures, in one more, only the panes
//   whose screen fingerprint or window activity moved since the last listing. Changes made with the tmux CLI
//   that print nothing (a rename, a kill) are seen by a listing every `tickIntervalMs`.
// - `events` learns of output and structure changes from tmux control-mode clients (./monitors.ts). Opt-in:
//   tmux up to 3.5a (and reportedly 3.7c) can crash when a control client attaches while notices flow.
// - `poll` collects everything on every tick, like the Go server.
// A slower full collect that captures every pane runs as a safety net. With no tmux server (or no tmux), the
// projections are kept and the collect counts as a success.
import { randomBytes } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { ServerConfig } from "../config.js";
import type { EventHub } from "../events/hub.js";
import type { TmuxRepos } from "../store/repositories.js";
import type { Tmux, TmuxServerListing } from "../tmux/adapter.js";
import type { TmuxError } from "../tmux/errors.js";
import { isTmuxAbsent, type ListingCaptures, type TmuxRunner } from "../tmux/queries.js";
import { applyCollect, type CollectOutcome } from "./collector.js";
import { captureInto, type Listing, listTmux, sessionOfPane, signatureOf, toSnapshot } from "./listing.js";
import { Monitors } from "./monitors.js";
import { OutputProbe } from "./outputProbe.js";
import { publishOutcome } from "./publish.js";
import { normalizeTail } from "./tail.js";
import { isoFromEpochSeconds } from "./time.js";

type WatchtowerConfig = ServerConfig["watchtower"];

export interface WatchtowerDeps {
  repos: TmuxRepos;
  tmux: Tmux;
  events: EventHub;
  log: FastifyBaseLogger;
  config: WatchtowerConfig;
}

/** Counters for tests and benchmarks (process-local, not persisted). */
export interface WatchtowerCounters {
  collects: number;
  fullCollects: number;
  captures: number;
  notices: number;
  monitors: number;
}

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
const OWN_STREAM_INTERVAL_MS = 1000;

export class Watchtower {
  private readonly repos: TmuxRepos;
  readonly counters: WatchtowerCounters = {
    collects: 0,
    fullCollects: 0,
    captures: 0,
    notices: 0,
    monitors: 0,
  };
  private readonly config: WatchtowerConfig;
  private readonly tmux: Tmux;
  private readonly events: EventHub;
  private readonly log: FastifyBaseLogger;
  private readonly monitors: Monitors | undefined;
  private readonly probe: OutputProbe | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Marks the panes' parts of a batched capture (random, so no pane shows it by chance). */
  private readonly nonce = randomBytes(8).toString("hex");
  /** Each pane's screen fingerprint at the last listing (`scan` mode). */
  private fingerprints = new Map<string, string>();
  /** Pane ids of the first listing (project.ts FirstSight). */
  private preexisting: Set<string> | undefined;
  /** When the first listing ran (ISO, whole seconds like tmux's activity times): output after it is news. */
  private firstListedAt: string | undefined;
  /** The last two collects both changed something: output keeps coming, collect at the slower pace. */
  private changedLast = false;
  private sustained = false;
  private dirtyPanes = new Map<string, string>();
  /** The panes that had written before the last collect started. */
  private lastDirtyPanes = new Set<string>();
  /** A mutation made through this server awaits a collect (paced as fresh). */
  private dirtyMutation = false;
  /** Mutations noted so far, and how many of them the last finished collect had seen when it listed. */
  private mutations = 0;
  private collectedMutations = 0;
  /** The collect that readers who found the projection behind wait for, shared by all of them. */
  private catchingUp: Promise<void> | undefined;
  private lookedAt = 0;
  /** Bytes this server's own terminals typed into tmux and got from it since the probe's last look. */
  private ownInput = 0;
  private ownOutput = 0;
  /** The probe saw only this server's own terminals' traffic: collect within OWN_STREAM_INTERVAL_MS. */
  private streamed = false;
  /** Sessions whose client just attached: every pane of theirs is captured at the next collect. */
  private catchUp = new Set<string>();
  private dirty = false;
  private fullDue = true;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private safetyTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastCollectStart = 0;
  private lastFullAt = 0;
  private safetyDue = 0;
  /** What tmux showed of each session at its last projection; equal means nothing to project. */
  private signatures = new Map<string, string>();
  /** The stored normalised preview of each pane. */
  private previews = new Map<string, string>();
  private knownPanes = new Set<string>();
  private live = false;
  private liveSessions = 0;
  /** The tmux server and its sessions as the last listing showed them (`serverListing`). */
  private latest: TmuxServerListing | undefined;
  private closed = false;

  constructor(deps: WatchtowerDeps) {
    this.config = deps.config;
    this.tmux = deps.tmux;
    this.events = deps.events;
    this.log = deps.log;
    this.repos = deps.repos;
    if (this.config.enabled && this.config.mode === "scan") this.probe = new OutputProbe();
    if (this.config.enabled && this.config.mode === "events") {
      this.monitors = new Monitors(
        this.tmux,
        {
          output: (paneId, session) => {
            this.counters.notices++;
            this.dirtyPanes.set(paneId, session);
            this.request();
          },
          // Not fresh: automatic-rename alone sends one for every command a busy loop runs.
          structure: () => {
            this.counters.notices++;
            this.request();
          },
          // Output written before the session's client attached has no notice: capture its panes once.
          watched: (session) => {
            this.catchUp.add(session);
            this.request(true);
          },
        },
        this.log,
        this.config.maxMonitors,
      );
    }
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
    if (this.probe) this.probeTimer = setInterval(() => this.look(), this.config.probeIntervalMs);
    this.schedule(0);
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
    this.dirty = true;
    if (fresh) this.dirtyMutation = true;
    if (this.running) return;
    const now = Date.now();
    let isNew = this.dirtyMutation;
    if (!isNew)
      for (const paneId of this.dirtyPanes.keys()) if (!this.lastDirtyPanes.has(paneId)) isNew = true;
    const interval = isNew
      ? Math.min(FRESH_INTERVAL_MS, this.config.minCollectIntervalMs)
      : this.config.minCollectIntervalMs;
    // The probe's period already gathers output that comes together: no debounce on top of it.
    const debounce = this.probe ? 0 : this.config.debounceMs;
    const due = Math.max(now + debounce, this.lastCollectStart + interval);
    this.schedule(due - now);
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
    this.mutations++;
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
    this.catchingUp ??= this.catchUpReaders().finally(() => {
      this.catchingUp = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.catchingUp,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Behind: the first collect not finished yet (what the store holds is the last run's), a mutation not yet collected, or fresh output. */
  private behind(): boolean {
    if (this.counters.collects === 0 || (this.counters.collects === 1 && this.running)) return true;
    return this.collectedMutations < this.mutations || (this.dirty && !this.sustained);
  }

  /** A collect running may have listed before the change: wait for it, then run the next one if still behind. */
  private async catchUpReaders(): Promise<void> {
    if (this.running) await this.running;
    if (!this.closed && this.behind()) await this.runCollect();
  }

  /** A terminal this server owns (a tmux client in a PTY, pty/terminalPipe.ts) typed or received bytes. */
  readonly terminalTraffic = (input: number, output: number): void => {
    this.ownInput += input;
    this.ownOutput += output;
  };

  /**
   * The probe's look at tmux's counters: a move asks for a collect, at once, unless tmux read no more pane output
   * than this server's own terminals typed and were drawn since the last look (their echo): then within
   * OWN_STREAM_INTERVAL_MS of the last collect.
   */
  private look(): void {
    this.lookedAt = Date.now();
    if (!this.probe || this.closed) return;
    const moved = this.probe.check();
    const typed = this.ownInput;
    const shown = this.ownOutput;
    this.ownInput = this.ownOutput = 0;
    if (moved !== "changed") return;
    if (typed + shown > 0 && this.probe.readBytes <= typed + shown) {
      this.streamed = true;
      if (!this.running) this.schedule(this.lastCollectStart + OWN_STREAM_INTERVAL_MS - Date.now());
      return;
    }
    this.request(!this.sustained);
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
    return this.closed ? undefined : this.latest;
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
    this.fullDue = true;
    while (this.running) await this.running;
    await this.runCollect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.timer = this.safetyTimer = this.probeTimer = undefined;
    this.monitors?.close();
    try {
      this.repos.runtime.flush(new Date().toISOString());
    } catch {
      // The store is closed already: the counters of the last few collects are not kept.
    }
  }

  private schedule(delayMs: number): void {
    const due = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.runCollect();
      },
      Math.max(0, delayMs),
    );
  }

  /**
   * The next full collect: `safetyIntervalMs` after the last one while control clients watch, `tickIntervalMs`
   * in poll mode and while none can (no tmux server yet, or every session unwatched). Collects triggered by
   * notices do not push it back. In `scan` mode a listing (captures only of what moved) runs every
   * `SCAN_WATCHED_INTERVAL_MS` while the probe watches tmux, every `SCAN_FALLBACK_INTERVAL_MS` while it cannot
   * (sessions exist but /proc is not readable), every `tickIntervalMs` while there is no tmux server to find; and a
   * full collect every `safetyIntervalMs`.
   */
  private scheduleSafety(): void {
    if (this.closed) return;
    let due: number;
    if (this.probe) {
      const tick = this.probe.available
        ? Math.max(SCAN_WATCHED_INTERVAL_MS, this.config.tickIntervalMs)
        : this.liveSessions > 0
          ? SCAN_FALLBACK_INTERVAL_MS
          : this.config.tickIntervalMs;
      due = Math.min(this.lastCollectStart + tick, this.lastFullAt + this.config.safetyIntervalMs);
    } else {
      const watching = this.monitors !== undefined && this.monitors.size > 0;
      due = this.lastFullAt + (watching ? this.config.safetyIntervalMs : this.config.tickIntervalMs);
    }
    if (this.safetyTimer && this.safetyDue === due) return;
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.safetyDue = due;
    this.safetyTimer = setTimeout(
      () => {
        this.safetyTimer = undefined;
        if (!this.probe || Date.now() >= this.lastFullAt + this.config.safetyIntervalMs) this.fullDue = true;
        this.dirty = true;
        if (!this.running) this.schedule(0);
      },
      Math.max(0, due - Date.now()),
    );
  }

  private runCollect(): Promise<void> {
    if (this.running) return this.running;
    if (this.closed) return Promise.resolve();
    // This collect takes whatever a pending timer was for.
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.collect()
      .catch((error) => this.log.error({ err: error }, "watchtower collect failed"))
      .finally(() => {
        this.running = undefined;
        if (this.closed) return;
        this.scheduleSafety();
        if (this.dirty || this.dirtyPanes.size) this.request(this.dirtyMutation);
        else if (this.streamed) this.schedule(OWN_STREAM_INTERVAL_MS);
      });
    return this.running;
  }

  private async collect(): Promise<void> {
    const startedAt = Date.now();
    const now = new Date(startedAt).toISOString();
    // Windows with output since this second of the last collect's start (before its listing) may have changed:
    // tmux keeps activity times in whole seconds.
    const activeSince = Math.floor(this.lastCollectStart / 1000);
    this.lastCollectStart = startedAt;
    const full = this.fullDue || this.config.mode === "poll";
    this.fullDue = false;
    this.dirty = false;
    this.dirtyMutation = false;
    this.streamed = false;
    const mutations = this.mutations;
    const dirtyPanes = this.dirtyPanes;
    this.dirtyPanes = new Map();
    const catchUp = this.catchUp;
    this.catchUp = new Set();
    this.lastDirtyPanes = new Set(dirtyPanes.keys());
    this.counters.collects++;
    if (full) {
      this.counters.fullCollects++;
      this.lastFullAt = startedAt;
    }

    await this.monitors?.resume();
    const control = this.monitors?.runner();
    const cli: TmuxRunner = (args, timeoutMs) => this.tmux.run(args, timeoutMs);

    let listing: Listing | undefined;
    let runner: TmuxRunner = control ?? cli;
    let error: string | undefined;
    let serverGone = false;
    // Where each call is a process and no control client tells which panes wrote, the listing's own call also
    // captures the known panes whose window had output since the last listing (all of them on a full collect).
    const inline: ListingCaptures | undefined =
      this.config.mode === "events"
        ? undefined
        : {
            panes: [...this.knownPanes],
            activeSince: full ? undefined : activeSince,
            lines: this.config.captureLines,
            nonce: this.nonce,
          };
    try {
      try {
        listing = await listTmux(runner, runner === cli, this.log, inline);
      } catch (e) {
        if (!control || isTmuxAbsent(e)) throw e;
        // The control client went away mid-collect: ask the CLI instead.
        runner = cli;
        listing = await listTmux(runner, true, this.log);
      }
    } catch (e) {
      if (!isTmuxAbsent(e)) error = (e as Error).message || String(e);
      else if ((e as TmuxError).code === "TMUX_SERVER_NOT_RUNNING") serverGone = true;
    }
    this.latest =
      listing?.server !== undefined
        ? {
            server: listing.server,
            sessions: listing.sessions.map(({ name, attached, createdAt, windows }) => ({
              name,
              attached,
              createdAt,
              windows,
            })),
          }
        : serverGone
          ? { server: "", sessions: [] }
          : undefined;
    if (!error) {
      this.probe?.setServerPid(listing?.serverPid);
      this.probe?.rebase();
    }

    // Not attached: this server's control clients, and those of any other Sentinel server on this tmux.
    const own = new Set([...(this.monitors?.clientNames() ?? []), ...(listing?.watchtowerClients ?? [])]);
    const snapshot = listing ? toSnapshot(listing, own) : undefined;
    // The panes there were when this server first listed tmux: their output then is not news.
    if (listing && !this.preexisting) {
      this.preexisting = new Set(listing.panes.map((p) => p.paneId));
      this.firstListedAt = isoFromEpochSeconds(Math.floor(Date.now() / 1000));
    }
    const captures = new Map<string, string>(listing?.captures ?? []);
    const process = new Set<string>();
    const signatures = new Map<string, string>();
    if (snapshot && listing) {
      const toCapture: string[] = [];
      for (const [session, panes] of snapshot.panes) {
        const all = full || catchUp.has(session);
        for (const p of panes) {
          if (captures.has(p.paneId)) continue;
          if (all || dirtyPanes.has(p.paneId) || !this.knownPanes.has(p.paneId)) toCapture.push(p.paneId);
        }
      }
      if (this.probe) {
        const wanted = new Set(toCapture);
        for (const p of listing.panes) {
          if (wanted.has(p.paneId) || captures.has(p.paneId) || !this.knownPanes.has(p.paneId)) continue;
          if (p.windowActivity >= activeSince || this.fingerprints.get(p.paneId) !== p.fingerprint) {
            wanted.add(p.paneId);
            toCapture.push(p.paneId);
          }
        }
        this.fingerprints = new Map(listing.panes.map((p) => [p.paneId, p.fingerprint]));
      }
      if (toCapture.length) {
        await captureInto(runner, runner === cli, toCapture, captures, {
          lines: this.config.captureLines,
          timeoutMs: this.config.captureTimeoutMs,
          nonce: this.nonce,
        });
        this.counters.captures += toCapture.length;
        // The capture call moved the counters too (or the next look would ask for another collect).
        this.probe?.rebase();
      }
      this.counters.captures += listing.captures.size;
      for (const s of snapshot.sessions) {
        const signature = signatureOf(
          s,
          snapshot.windows.get(s.name) ?? [],
          snapshot.panes.get(s.name) ?? [],
        );
        signatures.set(s.name, signature);
        if (this.signatures.get(s.name) !== signature) process.add(s.name);
      }
      for (const [paneId, text] of captures) {
        const previous = this.previews.get(paneId);
        if (previous === undefined || previous !== normalizeTail(text)) {
          const session = sessionOfPane(snapshot, paneId);
          if (session) process.add(session);
        }
      }
    }

    if (this.closed) return;
    this.collectedMutations = mutations;
    let outcome: CollectOutcome;
    try {
      outcome = applyCollect(
        this.repos,
        {
          snapshot,
          captures,
          process,
          ...(listing && this.preexisting
            ? {
                firstSight: {
                  preexisting: this.preexisting,
                  listedAt: this.firstListedAt ?? now,
                  outputAt: new Map(
                    listing.panes
                      .filter((p) => p.windowActivity > 0)
                      .map((p) => [p.paneId, isoFromEpochSeconds(p.windowActivity)]),
                  ),
                },
              }
            : {}),
          purgeRuntime: full,
          persistCounters: full,
          now,
          startedAt,
          ...(error ? { error } : {}),
        },
        { journalRows: this.config.journalRows, timelineRows: this.config.timelineRows },
      );
    } catch (e) {
      // The store and this cache may now disagree: project everything again next time.
      this.signatures.clear();
      this.previews.clear();
      this.fullDue = true;
      throw e;
    }
    if (error) this.log.warn({ error }, "watchtower collect failed");

    const changed = process.size > 0;
    this.sustained = changed && this.changedLast;
    this.changedLast = changed;
    if (snapshot) {
      this.live = snapshot.sessions.length > 0;
      this.liveSessions = snapshot.sessions.length;
      for (const name of process) this.signatures.set(name, signatures.get(name)!);
      for (const name of [...this.signatures.keys()]) if (!signatures.has(name)) this.signatures.delete(name);
      for (const [paneId, preview] of outcome.previews) this.previews.set(paneId, preview);
      const listed = new Set<string>();
      for (const panes of snapshot.panes.values()) for (const p of panes) listed.add(p.paneId);
      for (const paneId of [...this.previews.keys()]) if (!listed.has(paneId)) this.previews.delete(paneId);
      this.knownPanes = listed;
    } else if (!error) {
      this.live = false;
      this.liveSessions = 0;
    }
    if (!this.closed) publishOutcome(this.events, this.repos.projection, outcome, this.liveSessions);
    if (this.monitors && !this.closed) {
      if (listing) this.monitors.sync(listing.sessions);
      else if (!error) this.monitors.sync([]);
      this.counters.monitors = this.monitors.size;
    }
  }
}
