// The embedded SQLite store (WASM, file-backed): opening, migrations, transactions, and a recovery path for a
// corrupt file (the broken file is kept aside and a fresh one created).
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { Database } from "node-sqlite3-wasm";
import { migrations as defaultMigrations, type Migration } from "./migrations.js";

export type Row = Record<string, number | bigint | string | Uint8Array | null>;
export type Params =
  | Array<number | string | null | boolean>
  | Record<string, number | string | null | boolean>;

export interface StoreLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export class Store {
  private db: Database;

  private constructor(
    readonly path: string,
    db: Database,
  ) {
    this.db = db;
  }

  /** Opens (creating if needed) and migrates the store; a corrupt file is moved to `<path>.corrupt-<time>`. */
  static open(path: string, log?: StoreLogger, migrations: Migration[] = defaultMigrations): Store {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      return Store.openAndMigrate(path, migrations);
    } catch (error) {
      if (!existsSync(path)) throw error;
      const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      renameSync(path, aside);
      for (const suffix of ["-journal", "-wal", "-shm"]) {
        if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      }
      log?.warn(
        `store ${path} could not be opened (${(error as Error).message}); kept it as ${aside}, created anew`,
      );
      return Store.openAndMigrate(path, migrations);
    }
  }

  private static openAndMigrate(path: string, migrations: Migration[]): Store {
    const db = new Database(path);
    try {
      db.exec("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
      const check = db.get("PRAGMA quick_check") as Row | null;
      if (check && Object.values(check)[0] !== "ok")
        throw new Error(`integrity check failed: ${Object.values(check)[0]}`);
      const store = new Store(path, db);
      store.migrate(migrations);
      return store;
    } catch (error) {
      if (db.isOpen) db.close();
      throw error;
    }
  }

  get version(): number {
    const row = this.db.get("PRAGMA user_version") as Row | null;
    return Number(row?.user_version ?? 0);
  }

  private migrate(migrations: Migration[]): void {
    const current = this.version;
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      this.transaction(() => {
        this.db.exec(m.sql);
        this.db.exec(`PRAGMA user_version = ${m.version}`);
      });
    }
  }

  run(sql: string, params?: Params): { changes: number } {
    return this.db.run(sql, params);
  }

  get<T = Row>(sql: string, params?: Params): T | undefined {
    return (this.db.get(sql, params) as T | null) ?? undefined;
  }

  all<T = Row>(sql: string, params?: Params): T[] {
    return this.db.all(sql, params) as T[];
  }

  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  /** Flushes and closes the file; safe to call twice. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
