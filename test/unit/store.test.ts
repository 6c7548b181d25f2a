import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { Store } from "../../src/server/store/database.js";
import { migrations } from "../../src/server/store/migrations.js";
import { SessionsRepo } from "../../src/server/store/sessionsRepo.js";

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-store-"));
  dirs.push(dir);
  return join(dir, "sentinel.db");
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("Store", () => {
  test("applies every migration once and records the version", () => {
    const path = tempDb();
    const store = Store.open(path);
    assert.equal(store.version, migrations.at(-1)?.version);
    store.close();
    const again = Store.open(path);
    assert.equal(again.version, migrations.at(-1)?.version);
    again.close();
  });

  test("a failed transaction leaves nothing behind", () => {
    const store = Store.open(tempDb());
    assert.throws(() =>
      store.transaction(() => {
        store.run("INSERT INTO sessions (name, hash, updated_at) VALUES ('a', 'h', 'now')");
        throw new Error("boom");
      }),
    );
    assert.equal(store.all("SELECT * FROM sessions").length, 0);
    store.close();
  });

  test("a corrupt file is kept aside and the store is created anew", () => {
    const path = tempDb();
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const warnings: string[] = [];
    const store = Store.open(path, { info: () => {}, warn: (m) => warnings.push(m) });
    assert.equal(store.version, migrations.at(-1)?.version);
    store.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /kept it as .*corrupt-/);
    const aside = readdirSync(join(path, "..")).filter((f) => f.startsWith("sentinel.db.corrupt-"));
    assert.equal(aside.length, 1);
  });

  test("data survives close and reopen", () => {
    const path = tempDb();
    const store = Store.open(path);
    new SessionsRepo(store).setIcon("dev", "bolt", "abc");
    store.close();
    const reopened = Store.open(path);
    assert.equal(new SessionsRepo(reopened).all().get("dev")?.icon, "bolt");
    reopened.close();
    assert.ok(existsSync(path));
  });
});

describe("SessionsRepo", () => {
  test("sync upserts live sessions and drops the rest", () => {
    const store = Store.open(tempDb());
    const repo = new SessionsRepo(store);
    repo.sync([
      { name: "a", hash: "h1", lastContent: "x" },
      { name: "b", hash: "h2", lastContent: "y" },
    ]);
    repo.setIcon("a", "bot", "ignored");
    repo.sync([{ name: "a", hash: "other", lastContent: "z" }]);
    const all = repo.all();
    assert.deepEqual([...all.keys()], ["a"]);
    assert.deepEqual(all.get("a"), { name: "a", hash: "h1", lastContent: "z", icon: "bot" });
    repo.sync([]);
    assert.equal(repo.all().size, 0);
    store.close();
  });

  test("window sequence is monotonic even when tmux reuses indexes", () => {
    const store = Store.open(tempDb());
    const repo = new SessionsRepo(store);
    assert.equal(repo.allocateWindowSequence("dev", 1, "h"), 1);
    assert.equal(repo.allocateWindowSequence("dev", 1, "h"), 2);
    assert.equal(repo.allocateWindowSequence("dev", 7, "h"), 7);
    assert.equal(repo.allocateWindowSequence("dev", 3, "h"), 8);
    store.close();
  });

  test("rename moves the row", () => {
    const store = Store.open(tempDb());
    const repo = new SessionsRepo(store);
    repo.setIcon("old", "bolt", "h");
    repo.rename("old", "new");
    assert.equal(repo.all().get("new")?.icon, "bolt");
    assert.equal(repo.all().has("old"), false);
    store.close();
  });

  test("killed in the middle of a write: the lock is cleared, the transaction rolled back, the data kept", async () => {
    const path = tempDb();
    const seed = Store.open(path);
    new SessionsRepo(seed).setIcon("kept", "bolt", "h1");
    seed.close();
    // A server that takes the write lock, writes into its journal, and dies before COMMIT.
    const module = resolve("src/server/store/database.ts");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `const imported = await import(${JSON.stringify(module)});
         const { Store } = imported.default ?? imported;
         const store = Store.open(${JSON.stringify(path)});
         store.run("BEGIN IMMEDIATE");
         store.run("INSERT INTO sessions (name, hash, updated_at) VALUES ('lost', 'h', 'now')");
         console.log("in-transaction");
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((done, fail) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("in-transaction") && done());
      child.once("exit", (code) => fail(new Error(`child exited early (${code})`)));
    });
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGKILL");
    await exited;
    assert.ok(existsSync(`${path}.lock`), "the killed writer left its lock behind");
    assert.equal(JSON.parse(readFileSync(`${path}.owner`, "utf8")).pid, child.pid);

    const warnings: string[] = [];
    const store = Store.open(path, { info: () => {}, warn: (m) => warnings.push(m) });
    assert.deepEqual(
      store.all("SELECT name FROM sessions ORDER BY name").map((r) => r.name),
      ["kept"],
    );
    assert.match(warnings.join("\n"), new RegExp(`removed the lock left by server pid ${child.pid}`));
    assert.equal(readdirSync(join(path, "..")).filter((f) => f.includes("corrupt")).length, 0);
    assert.equal(JSON.parse(readFileSync(`${path}.owner`, "utf8")).pid, process.pid);
    store.close();
    assert.ok(!existsSync(`${path}.owner`), "a clean close gives the file up");
  });

  test("a lock held by a live server is left alone, and the file is never moved aside for it", () => {
    const path = tempDb();
    Store.open(path).close();
    // The parent of this test process stands in for a live server holding the lock.
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    writeFileSync(`${path}.owner`, JSON.stringify({ pid: process.ppid, bootId }));
    mkdirSync(`${path}.lock`);
    assert.throws(() => Store.open(path), /could not be opened: database is locked/);
    assert.ok(existsSync(`${path}.lock`));
    assert.ok(existsSync(path));
    assert.equal(readdirSync(join(path, "..")).filter((f) => f.includes("corrupt")).length, 0);
  });
});
