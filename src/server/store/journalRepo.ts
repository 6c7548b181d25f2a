// wt_journal (spec §9, §4.1 step 9, §1.5): one row per changed session per collect, numbered by the global
// revision that `GET /api/tmux/activity/delta` reads from.
import type { Store } from "./database.js";
import type { RuntimeRepo } from "./runtimeRepo.js";

export interface JournalRow {
  id: number;
  globalRev: number;
  entityType: string;
  session: string;
  windowIndex: number;
  paneId: string;
  changeKind: string;
  changedAt: string;
}

export class JournalRepo {
  constructor(
    private readonly store: Store,
    private readonly runtime: RuntimeRepo,
  ) {}

  globalRev(): number {
    return this.runtime.int("global_rev");
  }

  /**
   * One `session` row per session, in order, each with the next global revision: `activity` for the changed
   * ones, then `delete` for the vanished ones (this port's addition, so delta readers learn of them too).
   * Returns the last revision.
   */
  appendActivity(changed: string[], nowIso: string, vanished: string[] = []): number {
    let rev = this.globalRev();
    const rows = [
      ...changed.map((s) => [s, "activity"] as const),
      ...vanished.map((s) => [s, "delete"] as const),
    ];
    for (const [session, kind] of rows) {
      rev++;
      this.store.run(
        `INSERT INTO wt_journal (global_rev, entity_type, session_name, window_index, pane_id, change_kind,
           changed_at) VALUES (?, 'session', ?, -1, '', ?, ?)`,
        [rev, session, kind, nowIso],
      );
    }
    this.runtime.set("global_rev", String(rev), nowIso);
    return rev;
  }

  /** Rows with `global_rev > since`, oldest first, at most `limit`. */
  since(since: number, limit: number): JournalRow[] {
    return this.store
      .all<Record<string, string | number>>(
        `SELECT id, global_rev, entity_type, session_name, window_index, pane_id, change_kind, changed_at
         FROM wt_journal WHERE global_rev > ? ORDER BY global_rev, id LIMIT ?`,
        [since, limit],
      )
      .map((r) => ({
        id: Number(r.id),
        globalRev: Number(r.global_rev),
        entityType: String(r.entity_type),
        session: String(r.session_name),
        windowIndex: Number(r.window_index),
        paneId: String(r.pane_id),
        changeKind: String(r.change_kind),
        changedAt: String(r.changed_at),
      }));
  }

  /** The oldest global revision still kept, undefined when the journal is empty. */
  oldestRev(): number | undefined {
    const row = this.store.get<{ rev: number | null }>("SELECT MIN(global_rev) AS rev FROM wt_journal");
    return row?.rev == null ? undefined : Number(row.rev);
  }

  /** Keeps the newest `maxRows` rows by (global_rev, id); returns how many were deleted. */
  retain(maxRows: number): number {
    return this.store.run(
      `DELETE FROM wt_journal WHERE id IN (
         SELECT id FROM wt_journal ORDER BY global_rev DESC, id DESC LIMIT -1 OFFSET ?)`,
      [maxRows],
    ).changes;
  }
}
