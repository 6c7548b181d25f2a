/// <reference types="mocha" />
// The companion server dies (SIGKILL: no goodbye, no runtime.json cleanup): the extension starts another one,
// the Sessions tree comes back with what tmux has now (including a session made while no server ran), and an
// open terminal re-attaches by itself and still takes input. Runs last: it replaces the server.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { isProcessAlive } from "../../src/server/pidAlive.js";
import { capturePane, recordMetric, waitFor } from "./support/env.js";
import {
  findItem,
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "survivor";
const MADE_WHILE_DOWN = "while-down";

function terminalOf(api: SentinelTestApi, session: string) {
  return api.terminals().find((t) => t.session === session);
}

describe("server restart", () => {
  let terminal: vscode.Terminal | undefined;
  before(() => newTmuxSession(SESSION));
  after(async () => {
    terminal?.dispose();
    await killTmuxSession(SESSION);
    await killTmuxSession(MADE_WHILE_DOWN);
  });

  it("a killed server is restarted; the tree recovers and the terminal re-attaches", async function () {
    this.timeout(60_000);
    const api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    terminal = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    await waitFor(() => terminalOf(api, SESSION)?.state === "attached", "the terminal to attach", 15_000);
    const attaches = terminalOf(api, SESSION)!.attaches;

    const before = api.serverInfo();
    assert.equal(before.source, "spawned");
    const pid = before.pid!;
    const t0 = performance.now();
    process.kill(pid, "SIGKILL");
    await waitFor(() => !isProcessAlive(pid), `server pid ${pid} to die`);
    await waitFor(() => api.state() !== "running" || api.serverInfo().pid !== pid, "the extension to notice");
    await newTmuxSession(MADE_WHILE_DOWN);

    const after = await waitFor(
      () => {
        const info = api.serverInfo();
        return info.state === "running" && info.pid !== pid ? info : undefined;
      },
      "a new server",
      30_000,
    );
    recordMetric({
      metric: "server_sigkill_to_running",
      value: Math.round(performance.now() - t0),
      unit: "ms",
    });
    assert.equal(after.source, "spawned");
    assert.equal(after.spawnCount, before.spawnCount + 1);
    assert.ok(after.pid && isProcessAlive(after.pid));

    // The tree comes back with what tmux has now.
    const tree = await waitFor(
      async () => {
        const items = await api.treeSnapshot();
        return ["alpha", "beta", SESSION, MADE_WHILE_DOWN].every((s) => findItem(items, `session:${s}`))
          ? items
          : undefined;
      },
      "the tree after the restart",
      15_000,
    );
    recordMetric({
      metric: "server_sigkill_to_tree",
      value: Math.round(performance.now() - t0),
      unit: "ms",
    });
    assert.ok(findItem(tree, "window:alpha:1"), "alpha's windows are loaded again");
    await waitFor(() => api.events().state === "open", "the events socket to reconnect", 15_000);

    // The terminal re-attached by itself, and takes input again.
    await waitFor(
      () => {
        const t = terminalOf(api, SESSION);
        return t?.state === "attached" && t.attaches > attaches;
      },
      "the terminal to re-attach",
      15_000,
    );
    terminal.sendText("echo again-$((50+5))");
    await waitFor(
      async () => (await capturePane(`=${SESSION}:`)).split("\n").some((l) => l.trimEnd() === "again-55"),
      "input after the re-attach to reach tmux",
    );
  });
});
