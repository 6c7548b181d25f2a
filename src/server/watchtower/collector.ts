// Applies one collect to the store (spec §4.1 steps 1, 3–10, 12) in ONE transaction: presence pruning, the
// projection of each session that needs it, deletion of what vanished, the `sessions` table kept in step, the
// journal and its global revision, timeline rows, retention and the runtime counters. Reads tmux nothing: the
// engine hands it what tmux showed.
import type { TmuxRepos } from "../store/repositories.js";
import { projectedSessionHash } from "../store/sessionsRepo.js";
import {
  type FirstSight,
  type LivePane,
  type LiveSession,
  type LiveWindow,
  projectSession,
} from "./project.js";

export interface Snapshot {
  /** In tmux list order. */
  sessions: LiveSession[];
  windows: ReadonlyMap<string, LiveWindow[]>;
  panes: ReadonlyMap<string, LivePane[]>;
}

export interface CollectInput {
  /** Undefined: no tmux server or no tmux; the projections are kept as they are. */
  snapshot: Snapshot | undefined;
  captures: ReadonlyMap<string, string>;
  /** How panes' first output is taken (project.ts). */
  firstSight?: FirstSight;
  /** Sessions to project; the others are known to be unchanged. */
  process: ReadonlySet<string>;
  /** Write the collect counters even if nothing else changed (the engine asks every so often). */
  persistCounters?: boolean;
  /** Also purge runtime rows of every pane tmux did not list (done on full collects). */
  purgeRuntime: boolean;
  now: string;
  startedAt: number;
  error?: string;
}

export interface CollectOutcome {
  /** Live sessions whose projection changed, in tmux order. */
  changed: string[];
  /** Sessions whose projection was dropped because tmux no longer lists them. */
  vanished: string[];
  /** Sessions that got timeline rows, sorted. */
  timeline: string[];
  globalRev: number;
  /** Normalised previews of the panes written, for the engine's cache. */
  previews: Map<string, string>;
}

export interface Limits {
  journalRows: number;
  timelineRows: number;
}

export function applyCollect(repos: TmuxRepos, input: CollectInput, limits: Limits): CollectOutcome {
  const { store, projection, presence, runtime, journal, timeline, paneRuntime, sessions } = repos;
  const { now, snapshot } = input;
  return store.transaction(() => {
    presence.prune(now);
    const outcome: CollectOutcome = {
      changed: [],
      vanished: [],
      timeline: [],
      globalRev: 0,
      previews: new Map(),
    };
    const timelineSessions = new Set<string>();
    if (snapshot) {
      const focused = presence.focusedPanes(now);
      for (const live of snapshot.sessions) {
        if (!input.process.has(live.name)) continue;
        const result = projectSession({
          session: live,
          windows: snapshot.windows.get(live.name) ?? [],
          panes: snapshot.panes.get(live.name) ?? [],
          captures: input.captures,
          previous: {
            session: projection.session(live.name),
            windows: projection.windows(live.name),
            panes: projection.panes(live.name),
            runtime: paneRuntime.forSession(live.name),
          },
          focused: focused.get(live.name) ?? new Set(),
          ...(input.firstSight ? { firstSight: input.firstSight } : {}),
          now,
        });
        for (const p of result.upsertPanes) {
          projection.upsertPane(p, now);
          outcome.previews.set(p.paneId, p.tailPreview);
        }
        projection.deletePanes(result.deletePanes);
        paneRuntime.delete(result.deletePanes);
        for (const w of result.upsertWindows) projection.upsertWindow(w, now);
        projection.deleteWindows(live.name, result.deleteWindows);
        for (const r of result.upsertRuntime) paneRuntime.upsert(r, now);
        if (result.changed) {
          projection.upsertSession(result.session, now);
          outcome.changed.push(live.name);
        }
        for (const e of result.timeline) {
          timeline.insert(e);
          timelineSessions.add(live.name);
        }
      }
      const liveNames = snapshot.sessions.map((s) => s.name);
      outcome.vanished = projection.deleteSessionsNotIn(liveNames);
      // The `sessions` table follows the projection (spec §1.2's side effect of a list, done here so that a
      // read never writes): the last non-empty preview of each session, no rows of sessions gone.
      if (outcome.changed.length || outcome.vanished.length) {
        const stored = sessions.all();
        sessions.sync(
          projection.sessions().map((row) => ({
            name: row.name,
            hash: projectedSessionHash(row.name, row.createdAt, row.activityAt),
            lastContent: row.lastPreview || stored.get(row.name)?.lastContent || "",
          })),
        );
      }
      if (input.purgeRuntime || outcome.vanished.length) {
        const livePanes: string[] = [];
        for (const panes of snapshot.panes.values()) for (const p of panes) livePanes.push(p.paneId);
        paneRuntime.purgeNotIn(livePanes);
      }
    }
    const journalled = [...outcome.changed, ...outcome.vanished];
    outcome.globalRev = journalled.length
      ? journal.appendActivity(outcome.changed, now, outcome.vanished)
      : journal.globalRev();
    if (journalled.length) journal.retain(limits.journalRows);
    if (timelineSessions.size) timeline.retain(limits.timelineRows);
    outcome.timeline = [...timelineSessions].sort();

    // The counters are written with whatever else this collect writes; a collect that changed nothing only
    // stages them (readers see them at once), written at the latest when `persistCounters` says so.
    runtime.stage("collect_total", String(runtime.int("collect_total") + 1));
    if (input.error) runtime.stage("collect_errors_total", String(runtime.int("collect_errors_total") + 1));
    runtime.stage("last_collect_at", `${new Date(input.startedAt).toISOString().slice(0, 19)}Z`);
    runtime.stage("last_collect_duration_ms", String(Math.round(Date.now() - input.startedAt)));
    runtime.stage("last_collect_sessions", String(snapshot?.sessions.length ?? 0));
    runtime.stage("last_collect_changed_sessions", String(outcome.changed.length));
    runtime.stage("last_collect_error", input.error ?? "");
    if (input.persistCounters || journalled.length || timelineSessions.size || input.error)
      runtime.flush(now);
    return outcome;
  });
}
