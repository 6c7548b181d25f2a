// wt_runtime (spec §9, §4.1 step 12): the journal's global revision and the collect counters, as strings.
import type { Store } from "./database.js";

export const RUNTIME_KEYS = [
  "global_rev",
  "collect_total",
  "collect_errors_total",
  "last_collect_at",
  "last_collect_duration_ms",
  "last_collect_sessions",
  "last_collect_changed_sessions",
  "last_collect_error",
] as const;

export type RuntimeKey = (typeof RUNTIME_KEYS)[number];

export class RuntimeRepo {
  constructor(private readonly store: Store) {}

  get(key: RuntimeKey): string | undefined {
    return this.store.get<{ value: string }>("SELECT value FROM wt_runtime WHERE key = ?", [key])?.value;
  }

  /** Integer value of a key; 0 when absent or not an integer. */
  int(key: RuntimeKey): number {
    const n = Number.parseInt(this.get(key) ?? "", 10);
    return Number.isFinite(n) ? n : 0;
  }

  all(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.store.all<{ key: string; value: string }>(
      "SELECT key, value FROM wt_runtime ORDER BY key",
    ))
      out[r.key] = r.value;
    return out;
  }

  set(key: RuntimeKey, value: string, nowIso: string): void {
    this.store.run(
      `INSERT INTO wt_runtime (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, nowIso],
    );
  }
}
