// The `sessions` table: UI metadata per tmux session (icon, hash, last content, window name sequence).
import { createHash } from "node:crypto";
import type { Store } from "./database.js";

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

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

export class SessionsRepo {
  constructor(private readonly store: Store) {}

  all(): Map<string, SessionMeta> {
    const rows = this.store.all<{ name: string; hash: string; last_content: string; icon: string }>(
      "SELECT name, hash, last_content, icon FROM sessions",
    );
    return new Map(
      rows.map((r) => [r.name, { name: r.name, hash: r.hash, lastContent: r.last_content, icon: r.icon }]),
    );
  }

  /** Upserts the listed sessions and drops rows of sessions that no longer exist, in one transaction. */
  sync(live: Array<{ name: string; hash: string; lastContent: string }>): void {
    this.store.transaction(() => {
      const ts = now();
      for (const s of live) {
        this.store.run(
          `INSERT INTO sessions (name, hash, last_content, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET last_content = excluded.last_content, updated_at = excluded.updated_at`,
          [s.name, s.hash, s.lastContent, ts],
        );
      }
      const names = live.map((s) => s.name);
      if (names.length === 0) this.store.run("DELETE FROM sessions");
      else
        this.store.run(`DELETE FROM sessions WHERE name NOT IN (${names.map(() => "?").join(",")})`, names);
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
