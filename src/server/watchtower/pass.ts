// One collect of the watchtower (./engine.ts), and what it remembers for the next: `observe` lists tmux and
// captures the panes that may have changed (./listing.ts), and picks the sessions to project; `apply` hands that to
// the collector (./collector.ts, one store transaction) and keeps the caches that let the next collect skip what
// did not move (screen fingerprints, per-session signatures, stored previews, the panes known).
import { randomBytes } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { ServerConfig } from "../config.js";
import type { TmuxRepos } from "../store/repositories.js";
import type { Tmux, TmuxServerListing } from "../tmux/adapter.js";
import type { TmuxError } from "../tmux/errors.js";
import { isTmuxAbsent, type ListingCaptures, type TmuxRunner } from "../tmux/queries.js";
import { applyCollect, type CollectOutcome, type Snapshot } from "./collector.js";
import type { CollectOrder } from "./demand.js";
import { captureInto, type Listing, listTmux, sessionOfPane, signatureOf, toSnapshot } from "./listing.js";
import type { Monitors } from "./monitors.js";
import type { OutputProbe } from "./outputProbe.js";
import { normalizeTail } from "./tail.js";
import { isoFromEpochSeconds } from "./time.js";

/** Counters for tests and benchmarks (process-local, not persisted). */
export interface WatchtowerCounters {
  collects: number;
  fullCollects: number;
  captures: number;
  notices: number;
  monitors: number;
  /** `scan` mode: tmux wake-ups taken for a status line's timer (./statusTicks.ts). */
  statusTicks: number;
}

export interface PassDeps {
  repos: TmuxRepos;
  tmux: Tmux;
  log: FastifyBaseLogger;
  config: ServerConfig["watchtower"];
  counters: WatchtowerCounters;
  probe: OutputProbe | undefined;
  monitors: Monitors | undefined;
}

/** What tmux showed to one collect. */
export interface Observation {
  listing: Listing | undefined;
  /** Undefined: no tmux server, no tmux, or the listing failed (`error`). */
  snapshot: Snapshot | undefined;
  error: string | undefined;
  captures: Map<string, string>;
  /** Sessions to project: their signature or a pane's preview moved. */
  process: Set<string>;
  signatures: Map<string, string>;
}

export class CollectPass {
  /** Marks the panes' parts of a batched capture (random, so no pane shows it by chance). */
  private readonly nonce = randomBytes(8).toString("hex");
  /** Each pane's screen fingerprint at the last listing (`scan` mode). */
  private fingerprints = new Map<string, string>();
  /** Pane ids of the first listing (project.ts FirstSight). */
  private preexisting: Set<string> | undefined;
  /** When the first listing ran (ISO, whole seconds like tmux's activity times): output after it is news. */
  private firstListedAt: string | undefined;
  /** What tmux showed of each session at its last projection; equal means nothing to project. */
  private readonly signatures = new Map<string, string>();
  /** The stored normalised preview of each pane. */
  private readonly previews = new Map<string, string>();
  private knownPanes = new Set<string>();
  /** The tmux server and its sessions as the last listing showed them (the engine's `serverListing`). */
  private latestListing: TmuxServerListing | undefined;
  /** Per session, the first process of its current window's active pane at the last listing (./typedPanes.ts). */
  private currentPanes = new Map<string, number>();

  constructor(private readonly deps: PassDeps) {}

  get latest(): TmuxServerListing | undefined {
    return this.latestListing;
  }

  /** The first process of `session`'s current window's active pane, as the last listing showed it. */
  currentPanePid(session: string): number | undefined {
    return this.currentPanes.get(session);
  }

  /** Lists tmux and captures what may have changed; reads tmux only (and moves the probe's baseline). */
  async observe(order: CollectOrder): Promise<Observation> {
    const { config, counters, probe, monitors, log } = this.deps;
    const { full, activeSince, dirtyPanes, catchUp } = order;
    await monitors?.resume();
    const control = monitors?.runner();
    const cli: TmuxRunner = (args, timeoutMs) => this.deps.tmux.query(args, timeoutMs);

    let listing: Listing | undefined;
    let runner: TmuxRunner = control ?? cli;
    let error: string | undefined;
    let serverGone = false;
    // Where each call is a process and no control client tells which panes wrote, the listing's own call also
    // captures the known panes whose window had output since the last listing (all of them on a full collect).
    const inline: ListingCaptures | undefined =
      config.mode === "events"
        ? undefined
        : {
            panes: [...this.knownPanes],
            activeSince: full ? undefined : activeSince,
            lines: config.captureLines,
            nonce: this.nonce,
          };
    // The probe's footprint check (engine.ts) covers this collect's own tmux calls from here.
    probe?.beginOwn();
    try {
      try {
        listing = await listTmux(runner, runner === cli, log, inline);
      } catch (e) {
        if (!control || isTmuxAbsent(e)) throw e;
        // The control client went away mid-collect: ask the CLI instead.
        runner = cli;
        listing = await listTmux(runner, true, log);
      }
    } catch (e) {
      if (!isTmuxAbsent(e)) error = (e as Error).message || String(e);
      else if ((e as TmuxError).code === "TMUX_SERVER_NOT_RUNNING") serverGone = true;
    }
    this.latestListing =
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
    if (listing || serverGone) {
      this.currentPanes = new Map(
        (listing?.panes ?? []).filter((p) => p.windowActive && p.active).map((p) => [p.session, p.pid]),
      );
    }
    if (!error) {
      probe?.setServerPid(listing?.serverPid);
      probe?.rebase();
    }

    // Not attached: this server's control clients, and those of any other Sentinel server on this tmux.
    const own = new Set([...(monitors?.clientNames() ?? []), ...(listing?.watchtowerClients ?? [])]);
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
      if (probe) {
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
          lines: config.captureLines,
          timeoutMs: config.captureTimeoutMs,
          nonce: this.nonce,
        });
        counters.captures += toCapture.length;
        // The capture call moved the counters too (or the next look would ask for another collect).
        probe?.rebase();
      }
      counters.captures += listing.captures.size;
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
    return { listing, snapshot, error, captures, process, signatures };
  }

  /**
   * Applies what was observed to the store, then keeps the caches in step with it. If the store throws, the
   * caches are dropped (the store and they may disagree: the caller makes the next collect full).
   */
  apply(seen: Observation, order: CollectOrder): CollectOutcome {
    const { listing, snapshot, captures, process, error } = seen;
    const { config, repos } = this.deps;
    const now = new Date(order.startedAt).toISOString();
    let outcome: CollectOutcome;
    try {
      outcome = applyCollect(
        repos,
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
          purgeRuntime: order.full,
          persistCounters: order.full,
          now,
          startedAt: order.startedAt,
          ...(error ? { error } : {}),
        },
        { journalRows: config.journalRows, timelineRows: config.timelineRows },
      );
    } catch (e) {
      this.signatures.clear();
      this.previews.clear();
      throw e;
    }
    if (snapshot) {
      for (const name of process) this.signatures.set(name, seen.signatures.get(name)!);
      for (const name of [...this.signatures.keys()])
        if (!seen.signatures.has(name)) this.signatures.delete(name);
      for (const [paneId, preview] of outcome.previews) this.previews.set(paneId, preview);
      const listed = new Set<string>();
      for (const panes of snapshot.panes.values()) for (const p of panes) listed.add(p.paneId);
      for (const paneId of [...this.previews.keys()]) if (!listed.has(paneId)) this.previews.delete(paneId);
      this.knownPanes = listed;
    }
    return outcome;
  }
}
