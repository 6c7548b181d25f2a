// Rows read from the store, kept in memory until the store's next write statement (any table: the store is small
// and written a few times a second at most, so a coarse key is cheap and cannot miss a write). The GET routes
// answer from it: a read costs a few map lookups instead of SQLite statements, each of which would take the
// file's lock and read its first page again. Callers must not mutate what they get.
import type { Store } from "./database.js";

export class ReadCache {
  private generation = -1;
  private readonly entries = new Map<string, unknown>();

  constructor(private readonly store: Store) {}

  get<T>(key: string, load: () => T): T {
    if (this.generation !== this.store.writes) {
      this.entries.clear();
      this.generation = this.store.writes;
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = load();
    this.entries.set(key, value);
    return value;
  }
}
