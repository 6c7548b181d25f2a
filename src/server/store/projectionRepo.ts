// The watchtower projection (spec §9): wt_sessions, wt_windows and wt_panes. Rows in, rows out; the
// watchtower decides what they hold. Callers that change several rows wrap the calls in one transaction.
import type {
  PaneInfo,
  PaneState,
  SessionInfo,
  SessionState,
  WindowInfo,
  WindowState,
} from "../model/types.js";
import type { Store } from "./database.js";
import { ReadCache } from "./readCache.js";

/** A projected session: the model's facts and state (model/types.ts), its pane count and its last preview. */
export interface SessionRow extends SessionInfo, SessionState {
  panes: number;
  lastPreview: string;
  lastPreviewAt: string;
  lastPreviewPaneId: string;
}

export interface WindowRow extends WindowInfo, WindowState {}

/** A projected pane: the model's facts and state (model/types.ts), with the hash and time of its last capture. */
export interface PaneRow extends PaneInfo, PaneState {
  tailHash: string;
  tailCapturedAt: string;
}

type Raw = Record<string, string | number | bigint | null>;
const num = (v: unknown) => Number(v ?? 0);
const str = (v: unknown) => (v == null ? "" : String(v));

const SESSION_COLUMNS = `session_name, attached, windows, panes, session_created, activity_at, last_preview,
  last_preview_at, last_preview_pane_id, unread_windows, unread_panes, rev`;
const WINDOW_COLUMNS = `session_name, window_index, name, active, layout, window_activity_at, unread_panes,
  has_unread, rev`;
const PANE_COLUMNS = `pane_id, session_name, window_index, pane_index, title, active, tty, current_path,
  start_command, current_command, tail_hash, tail_preview, tail_captured_at, revision, seen_revision, changed_at`;

function sessionRow(r: Raw): SessionRow {
  return {
    name: str(r.session_name),
    attached: num(r.attached),
    windows: num(r.windows),
    panes: num(r.panes),
    createdAt: str(r.session_created),
    activityAt: str(r.activity_at),
    lastPreview: str(r.last_preview),
    lastPreviewAt: str(r.last_preview_at),
    lastPreviewPaneId: str(r.last_preview_pane_id),
    unreadWindows: num(r.unread_windows),
    unreadPanes: num(r.unread_panes),
    rev: num(r.rev),
  };
}

function windowRow(r: Raw): WindowRow {
  return {
    session: str(r.session_name),
    index: num(r.window_index),
    name: str(r.name),
    active: num(r.active) === 1,
    layout: str(r.layout),
    activityAt: str(r.window_activity_at),
    unreadPanes: num(r.unread_panes),
    hasUnread: num(r.has_unread) === 1,
    rev: num(r.rev),
  };
}

function paneRow(r: Raw): PaneRow {
  return {
    paneId: str(r.pane_id),
    session: str(r.session_name),
    windowIndex: num(r.window_index),
    paneIndex: num(r.pane_index),
    title: str(r.title),
    active: num(r.active) === 1,
    tty: str(r.tty),
    currentPath: str(r.current_path),
    startCommand: str(r.start_command),
    currentCommand: str(r.current_command),
    tailHash: str(r.tail_hash),
    tailPreview: str(r.tail_preview),
    tailCapturedAt: str(r.tail_captured_at),
    revision: num(r.revision),
    seenRevision: num(r.seen_revision),
    changedAt: str(r.changed_at),
  };
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(",");

/** Reads of sessions, windows and panes come from a cache that the store's next write drops (the rows are shared:
 * callers must not mutate them). */
export class ProjectionRepo {
  private readonly cache: ReadCache;

  constructor(private readonly store: Store) {
    this.cache = new ReadCache(store);
  }

  isEmpty(): boolean {
    return this.sessions().length === 0;
  }

  sessions(): SessionRow[] {
    return this.cache.get("sessions", () =>
      this.store.all<Raw>(`SELECT ${SESSION_COLUMNS} FROM wt_sessions ORDER BY session_name`).map(sessionRow),
    );
  }

  session(name: string): SessionRow | undefined {
    return this.sessions().find((s) => s.name === name);
  }

  windows(session: string): WindowRow[] {
    return this.cache.get(`windows:${session}`, () =>
      this.store
        .all<Raw>(`SELECT ${WINDOW_COLUMNS} FROM wt_windows WHERE session_name = ? ORDER BY window_index`, [
          session,
        ])
        .map(windowRow),
    );
  }

  panes(session: string): PaneRow[] {
    return this.cache.get(`panes:${session}`, () =>
      this.store
        .all<Raw>(
          `SELECT ${PANE_COLUMNS} FROM wt_panes WHERE session_name = ? ORDER BY window_index, pane_index`,
          [session],
        )
        .map(paneRow),
    );
  }

  /** Every projected window, by session then index (one query: recovery reads them all at once). */
  allWindows(): WindowRow[] {
    return this.store
      .all<Raw>(`SELECT ${WINDOW_COLUMNS} FROM wt_windows ORDER BY session_name, window_index`)
      .map(windowRow);
  }

  /** Every projected pane, by session, window and pane index. */
  allPanes(): PaneRow[] {
    return this.store
      .all<Raw>(`SELECT ${PANE_COLUMNS} FROM wt_panes ORDER BY session_name, window_index, pane_index`)
      .map(paneRow);
  }

  /** Every projected pane id with its session (a pane id is the key across sessions). */
  paneSessions(): Map<string, string> {
    const rows = this.store.all<Raw>("SELECT pane_id, session_name FROM wt_panes");
    return new Map(rows.map((r) => [str(r.pane_id), str(r.session_name)]));
  }

  upsertSession(s: SessionRow, nowIso: string): void {
    this.store.run(
      `INSERT INTO wt_sessions (${SESSION_COLUMNS}, updated_at) VALUES (${placeholders(13)})
       ON CONFLICT(session_name) DO UPDATE SET attached = excluded.attached, windows = excluded.windows,
         panes = excluded.panes, session_created = excluded.session_created, activity_at = excluded.activity_at,
         last_preview = excluded.last_preview, last_preview_at = excluded.last_preview_at,
         last_preview_pane_id = excluded.last_preview_pane_id, unread_windows = excluded.unread_windows,
         unread_panes = excluded.unread_panes, rev = excluded.rev, updated_at = excluded.updated_at`,
      [
        s.name,
        s.attached,
        s.windows,
        s.panes,
        s.createdAt,
        s.activityAt,
        s.lastPreview,
        s.lastPreviewAt,
        s.lastPreviewPaneId,
        s.unreadWindows,
        s.unreadPanes,
        s.rev,
        nowIso,
      ],
    );
  }

  upsertWindow(w: WindowRow, nowIso: string): void {
    this.store.run(
      `INSERT INTO wt_windows (${WINDOW_COLUMNS}, updated_at) VALUES (${placeholders(10)})
       ON CONFLICT(session_name, window_index) DO UPDATE SET name = excluded.name, active = excluded.active,
         layout = excluded.layout, window_activity_at = excluded.window_activity_at,
         unread_panes = excluded.unread_panes, has_unread = excluded.has_unread, rev = excluded.rev,
         updated_at = excluded.updated_at`,
      [
        w.session,
        w.index,
        w.name,
        w.active ? 1 : 0,
        w.layout,
        w.activityAt,
        w.unreadPanes,
        w.hasUnread ? 1 : 0,
        w.rev,
        nowIso,
      ],
    );
  }

  upsertPane(p: PaneRow, nowIso: string): void {
    this.store.run(
      `INSERT INTO wt_panes (${PANE_COLUMNS}, updated_at) VALUES (${placeholders(17)})
       ON CONFLICT(pane_id) DO UPDATE SET session_name = excluded.session_name,
         window_index = excluded.window_index, pane_index = excluded.pane_index, title = excluded.title,
         active = excluded.active, tty = excluded.tty, current_path = excluded.current_path,
         start_command = excluded.start_command, current_command = excluded.current_command,
         tail_hash = excluded.tail_hash, tail_preview = excluded.tail_preview,
         tail_captured_at = excluded.tail_captured_at, revision = excluded.revision,
         seen_revision = excluded.seen_revision, changed_at = excluded.changed_at, updated_at = excluded.updated_at`,
      [
        p.paneId,
        p.session,
        p.windowIndex,
        p.paneIndex,
        p.title,
        p.active ? 1 : 0,
        p.tty,
        p.currentPath,
        p.startCommand,
        p.currentCommand,
        p.tailHash,
        p.tailPreview,
        p.tailCapturedAt,
        p.revision,
        p.seenRevision,
        p.changedAt,
        nowIso,
      ],
    );
  }

  deletePanes(paneIds: string[]): void {
    if (paneIds.length === 0) return;
    this.store.run(`DELETE FROM wt_panes WHERE pane_id IN (${placeholders(paneIds.length)})`, paneIds);
  }

  deleteWindows(session: string, indexes: number[]): void {
    if (indexes.length === 0) return;
    this.store.run(
      `DELETE FROM wt_windows WHERE session_name = ? AND window_index IN (${placeholders(indexes.length)})`,
      [session, ...indexes],
    );
  }

  /** Drops the projection of every session not in `live` (all of it when `live` is empty); returns the names. */
  deleteSessionsNotIn(live: string[]): string[] {
    const gone = this.store
      .all<Raw>("SELECT session_name FROM wt_sessions")
      .map((r) => str(r.session_name))
      .filter((name) => !live.includes(name));
    const keep = live.length ? `NOT IN (${placeholders(live.length)})` : "IS NOT NULL";
    for (const table of ["wt_panes", "wt_windows", "wt_sessions"]) {
      this.store.run(`DELETE FROM ${table} WHERE session_name ${keep}`, live);
    }
    return gone;
  }

  /**
   * Sets `seen_revision = revision` where `revision > seen_revision`, for one pane, one window or a whole
   * session (spec §3.5); returns how many panes changed.
   */
  markSeen(
    session: string,
    scope: "pane" | "window" | "session",
    windowIndex: number,
    paneId: string,
    nowIso: string,
  ): number {
    const base = "UPDATE wt_panes SET seen_revision = revision, updated_at = ? WHERE session_name = ?";
    const unread = "AND revision > seen_revision";
    if (scope === "pane")
      return this.store.run(`${base} AND pane_id = ? ${unread}`, [nowIso, session, paneId]).changes;
    if (scope === "window")
      return this.store.run(`${base} AND window_index = ? ${unread}`, [nowIso, session, windowIndex]).changes;
    return this.store.run(`${base} ${unread}`, [nowIso, session]).changes;
  }

  /**
   * The recompute of spec §4.4 after a seen: windows whose unread count changed get it with rev+1; the session
   * gets its counters and rev+1 only when they changed. Returns whether anything changed.
   */
  recomputeUnread(session: string, nowIso: string): boolean {
    const counts = new Map<number, number>();
    for (const r of this.store.all<Raw>(
      `SELECT window_index, SUM(CASE WHEN revision > seen_revision THEN 1 ELSE 0 END) AS unread
       FROM wt_panes WHERE session_name = ? GROUP BY window_index`,
      [session],
    )) {
      counts.set(num(r.window_index), num(r.unread));
    }
    let changed = false;
    let unreadWindows = 0;
    let unreadPanes = 0;
    for (const w of this.windows(session)) {
      const unread = counts.get(w.index) ?? 0;
      if (unread > 0) unreadWindows++;
      unreadPanes += unread;
      if (unread !== w.unreadPanes || unread > 0 !== w.hasUnread) {
        this.store.run(
          `UPDATE wt_windows SET unread_panes = ?, has_unread = ?, rev = rev + 1, updated_at = ?
           WHERE session_name = ? AND window_index = ?`,
          [unread, unread > 0 ? 1 : 0, nowIso, session, w.index],
        );
        changed = true;
      }
    }
    const s = this.session(session);
    if (s && (s.unreadWindows !== unreadWindows || s.unreadPanes !== unreadPanes)) {
      this.store.run(
        `UPDATE wt_sessions SET unread_windows = ?, unread_panes = ?, rev = rev + 1, updated_at = ?
         WHERE session_name = ?`,
        [unreadWindows, unreadPanes, nowIso, session],
      );
      changed = true;
    }
    return changed;
  }
}
