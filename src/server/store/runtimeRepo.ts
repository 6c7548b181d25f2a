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
  /** Values set with `stage`, not yet written: reads see them, `flush` writes them. */
  private readonly staged = new Map<RuntimeKey, string>();

  constructor(private readonly store: Store) {}

  get(key: RuntimeKey): string | undefined {
    return (
      this.staged.get(key) ??
      this.store.get<{ value: string }>("SELECT value FROM wt_runtime WHERE key = ?", [key])?.value
    );
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
    for (const [key, value] of this.staged) out[key] = value;
    return out;
  }

  /**
   * Sets a value for readers of this process at once, and for the store at the next `flush`: counters that
   * change on every collect need not cost a write (and a sync) each time nothing else changed.
   */
  stage(key: RuntimeKey, value: string): void {
    this.staged.set(key, value);
  }

  /** Writes the staged values (inside the caller's transaction, if any). */
  flush(nowIso: string): void {
    for (const [key, value] of [...this.staged]) this.set(key, value, nowIso);
  }

  set(key: RuntimeKey, value: string, nowIso: string): void {
    this.staged.delete(key);
    this.store.run(
      `INSERT INTO wt_runtime (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, nowIso],
    );
  }
}
