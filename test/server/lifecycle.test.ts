// Start and stop of the server in this process (src/server/server.ts): a start that fails part way closes what it
// had built (the database file first of all), and a normal stop closes it too. Real store, real tmux socket,
// real ports; open files are read from /proc/self/fd.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadConfig } from "../../src/server/config.js";
import { startServer } from "../../src/server/server.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

let tmux: TmuxFixture;
const dirs: string[] = [];

before(async () => {
  tmux = await startTmux();
});

after(async () => {
  await tmux.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function configIn(dataDir: string, port = "0") {
  return loadConfig(
    { dataDir, port, host: "127.0.0.1", tmuxSocket: tmux.socket },
    {
      SENTINEL_TOKEN: "lifecycle-token-0123456789",
      SENTINEL_LOG_LEVEL: "error",
      SENTINEL_OPS_METRICS_INTERVAL: "0",
      SENTINEL_OPS_ALERTS_INTERVAL: "0",
      SENTINEL_OPS_TIMELINE_INTERVAL: "0",
      SENTINEL_OPS_HEALTH_INTERVAL: "0",
    },
  );
}

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-lifecycle-"));
  dirs.push(dir);
  return dir;
}

/** Files under `dir` this process holds open. */
function openFilesIn(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) open.push(target);
    } catch {
      // Closed while listing (the directory handle itself).
    }
  }
  return open;
}

test("a start that fails after the store opened closes the database file", async () => {
  const dataDir = newDataDir();
  const config = configIn(dataDir);
  // The recordings directory cannot be made: the start fails after the store and the watchtower exist.
  writeFileSync(join(dataDir, "recordings"), "not a directory\n");
  await assert.rejects(startServer(config, "test"), /EEXIST|ENOTDIR|recordings/);
  assert.deepEqual(openFilesIn(dataDir), []);
});

test("a start that fails to listen (port taken) closes everything it built", async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  try {
    const port = (taken.address() as { port: number }).port;
    const dataDir = newDataDir();
    await assert.rejects(startServer(configIn(dataDir, String(port)), "test"), { code: "EADDRINUSE" });
    assert.deepEqual(openFilesIn(dataDir), []);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test("a stop closes the database file and the port, and a second stop is the same stop", async () => {
  const dataDir = newDataDir();
  const server = await startServer(configIn(dataDir), "test");
  assert.ok(openFilesIn(dataDir).some((file) => file.endsWith("sentinel.db")));
  const meta = await fetch(`${server.url}/api/meta`, {
    headers: { authorization: "Bearer lifecycle-token-0123456789" },
  });
  assert.equal(meta.status, 200);
  await Promise.all([server.close(), server.close()]);
  assert.deepEqual(openFilesIn(dataDir), []);
  await assert.rejects(fetch(`${server.url}/api/meta`), /fetch failed/);
});
