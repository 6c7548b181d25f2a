/// <reference types="mocha" />
// Attach after a server switch (issue 15): a terminal attached to a session on the window's own server; then
// `sentinel.server.url` names another server (its own tmux, without that session), so the terminal's re-attach
// there ends ("does not exist"). Once the session exists on the new server, Attach opens a working terminal on
// it — not the dead one, which is closed — and typed text reaches the new server's tmux. Then the setting is
// cleared and the window's own server is back for the next scenarios.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { testEnv, tmuxOn, waitFor } from "./support/env.js";
import { type ExternalServer, externalServer, stopExternalServer } from "./support/externalServer.js";
import {
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "hopper";

describe("server switch", () => {
  const token = randomBytes(24).toString("base64url");
  const tmuxDir = join(testEnv().root, "switch-tmux");
  const socket = join(tmuxDir, "sock");
  let api: SentinelTestApi;
  let server: ExternalServer | undefined;
  const terminals: vscode.Terminal[] = [];
  const config = () => vscode.workspace.getConfiguration("sentinel");
  const terminalsOf = (session: string) => api.terminals().filter((t) => t.session === session);

  before(async function () {
    this.timeout(60_000);
    api = await runningSentinel();
    await newTmuxSession(SESSION);
    // The other server's tmux: a private socket of its own, with one session that is not SESSION.
    mkdirSync(tmuxDir, { recursive: true });
    await tmuxOn(socket, "new-session", "-d", "-s", "elsewhere", "-x", "80", "-y", "24");
    server = await externalServer(token, "switch-server", socket);
  });
  after(async function () {
    this.timeout(60_000);
    for (const t of terminals) t.dispose();
    if (config().get<string>("server.url")) {
      await vscode.commands.executeCommand("sentinel.setServerToken", "").then(undefined, () => undefined);
      await config().update("server.url", undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(
      () => api.state() === "running" && api.serverInfo().source !== "external",
      "the window's own server again",
      30_000,
    ).catch(() => undefined);
    if (server) await stopExternalServer(server);
    await tmuxOn(socket, "kill-server").catch(() => undefined);
    rmSync(tmuxDir, { recursive: true, force: true });
    await killTmuxSession(SESSION);
  });

  it("Attach after a server switch attaches to the session on the new server", async function () {
    this.timeout(90_000);
    await waitForItem(api, `session:${SESSION}`, "the session on the window's own server");
    const first = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    assert.ok(first, "sentinel.attach returned no terminal");
    terminals.push(first);
    await waitFor(
      () => terminalsOf(SESSION).some((t) => t.state === "attached"),
      "the terminal to attach on the own server",
      15_000,
    );

    // The switch: another server, with its token.
    const url = server!.url;
    await config().update("server.url", url, vscode.ConfigurationTarget.Global);
    await waitFor(
      () => api.state() === "failed" && api.contextKeys()["sentinel.serverAuth"] === "missing",
      "the new server to want a token",
      20_000,
    );
    await vscode.commands.executeCommand("sentinel.setServerToken", token);
    const info = await api.waitForState("running", 20_000);
    assert.equal(info.url, url, "connected to the new server");
    await waitForItem(api, "session:elsewhere", "the new server's session in the tree");
    // The old terminal re-attached to the new server, which has no such session: it ended.
    await waitFor(
      () => terminalsOf(SESSION).some((t) => t.state === "ended"),
      "the old terminal to end on the new server",
      20_000,
    );

    // The session on the new server: Attach opens a working terminal there, not the dead one.
    await tmuxOn(socket, "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24");
    await waitForItem(api, `session:${SESSION}`, "the new server's session of that name in the tree");
    const fresh = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    assert.ok(fresh, "sentinel.attach returned no terminal after the switch");
    terminals.push(fresh);
    assert.notEqual(fresh, first, "Attach brought back the terminal whose session had ended");
    await waitFor(
      () => terminalsOf(SESSION).some((t) => t.state === "attached"),
      "the new terminal to attach on the new server",
      15_000,
    );
    assert.deepEqual(
      terminalsOf(SESSION).filter((t) => t.state === "ended"),
      [],
      "the ended terminal is closed",
    );
    fresh.sendText("echo switched-$((40+2))");
    await waitFor(
      async () =>
        (await tmuxOn(socket, "capture-pane", "-p", "-t", `=${SESSION}:`))
          .split("\n")
          .some((l) => l.trimEnd() === "switched-42"),
      "input in the new terminal to reach the new server's tmux",
      15_000,
    );
  });
});
