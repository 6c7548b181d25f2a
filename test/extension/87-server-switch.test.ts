/// <reference types="mocha" />
// Attach after a server switch (issue 15; ADR 0019's terminals stay on their server): a terminal attached to a
// session on the window's own server; then another server (its own tmux on a private socket, its own token)
// becomes the active one, with a session of the same name. Attach on that name opens a new terminal attached on
// the new server — not the first one brought back — and typed text reaches the new server's tmux; the first
// terminal stays attached on its own server. Then the server is disconnected and the window's own server is the
// active one again for the next scenarios.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { serverOrigin } from "../../src/extension/util/origin.js";
import { testEnv, tmuxOn, waitFor } from "./support/env.js";
import {
  disconnectServers,
  type ExternalServer,
  externalServer,
  stopExternalServer,
  useServer,
  waitForOwnServer,
} from "./support/externalServer.js";
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
  const terminalsOf = (session: string) => api.terminals().filter((t) => t.session === session);

  before(async function () {
    this.timeout(60_000);
    api = await runningSentinel();
    await newTmuxSession(SESSION);
    // The other server's tmux: a private socket of its own, with a session of the same name.
    mkdirSync(tmuxDir, { recursive: true });
    await tmuxOn(socket, "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24");
    server = await externalServer(token, "switch-server", socket);
  });
  after(async function () {
    this.timeout(60_000);
    for (const t of terminals) t.dispose();
    if (server) await disconnectServers(api, [serverOrigin(server.url)]);
    await waitForOwnServer(api).catch(() => undefined);
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

    // The switch: another server becomes the active one; it has a session of the same name.
    const url = server!.url;
    await useServer(api, url, "other", token);
    await waitFor(async () => {
      const tree = await api.treeSnapshot();
      return tree.some((i) => i.id === `session:${SESSION}`) && !tree.some((i) => i.id === "session:alpha");
    }, "the other server's sessions in the tree (its own, not the fixture's alpha)");

    const fresh = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    assert.ok(fresh, "sentinel.attach returned no terminal after the switch");
    terminals.push(fresh);
    assert.notEqual(fresh, first, "Attach brought back the first server's terminal");
    const otherId = serverOrigin(url);
    await waitFor(
      () => terminalsOf(SESSION).some((t) => t.server === otherId && t.state === "attached"),
      `a terminal attached on the other server (${JSON.stringify(terminalsOf(SESSION))})`,
      15_000,
    );
    fresh.sendText("echo switched-$((40+2))");
    await waitFor(
      async () =>
        (await tmuxOn(socket, "capture-pane", "-p", "-t", `=${SESSION}:`))
          .split("\n")
          .some((l) => l.trimEnd() === "switched-42"),
      "input in the new terminal to reach the other server's tmux",
      15_000,
    );
    assert.ok(
      terminalsOf(SESSION).some((t) => t.server !== otherId && t.state === "attached"),
      `the first terminal stays attached on its own server (${JSON.stringify(terminalsOf(SESSION))})`,
    );
  });
});
