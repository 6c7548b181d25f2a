// The loader (dist/server.js) keeps V8's code cache of the server bundle in the server's data directory
// (`<data-dir>/cache/`): written after the first start, used by the next, rewritten when unusable, never required
// for the server to work, and nothing of it outside the data dir.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "./serverFixture.js";
import { waitFor } from "./tmuxFixture.js";

describe("V8 code cache of the server bundle", () => {
  let dir: string;
  let dataDir: string;
  /** Where a cache outside the data dir would go: the user's cache directory and home. */
  let xdgCache: string;
  let home: string;
  const cacheDir = () => join(dataDir, "cache");
  const cacheFiles = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()) : []);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sentinel-cache-test-"));
    dataDir = join(dir, "data");
    xdgCache = join(dir, "xdg-cache");
    home = join(dir, "home");
    mkdirSync(home);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function startAndCheck(env: Record<string, string> = {}, data = dataDir): Promise<void> {
    const server = await startServer({
      tmuxSocket: join(dir, "no-tmux.sock"),
      dataDir: data,
      env: { XDG_CACHE_HOME: xdgCache, HOME: home, ...env },
    });
    try {
      const res = await server.api("/api/meta");
      assert.equal(res.status, 200);
      if (env.SENTINEL_CODE_CACHE !== "0") {
        await waitFor(() => cacheFiles().some((f) => f.endsWith(".v8cache")), 5000, "cache file written");
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
  }

  test("the first start writes one cache file (mode 0600) under <data-dir>/cache, the next start uses it", async () => {
    await startAndCheck();
    const files = cacheFiles();
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^server-[0-9a-f]{16}\.v8cache$/);
    assert.equal(statSync(join(cacheDir(), files[0]!)).mode & 0o777, 0o600);
    assert.equal(statSync(cacheDir()).mode & 0o777, 0o700);
    // Nothing in the user's cache directory or home.
    assert.equal(existsSync(xdgCache), false, "wrote under XDG_CACHE_HOME");
    assert.deepEqual(readdirSync(home), [], "wrote under HOME");
    await startAndCheck();
    assert.deepEqual(cacheFiles(), files);
  });

  test("a garbage cache file is ignored and replaced; stale caches of other builds are removed", async () => {
    const [current] = cacheFiles();
    assert.ok(current);
    writeFileSync(join(cacheDir(), current), "not a code cache");
    writeFileSync(join(cacheDir(), "server-0000000000000000.v8cache"), "old build");
    await startAndCheck();
    await waitFor(() => cacheFiles().length === 1, 5000, "stale cache removed");
    assert.deepEqual(cacheFiles(), [current]);
    assert.ok(statSync(join(cacheDir(), current)).size > 10_000, "rewritten with a real cache");
  });

  test("SENTINEL_CODE_CACHE=0 turns it off", async () => {
    const other = join(dir, "other-data");
    await startAndCheck({ SENTINEL_CODE_CACHE: "0" }, other);
    assert.equal(existsSync(join(other, "cache")), false);
    assert.equal(existsSync(xdgCache), false);
  });
});
