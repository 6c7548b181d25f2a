// The loader (dist/server.js) keeps V8's code cache of the server bundle in the user's cache directory: written
// after the first start, used by the next, rewritten when unusable, never required for the server to work.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "./serverFixture.js";
import { waitFor } from "./tmuxFixture.js";

describe("V8 code cache of the server bundle", () => {
  let dir: string;
  let cacheHome: string;
  const cacheDir = () => join(cacheHome, "sentinel-vscode");
  const cacheFiles = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()) : []);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sentinel-cache-test-"));
    cacheHome = join(dir, "cache");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function startAndCheck(env: Record<string, string>): Promise<void> {
    const server = await startServer({ tmuxSocket: join(dir, "no-tmux.sock"), env });
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

  test("the first start writes one cache file (mode 0600), the next start uses it", async () => {
    await startAndCheck({ XDG_CACHE_HOME: cacheHome });
    const files = cacheFiles();
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^server-[0-9a-f]{16}\.v8cache$/);
    assert.equal(statSync(join(cacheDir(), files[0]!)).mode & 0o777, 0o600);
    await startAndCheck({ XDG_CACHE_HOME: cacheHome });
    assert.deepEqual(cacheFiles(), files);
  });

  test("a garbage cache file is ignored and replaced; stale caches of other builds are removed", async () => {
    const [current] = cacheFiles();
    assert.ok(current);
    writeFileSync(join(cacheDir(), current), "not a code cache");
    writeFileSync(join(cacheDir(), "server-0000000000000000.v8cache"), "old build");
    await startAndCheck({ XDG_CACHE_HOME: cacheHome });
    await waitFor(() => cacheFiles().length === 1, 5000, "stale cache removed");
    assert.deepEqual(cacheFiles(), [current]);
    assert.ok(statSync(join(cacheDir(), current)).size > 10_000, "rewritten with a real cache");
  });

  test("SENTINEL_CODE_CACHE=0 turns it off", async () => {
    const other = join(dir, "other-cache");
    await startAndCheck({ XDG_CACHE_HOME: other, SENTINEL_CODE_CACHE: "0" });
    assert.equal(existsSync(other), false);
  });
});
