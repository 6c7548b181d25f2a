// wt_pane_runtime (spec §9, §4.1 step 4.4): the command each pane runs and since when, for command lifecycle
// events. Rows of panes that no longer exist are purged (the Go server kept those of vanished sessions forever).
import type { Store } from "./database.js";

export interface PaneRuntimeRow {
  paneId: string;
  session: string;
  windowIndex: number;
  command: string;
  startedAt: string;
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(",");

export class PaneRuntimeRepo {
  constructor(private readonly store: Store) {}

  forSession(session: string): Map<string, PaneRuntimeRow> {
    const rows = this.store.all<Record<string, string | number>>(
      "SELECT pane_id, session_name, window_index, current_command, started_at FROM wt_pane_runtime WHERE session_name = ?",
      [session],
    );
    return new Map(
      rows.map((r) => [
        String(r.pane_id),
        {
          paneId: String(r.pane_id),
          session: String(r.session_name),
          windowIndex: Number(r.window_index),
          command: String(r.current_command),
          startedAt: String(r.started_at),
        },
      ]),
    );
  }

  upsert(row: PaneRuntimeRow, nowIso: string): void {
    this.store.run(
      `INSERT INTO wt_pane_runtime (pane_id, session_name, window_index, current_command, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(pane_id) DO UPDATE SET session_name = excluded.session_name,
         window_index = excluded.window_index, current_command = excluded.current_command,
         started_at = excluded.started_at, updated_at = excluded.updated_at`,
      [row.paneId, row.session, row.windowIndex, row.command, row.startedAt, nowIso],
    );
  }

  delete(paneIds: string[]): void {
    if (paneIds.length === 0) return;
    this.store.run(`DELETE FROM wt_pane_runtime WHERE pane_id IN (${placeholders(paneIds.length)})`, paneIds);
  }

  /** Deletes the rows of every pane not in `live` (all rows when it is empty); returns how many. */
  purgeNotIn(live: string[]): number {
    if (live.length === 0) return this.store.run("DELETE FROM wt_pane_runtime").changes;
    return this.store.run(
      `DELETE FROM wt_pane_runtime WHERE pane_id NOT IN (${placeholders(live.length)})`,
      live,
    ).changes;
  }
}
