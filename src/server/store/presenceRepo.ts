// wt_presence (spec §1.4, §9): which terminal shows which pane, kept until `expires_at`.
import type { Store } from "./database.js";

export interface PresenceRow {
  terminalId: string;
  session: string;
  windowIndex: number;
  paneId: string;
  visible: boolean;
  focused: boolean;
  expiresAt: string;
}

export class PresenceRepo {
  constructor(private readonly store: Store) {}

  upsert(p: PresenceRow, nowIso: string): void {
    this.store.run(
      `INSERT INTO wt_presence (terminal_id, session_name, window_index, pane_id, visible, focused, updated_at,
         expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(terminal_id) DO UPDATE SET session_name = excluded.session_name,
         window_index = excluded.window_index, pane_id = excluded.pane_id, visible = excluded.visible,
         focused = excluded.focused, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
      [
        p.terminalId,
        p.session,
        p.windowIndex,
        p.paneId,
        p.visible ? 1 : 0,
        p.focused ? 1 : 0,
        nowIso,
        p.expiresAt,
      ],
    );
  }

  /** Deletes rows that expired before `nowIso`; returns how many. */
  prune(nowIso: string): number {
    return this.store.run("DELETE FROM wt_presence WHERE expires_at != '' AND expires_at < ?", [nowIso])
      .changes;
  }

  /** Focused panes per session: visible, focused, not expired, with a pane id (spec §4.1 step 3.4). */
  focusedPanes(nowIso: string): Map<string, Set<string>> {
    const rows = this.store.all<{ session_name: string; pane_id: string }>(
      `SELECT session_name, pane_id FROM wt_presence
       WHERE visible = 1 AND focused = 1 AND pane_id != '' AND (expires_at = '' OR expires_at >= ?)`,
      [nowIso],
    );
    const out = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = out.get(r.session_name) ?? new Set<string>();
      set.add(r.pane_id);
      out.set(r.session_name, set);
    }
    return out;
  }

  count(): number {
    return Number(this.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM wt_presence")?.n ?? 0);
  }
}
