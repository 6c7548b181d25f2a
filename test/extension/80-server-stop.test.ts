/// <reference types="mocha" />
// "Sentinel: Stop Server" stops the server this window started (the same path deactivate takes): the process
// exits, the view falls back to its "stopped" welcome state with an empty tree, and nothing restarts it by itself.
// "Sentinel: Start Server" brings a new one and the tree back.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { isProcessAlive } from "../../src/server/pidAlive.js";
import { waitFor } from "./support/env.js";
import { findItem, runningSentinel } from "./support/sentinel.js";

describe("server stop and start", () => {
  it("stop ends the server this window started and stays stopped; start brings it back", async () => {
    const api = await runningSentinel();
    const before = api.serverInfo();
    assert.equal(before.source, "spawned");
    const pid = before.pid!;

    await vscode.commands.executeCommand("sentinel.stopServer");
    assert.equal(api.state(), "stopped");
    await waitFor(() => !isProcessAlive(pid), `server pid ${pid} to exit`, 5000);
    assert.equal(api.contextKeys()["sentinel.serverState"], "stopped", "the welcome view's state");
    assert.deepEqual(await api.treeSnapshot(), [], "no rows while stopped");
    // A stop is not a crash: nothing starts another server.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(api.state(), "stopped");
    assert.equal(api.serverInfo().spawnCount, before.spawnCount);

    await vscode.commands.executeCommand("sentinel.startServer");
    const after = api.serverInfo();
    assert.equal(after.state, "running");
    assert.equal(after.source, "spawned", "the stopped server is not reused");
    assert.notEqual(after.pid, pid);
    assert.equal(after.spawnCount, before.spawnCount + 1);
    await waitFor(
      async () => findItem(await api.treeSnapshot(), "window:alpha:1"),
      "the tree after the start",
    );
    assert.equal(api.contextKeys()["sentinel.serverState"], "running");
  });
});
