// `<data-dir>/runtime.json`: written (mode 0600) once the server listens, removed on a graceful stop; and the
// token and ELECTRON_RUN_AS_NODE do not leak into a tmux server that the companion server starts.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { mallocTuning } from "../../src/extension/server/serverEnv.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

let tmux: TmuxFixture;

before(async () => {
  // No session yet: the first session created through the API starts this tmux server.
  tmux = await startTmux();
});

after(async () => {
  await tmux?.close();
});

describe("runtime.json", () => {
  let server: ServerHandle;
  const dataDir = mkdtempSync(join(tmpdir(), "sentinel-data-"));

  before(async () => {
    // The environment the extension gives it (extension/server/serverEnv.ts).
    server = await startServer({
      tmuxSocket: tmux.socket,
      dataDir,
      env: { ELECTRON_RUN_AS_NODE: "1", ...mallocTuning({}) },
    });
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("is written with the pid, port, url, version and tmux socket, readable by the owner only", () => {
    const file = join(server.dataDir, "runtime.json");
    const info = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(info.pid, server.pid);
    assert.equal(info.port, server.port);
    assert.equal(info.url, server.url);
    assert.equal(typeof info.version, "string");
    assert.ok(!Number.isNaN(Date.parse(info.startedAt)));
    assert.equal(info.tmuxSocket, tmux.socket);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("the token, ELECTRON_RUN_AS_NODE and the added malloc settings stay out of the tmux server the companion starts", async () => {
    assert.ok(Object.keys(mallocTuning({})).length > 1, "the extension adds malloc settings");
    const res = await server.api("/api/tmux/sessions", { method: "POST", json: { name: "envcheck" } });
    assert.equal(res.status, 201);
    const global = await tmux.tmux("show-environment", "-g");
    assert.match(global, /^PATH=/m, "the server's environment reached tmux");
    assert.doesNotMatch(global, /^SENTINEL_TOKEN=/m);
    assert.doesNotMatch(global, /^ELECTRON_RUN_AS_NODE=/m);
    for (const name of Object.keys(mallocTuning({}))) {
      assert.doesNotMatch(global, new RegExp(`^${name}=`, "m"), `${name} in tmux's environment`);
    }
  });

  test("is removed on a graceful stop", async () => {
    const file = join(dataDir, "runtime.json");
    const keep = await startServer({ tmuxSocket: tmux.socket, dataDir });
    // The second server replaced the file; stopping the first must not remove the second's.
    assert.equal(JSON.parse(readFileSync(file, "utf8")).pid, keep.pid);
    await server.stop();
    assert.equal(JSON.parse(readFileSync(file, "utf8")).pid, keep.pid);
    await keep.stop();
    assert.equal(existsSync(file), false);
  });
});
