/// <reference types="mocha" />
// The extension starts its companion server on the fixture tmux socket and the test data dir, and the Sessions
// tree renders from it.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "../../src/server/pidAlive.js";
import { recordMetric, testEnv, waitFor } from "./support/env.js";
import { runningSentinel } from "./support/sentinel.js";

describe("companion server", () => {
  it("starts its own server on the fixture tmux socket, in the configured data dir", async () => {
    const api = await runningSentinel();
    const info = api.serverInfo();
    assert.equal(info.state, "running");
    assert.equal(info.source, "spawned", "a fresh data dir has no server to reuse");
    assert.equal(info.dataDir, testEnv().dataDir);
    assert.ok(info.pid && isProcessAlive(info.pid), `server pid ${info.pid} is not alive`);
    assert.match(info.url ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    const runtimeFile = join(testEnv().dataDir, "runtime.json");
    assert.ok(existsSync(runtimeFile), "runtime.json was not written");
    const runtime = JSON.parse(readFileSync(runtimeFile, "utf8"));
    assert.equal(runtime.pid, info.pid);
    assert.equal(runtime.tmuxSocket, testEnv().tmuxSocket);
    const { serverReadyMs } = api.metrics();
    if (serverReadyMs !== undefined) {
      recordMetric({ metric: "activation_to_server_ready", value: serverReadyMs, unit: "ms" });
    }
  });

  it("renders the Sessions tree with the fixture's sessions", async () => {
    const api = await runningSentinel();
    const ms = await waitFor(
      () => api.metrics().firstTreeRenderMs,
      "the first render of the Sessions tree",
      20_000,
    );
    recordMetric({ metric: "activation_to_first_tree_render", value: ms, unit: "ms" });
    const roots = await api.treeSnapshot();
    assert.ok(
      roots.some((r) => r.id === "session:alpha"),
      `no alpha in ${roots.map((r) => r.id)}`,
    );
  });
});
