// The embedded SQLite store (WASM, file-backed): opening, migrations, transactions, and a recovery path for a
// corrupt file (the broken file is kept aside and a fresh one created).
//
// A database file that is there but empty (0 bytes) is treated like a corrupt one: SQLite would open it as a new,
// empty database and the user's data would vanish without a word. SQLite's own first start also creates a 0-byte
// file, but the store migrates it at once, so a 0-byte file found *before* opening was emptied (truncated, a full
// disk, a bad copy), unless a non-empty rollback journal or WAL lies beside it (a first start that stopped in
// its first transaction; SQLite rolls it back). Either way the store records what it did (`Store.recovery`), and
// the server turns that into an ops alert, a timeline entry and a field of GET /api/meta (ops/alerts/storeIntegrity.ts).
//
// node-sqlite3-wasm locks the file with a `<path>.lock` directory (mkdir), not fcntl: a server killed in the
// middle of a write leaves it behind, and every later open would answer "database is locked". The store
// therefore writes `<path>.owner` (pid and boot id) and, at open, removes a lock whose owner is gone; SQLite
// then rolls back the hot journal as usual. A file that is locked by a live owner, or that cannot be opened for
// any other reason than corruption, is never moved aside: that would lose the user's data.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Database } from "node-sqlite3-wasm";
import type { StoreRecovery } from "../../protocol/api.js";
import { isProcessAlive } from "../pidAlive.js";
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
  private writeCount = 0;
  /** Set when this open could not use the file it found and kept it aside (for the process lifetime). */
  recovery: StoreRecovery | undefined;

  private constructor(
    readonly path: string,
    db: Database,
  ) {
    this.db = db;
  }

  /**
   * Opens (creating if needed) and migrates the store; a corrupt or emptied (0-byte) file is moved to
   * `<path>.corrupt-<time>` and a new store created, which then says so in `recovery`.
   */
  static open(path: string, log?: StoreLogger, migrations: Migration[] = defaultMigrations): Store {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    clearStaleLock(path, log);
    if (wasEmptied(path)) {
      return Store.openAside(path, "the database file was empty (0 bytes)", log, migrations);
    }
    try {
      const store = Store.openAndMigrate(path, migrations);
      claimOwnership(path);
      return store;
    } catch (error) {
      if (!existsSync(path)) throw error;
      if (!isCorruption(error)) {
        throw new Error(`store ${path} could not be opened: ${(error as Error).message}`, { cause: error });
      }
      return Store.openAside(path, (error as Error).message, log, migrations);
    }
  }

  /** Keeps the file at `path` (and its journal, WAL, SHM) aside and opens a new store in its place. */
  private static openAside(
    path: string,
    reason: string,
    log: StoreLogger | undefined,
    migrations: Migration[],
  ) {
    const at = new Date();
    const aside = `${path}.corrupt-${at.toISOString().replace(/[:.]/g, "-")}`;
    const bytes = statSync(path).size;
    renameSync(path, aside);
    for (const suffix of ["-journal", "-wal", "-shm"]) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    log?.warn(`store ${path} could not be opened (${reason}); kept it as ${aside}, created anew`);
    const store = Store.openAndMigrate(path, migrations);
    store.recovery = { at: at.toISOString(), reason, path, keptAs: aside, bytes };
    claimOwnership(path);
    return store;
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
    this.writeCount++;
    return this.db.run(sql, params);
  }

  /** How many write statements ran so far: what was read before is stale once it moved (./readCache.ts). */
  get writes(): number {
    return this.writeCount;
  }

  get<T = Row>(sql: string, params?: Params): T | undefined {
    return (this.db.get(sql, params) as T | null) ?? undefined;
  }

  all<T = Row>(sql: string, params?: Params): T[] {
    return this.db.all(sql, params) as T[];
  }

  /** Runs `fn` in one transaction; inside another one, `fn` joins it (the outer one commits or rolls back). */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      // What was read inside the transaction is gone with it.
      this.writeCount++;
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  /** Flushes and closes the file; safe to call twice. */
  close(): void {
    if (!this.db.isOpen) return;
    this.db.close();
    releaseOwnership(this.path);
  }
}

interface Owner {
  pid: number;
  bootId: string;
}

const ownerPath = (path: string) => `${path}.owner`;

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

function readOwner(path: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerPath(path), "utf8")) as Partial<Owner>;
    return typeof owner.pid === "number" ? { pid: owner.pid, bootId: String(owner.bootId ?? "") } : undefined;
  } catch {
    return undefined;
  }
}

/** A live process of this boot (pids are reused after a reboot) that is not this one. */
function ownedByAnother(owner: Owner | undefined): boolean {
  return !!owner && owner.pid !== process.pid && owner.bootId === bootId() && isProcessAlive(owner.pid);
}

/** Removes `<path>.lock` when the server that took it is gone. */
export function clearStaleLock(path: string, log?: StoreLogger): boolean {
  const lock = `${path}.lock`;
  if (!existsSync(lock)) return false;
  const owner = readOwner(path);
  if (ownedByAnother(owner)) return false;
  rmSync(lock, { recursive: true, force: true });
  log?.warn(
    `store ${path}: removed the lock left by ${owner ? `server pid ${owner.pid}` : "a server"} that stopped in the middle of a write; its unfinished transaction is rolled back`,
  );
  return true;
}

function claimOwnership(path: string): void {
  if (ownedByAnother(readOwner(path))) return;
  try {
    writeFileSync(ownerPath(path), JSON.stringify({ pid: process.pid, bootId: bootId() }), { mode: 0o600 });
  } catch {
    // A read-only data dir: the lock can still be cleared by hand.
  }
}

function releaseOwnership(path: string): void {
  if (readOwner(path)?.pid === process.pid) rmSync(ownerPath(path), { force: true });
}

/** A 0-byte file where a database was expected, with no non-empty journal or WAL that SQLite would replay. */
function wasEmptied(path: string): boolean {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return -1;
    }
  };
  return size(path) === 0 && size(`${path}-journal`) <= 0 && size(`${path}-wal`) <= 0;
}

/** Errors that mean the file's content is broken, as opposed to locked, unreadable or on a full disk. */
function isCorruption(error: unknown): boolean {
  return /not a database|malformed|integrity check failed|file is encrypted/i.test((error as Error).message);
}
