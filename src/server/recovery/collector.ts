// One recovery collect (spec §7.1): the boot id, the live sessions with the identity of their tmux server, a
// snapshot of each session, stored only when its hash changed and bounded per session, and sessions marked
// `killed` when they vanished across a reboot or with their tmux server. The watchtower's projection is the
// source of each session it already mirrors (same tmux session, same window count), so a collect usually costs
// one tmux call; the others are read from tmux with the watchtower's own listings (two calls for all of them).

import { rfc3339Seconds } from "../../protocol/events.js";
import type { SessionSnapshot } from "../../protocol/recovery.js";
import type { Store } from "../store/database.js";
import type { ProjectionRepo } from "../store/projectionRepo.js";
import { RecoveryKey, type RecoveryRepo } from "../store/recoveryRepo.js";
import type { Tmux, TmuxServerListing } from "../tmux/adapter.js";
import { TmuxError } from "../tmux/errors.js";
import { isTmuxAbsent, type TmuxRunner, watchPanes, watchWindows } from "../tmux/queries.js";
import { isoFromEpochSeconds } from "../watchtower/time.js";
import { buildSnapshot, type SnapshotSource, snapshotPane, snapshotWindow, stateHash } from "./snapshot.js";

export interface CollectDeps {
  store: Store;
  repo: RecoveryRepo;
  tmux: Tmux;
  projection: ProjectionRepo;
  /** Whether the watchtower keeps its projection current (it collects); otherwise tmux is asked. */
  projectionCurrent: () => boolean;
  readBootId: () => Promise<string>;
  maxSnapshots: number;
  /**
   * The live set as the watchtower's latest listing shows it (`Watchtower.serverListing`): no tmux call of this
   * collect's own. Undefined (or resolving undefined): list tmux here.
   */
  listing?: () => Promise<TmuxServerListing | undefined>;
  /**
   * What a collect that stores nothing new leaves unwritten: the `running` refresh of unchanged sessions
   * (snapshot_at, last_seen_at) and `recovery.last_collect_at`, written at the latest this long after the last
   * time. Default 0: every collect writes them, as spec §7.1 has it.
   */
  refreshEveryMs?: number;
  /** Runs this collect's tmux calls (they change nothing) so the watchtower's probe does not react to them. */
  quietly?: <T>(call: () => Promise<T>) => Promise<T>;
  /** What the previous collect was computed from (its result's `basis`): when nothing of it moved, it is reused. */
  previous?: CollectBasis;
}

/**
 * What a collect was computed from, when all of it came from the watchtower (its listing, its projection): the
 * boot id, the listing object (the watchtower's latest, the same object until it lists again), the store's write
 * count after the collect (the projection's rows and the recovery rows as they were) and when its `running`
 * refresh falls due. A collect right after it with all of these unchanged stores nothing, marks nothing killed,
 * publishes nothing and writes nothing (every session it saw is `running` and seen since the last refresh): it
 * is skipped. While the user types (no watchtower listing) or the host is idle, a tick then costs a boot id read
 * and a look, instead of three SQLite queries, a transaction and a hash per session.
 */
export interface CollectBasis {
  bootId: string;
  listing: TmuxServerListing;
  writes: number;
  refreshDueAt: number;
}

export interface CollectResult {
  bootId: string;
  bootChanged: boolean;
  /** The tmux server that ran at the previous collect is gone (killed, crashed, or replaced by another). */
  serverLost: boolean;
  /** Sessions whose snapshot was stored (its hash changed). */
  changed: string[];
  /** Sessions marked killed. */
  killed: string[];
  liveCount: number;
  liveSetChanged: boolean;
  /** When this collect ran (stored as `recovery.last_collect_at` only every `refreshEveryMs`). */
  collectedAt: string;
  /** tmux processes this collect ran, and how many sessions came from the projection or from tmux. */
  tmuxCalls: number;
  fromProjection: number;
  fromTmux: number;
  /** The previous collect's result stands: nothing it was computed from moved (`CollectDeps.previous`). */
  reused: boolean;
  /** Pass it as the next collect's `previous`; undefined when part of this one came from tmux itself. */
  basis?: CollectBasis;
}

/**
 * Snapshot sources of the sessions the watchtower mirrors (same tmux session, by its creation time, with its
 * window count), read in three queries; the others are left to tmux.
 */
function fromProjection(
  projection: ProjectionRepo,
  live: TmuxServerListing["sessions"],
): Map<string, SnapshotSource> {
  const out = new Map<string, SnapshotSource>();
  const rows = new Map(projection.sessions().map((r) => [r.name, r]));
  const trusted = new Set(
    live
      .filter((s) => {
        const row = rows.get(s.name);
        return (
          row !== undefined && row.createdAt === isoFromEpochSeconds(s.createdAt) && row.windows === s.windows
        );
      })
      .map((s) => s.name),
  );
  if (!trusted.size) return out;
  for (const name of trusted) {
    out.set(name, { sessionName: name, attached: rows.get(name)!.attached, windows: [], panes: [] });
  }
  for (const w of projection.allWindows()) {
    out.get(w.session)?.windows.push(snapshotWindow(w));
  }
  for (const p of projection.allPanes()) {
    out.get(p.session)?.panes.push(snapshotPane(p, p.tailPreview));
  }
  // A projection caught between two watchtower collects (a window added, the panes not yet) is not used.
  const counts = new Map(live.map((s) => [s.name, s.windows]));
  for (const [name, source] of out) {
    if (source.windows.length !== counts.get(name) || source.panes.length === 0) out.delete(name);
  }
  return out;
}

/** Snapshot sources of `sessions` from tmux: every window and pane in one listing each. */
async function fromTmux(run: TmuxRunner, sessions: TmuxServerListing["sessions"]): Promise<SnapshotSource[]> {
  const [windows, panes] = await Promise.all([watchWindows(run), watchPanes(run)]);
  return sessions.map((s) => ({
    sessionName: s.name,
    attached: s.attached,
    windows: windows.filter((w) => w.session === s.name).map(snapshotWindow),
    panes: panes.filter((p) => p.session === s.name).map((p) => snapshotPane(p, "")),
  }));
}

const run = <T>(call: () => Promise<T>) => call();

export async function collectOnce(deps: CollectDeps, now: Date = new Date()): Promise<CollectResult> {
  const { repo, tmux } = deps;
  const nowIso = rfc3339Seconds(now);
  const bootId = await deps.readBootId();
  let tmuxCalls = 0;
  // Undefined: no tmux binary, so nothing is known about a server (neither live nor lost).
  let listing: TmuxServerListing | undefined;
  listing = await deps.listing?.();
  if (!listing) {
    try {
      tmuxCalls++;
      listing = await (deps.quietly ?? run)(() => tmux.listSessionsWithServer());
    } catch (e) {
      if (!(e instanceof TmuxError && e.code === "TMUX_NOT_FOUND")) throw e;
    }
  }
  const liveSessions = listing?.sessions ?? [];
  const previous = deps.previous;
  if (
    previous &&
    listing === previous.listing &&
    bootId === previous.bootId &&
    deps.store.writes === previous.writes &&
    now.getTime() < previous.refreshDueAt
  ) {
    return {
      bootId,
      bootChanged: false,
      serverLost: false,
      changed: [],
      killed: [],
      liveCount: liveSessions.length,
      liveSetChanged: false,
      collectedAt: nowIso,
      tmuxCalls,
      fromProjection: liveSessions.length,
      fromTmux: 0,
      reused: true,
      basis: previous,
    };
  }

  // The time of the last collect as stored once this one is done (when its refresh falls due).
  let lastWritten = "";
  const sources: SnapshotSource[] = [];
  const needTmux: TmuxServerListing["sessions"] = [];
  const mirrored =
    deps.projectionCurrent() && liveSessions.length
      ? fromProjection(deps.projection, liveSessions)
      : undefined;
  for (const s of liveSessions) {
    const source = mirrored?.get(s.name);
    if (source) sources.push(source);
    else needTmux.push(s);
  }
  const fromProjectionCount = sources.length;
  if (needTmux.length) {
    tmuxCalls += 2;
    try {
      sources.push(
        ...(await (deps.quietly ?? run)(() => fromTmux((args, t) => tmux.run(args, t), needTmux))),
      );
    } catch (e) {
      // The server went away between the listings, or its last session ended ("no current target"): those
      // sessions are not snapshotted this time.
      if (!isTmuxAbsent(e) && !(e instanceof TmuxError && e.code === "SESSION_NOT_FOUND")) throw e;
    }
  }
  const snapshots: SessionSnapshot[] = sources
    .filter((s) => s.windows.length > 0 && s.panes.length > 0)
    .map((s) => buildSnapshot(s, bootId, nowIso));

  const result = deps.store.transaction((): CollectResult => {
    const storedBoot = repo.get(RecoveryKey.LastBootId) ?? "";
    const bootChanged = storedBoot !== "" && bootId !== "" && storedBoot !== bootId;
    const storedServer = repo.get(RecoveryKey.LastTmuxServer) ?? "";
    const serverLost = listing !== undefined && storedServer !== "" && storedServer !== listing.server;
    const previousLive = repo.get(RecoveryKey.LastLiveSessions) ?? "";

    const hashes = repo.hashes();
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const snap of snapshots) {
      const hash = stateHash(snap);
      if (hashes.get(snap.sessionName) === hash) {
        unchanged.push(snap.sessionName);
        continue;
      }
      repo.insertSnapshot(
        {
          sessionName: snap.sessionName,
          bootId,
          stateHash: hash,
          capturedAt: nowIso,
          activeWindow: snap.activeWindow,
          activePaneId: snap.activePaneId,
          windows: snap.windows.length,
          panes: snap.panes.length,
          payloadJson: JSON.stringify(snap),
        },
        nowIso,
      );
      repo.trimSnapshots(snap.sessionName, deps.maxSnapshots);
      changed.push(snap.sessionName);
    }

    // A collect that finds nothing new writes nothing (no transaction to sync to disk every few seconds): the
    // times of the `running` refresh and of the last collect are written at most every `refreshEveryMs`.
    const refreshBefore = rfc3339Seconds(new Date(now.getTime() - (deps.refreshEveryMs ?? 0)));
    const lastWrittenCollect = repo.get(RecoveryKey.LastCollectAt) ?? "";
    const refresh = !deps.refreshEveryMs || lastWrittenCollect <= refreshBefore;
    repo.touchSessions(
      refresh ? unchanged : repo.needingTouch(unchanged, bootId, refreshBefore),
      bootId,
      nowIso,
    );
    const liveNames = liveSessions.map((s) => s.name).sort();
    const liveJoined = liveNames.join(",");
    // Without tmux nothing is known about the live set: the last one known stays.
    if (listing && liveJoined !== previousLive) repo.set(RecoveryKey.LastLiveSessions, liveJoined, nowIso);
    const live = new Set(liveNames);
    const killed: string[] = [];
    if (bootChanged) {
      killed.push(...repo.markKilled(live, bootId, nowIso));
      repo.set(RecoveryKey.LastBootChangeAt, nowIso, nowIso);
    }
    if (serverLost) {
      // Only the sessions that went down with the server: one that ended earlier, on its own, stays as it was.
      const wentDown = new Set(previousLive ? previousLive.split(",") : []);
      killed.push(...repo.markKilled(live, bootId, nowIso, wentDown));
      repo.set(RecoveryKey.LastServerLossAt, nowIso, nowIso);
    }
    if (bootId !== storedBoot) repo.set(RecoveryKey.LastBootId, bootId, nowIso);
    if (listing && listing.server !== storedServer)
      repo.set(RecoveryKey.LastTmuxServer, listing.server, nowIso);
    const collectWritten = refresh || changed.length > 0 || killed.length > 0;
    if (collectWritten) repo.set(RecoveryKey.LastCollectAt, nowIso, nowIso);
    lastWritten = collectWritten ? nowIso : lastWrittenCollect;
    return {
      bootId,
      bootChanged,
      serverLost,
      changed,
      killed,
      liveCount: liveNames.length,
      liveSetChanged: listing !== undefined && liveJoined !== previousLive,
      collectedAt: nowIso,
      tmuxCalls,
      fromProjection: fromProjectionCount,
      fromTmux: needTmux.length,
      reused: false,
    };
  });
  // Only a collect that read nothing from tmux itself can stand for the next one; with refreshEveryMs 0 (every
  // collect writes its refresh) none does.
  if (listing && deps.listing && !needTmux.length && deps.refreshEveryMs) {
    result.basis = {
      bootId,
      listing,
      writes: deps.store.writes,
      refreshDueAt: Date.parse(lastWritten) + deps.refreshEveryMs,
    };
  }
  return result;
}
