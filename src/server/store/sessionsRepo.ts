// The `sessions` table: UI metadata per tmux session (icon, hash, last content, window name sequence).
import { createHash } from "node:crypto";
import type { Store } from "./database.js";
import { ReadCache } from "./readCache.js";

export interface SessionMeta {
  name: string;
  hash: string;
  lastContent: string;
  icon: string;
}

/** First 6 bytes of sha256("<name>:<epochSeconds>") as hex (spec §1.2; golden: ("test",1700000000) → 47bb9a80cd8e). */
export function sessionHash(name: string, epochSeconds: number): string {
  return createHash("sha256").update(`${name}:${epochSeconds}`).digest("hex").slice(0, 12);
}

/** The hash of a projected session: from tmux's creation time, else its activity time (ISO strings). */
export function projectedSessionHash(name: string, createdAt: string, activityAt: string): string {
  return sessionHash(name, Math.floor((Date.parse(createdAt) || Date.parse(activityAt) || 0) / 1000));
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

export class SessionsRepo {
  private readonly cache: ReadCache;

  constructor(private readonly store: Store) {
    this.cache = new ReadCache(store);
  }

  /** Every row, from a cache that the store's next write drops (shared: callers must not mutate it). */
  all(): ReadonlyMap<string, SessionMeta> {
    return this.cache.get("all", () => {
      const rows = this.store.all<{ name: string; hash: string; last_content: string; icon: string }>(
        "SELECT name, hash, last_content, icon FROM sessions",
      );
      return new Map(
        rows.map((r) => [r.name, { name: r.name, hash: r.hash, lastContent: r.last_content, icon: r.icon }]),
      );
    });
  }

  /**
   * Makes the table match the listed sessions (spec §1.2's side effect): rows whose last content differs are
   * upserted, rows of sessions not listed are deleted. Writes nothing when the table already matches.
   */
  sync(live: Array<{ name: string; hash: string; lastContent: string }>): void {
    const stored = this.all();
    const listed = new Set(live.map((s) => s.name));
    const upserts = live.filter((s) => stored.get(s.name)?.lastContent !== s.lastContent);
    const gone = [...stored.keys()].filter((name) => !listed.has(name));
    if (upserts.length === 0 && gone.length === 0) return;
    this.store.transaction(() => {
      const ts = now();
      for (const s of upserts) {
        this.store.run(
          `INSERT INTO sessions (name, hash, last_content, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET last_content = excluded.last_content, updated_at = excluded.updated_at`,
          [s.name, s.hash, s.lastContent, ts],
        );
      }
      if (gone.length)
        this.store.run(`DELETE FROM sessions WHERE name IN (${gone.map(() => "?").join(",")})`, gone);
    });
  }

  ensure(name: string, hash: string): void {
    this.store.run("INSERT OR IGNORE INTO sessions (name, hash, updated_at) VALUES (?, ?, ?)", [
      name,
      hash,
      now(),
    ]);
  }

  /** Sets the icon, creating the row if needed (the seed silently did nothing without a row). */
  setIcon(name: string, icon: string, hash: string): void {
    this.store.run(
      `INSERT INTO sessions (name, hash, icon, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET icon = excluded.icon, updated_at = excluded.updated_at`,
      [name, hash, icon, now()],
    );
  }

  rename(name: string, newName: string): void {
    this.store.transaction(() => {
      this.store.run("DELETE FROM sessions WHERE name = ?", [newName]);
      this.store.run("UPDATE sessions SET name = ?, updated_at = ? WHERE name = ?", [newName, now(), name]);
    });
  }

  remove(name: string): void {
    this.store.run("DELETE FROM sessions WHERE name = ?", [name]);
  }

  /** Returns max(stored next_window_seq, seq) and stores that value + 1 (spec §1.3 step 4). */
  allocateWindowSequence(name: string, seq: number, hash: string): number {
    return this.store.transaction(() => {
      this.ensure(name, hash);
      const row = this.store.get<{ next_window_seq: number }>(
        "SELECT next_window_seq FROM sessions WHERE name = ?",
        [name],
      );
      const allocated = Math.max(Number(row?.next_window_seq ?? 1), seq);
      this.store.run("UPDATE sessions SET next_window_seq = ? WHERE name = ?", [allocated + 1, name]);
      return allocated;
    });
  }
}
