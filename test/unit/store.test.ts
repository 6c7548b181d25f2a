import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
});
