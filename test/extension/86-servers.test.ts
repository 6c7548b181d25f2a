/// <reference types="mocha" />
// The Servers view and switcher (issue 16, ADR 0019): two Sentinel servers at once, each started here from
// dist/server.js on port 0 with its own private tmux socket, data dir, clean HOME and token. "Connect to Server…"
// adds each (its token goes to SecretStorage for its origin) and makes it the active server; a terminal attached
// on the first keeps working after the switch to the second (typed text reaches the first server's tmux and the
// echo comes back), both terminals at once; the Servers view shows each server's state, probed on its own
// (a wrong token for the inactive one: "auth", with Set Token as its fix); Disconnect removes both and the
// companion is the active server again. Everything started here is stopped and removed in `after`.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { serverOrigin } from "../../src/extension/util/origin.js";
import { EXTENSION_ID, testEnv, waitFor } from "./support/env.js";
import {
  disconnectServers,
  type ExternalServer,
  externalServer,
  stopExternalServer,
  useServer,
  waitForOwnServer,
} from "./support/externalServer.js";
import { runningSentinel, type SentinelTestApi, waitForItem } from "./support/sentinel.js";

interface TestServer extends ExternalServer {
  name: string;
  id: string;
  token: string;
  session: string;
  dir: string;
  socket: string;
}

/** tmux on a server's private socket, with its clean HOME. */
function privateTmux(server: Pick<TestServer, "dir" | "socket">, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(server.dir, "home"), SHELL: "/bin/sh" };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return new Promise((resolve, reject) => {
    execFile("tmux", ["-S", server.socket, "-f", "/dev/null", ...args], { env }, (error, stdout, stderr) =>
      error ? reject(new Error(`tmux ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** A Sentinel server of its own: temp dir, tmux socket with one session, data dir, clean HOME, token; port 0. */
async function startServer(name: string, session: string): Promise<TestServer> {
  const dir = join(testEnv().root, `servers-${name}`);
  const socket = join(dir, "tmux.sock");
  mkdirSync(join(dir, "home"), { recursive: true });
  const token = randomBytes(24).toString("base64url");
  await privateTmux({ dir, socket }, "new-session", "-d", "-s", session, "-x", "120", "-y", "30");
  const server = await externalServer(token, `servers-${name}/data`, socket, {
    HOME: join(dir, "home"),
    SHELL: "/bin/sh",
  });
  return { ...server, name, id: serverOrigin(server.url)!, token, session, dir, socket };
}

async function stopServer(server: TestServer): Promise<void> {
  await stopExternalServer(server);
  await privateTmux(server, "kill-server").catch(() => undefined);
  rmSync(server.dir, { recursive: true, force: true });
}

function terminalOf(api: SentinelTestApi, server: TestServer) {
  return api.terminals().find((t) => t.session === server.session && t.server === server.id);
}

/** Types into a terminal a command whose answer only the shell computes, and waits for it there and in tmux. */
async function typeAndSee(api: SentinelTestApi, server: TestServer, terminal: vscode.Terminal, tag: string) {
  terminal.sendText(`echo ${tag}-$((40+2))`);
  const expected = `${tag}-42`;
  await waitFor(
    async () =>
      (await privateTmux(server, "capture-pane", "-p", "-t", `=${server.session}:`))
        .split("\n")
        .some((l) => l.trimEnd() === expected),
    `"${expected}" on ${server.name}'s tmux pane`,
    15_000,
  );
  await waitFor(
    () => terminalOf(api, server)?.output.includes(expected),
    `"${expected}" in the terminal of ${server.name}`,
    15_000,
  );
}

describe("servers view and switcher", () => {
  let api: SentinelTestApi;
  const servers: TestServer[] = [];
  const terminals: vscode.Terminal[] = [];

  before(async function () {
    this.timeout(60_000);
    api = await runningSentinel();
    servers.push(await startServer("alpha", "on-alpha"), await startServer("bravo", "on-bravo"));
  });

  after(async function () {
    this.timeout(90_000);
    for (const t of terminals) t.dispose();
    await disconnectServers(
      api,
      servers.map((server) => server.id),
    );
    await waitForOwnServer(api).catch(() => undefined);
    for (const server of servers) await stopServer(server);
  });

  it("two servers, a terminal on each working at once; a switch keeps the attached terminal", async function () {
    this.timeout(120_000);
    const [alpha, bravo] = servers as [TestServer, TestServer];

    // Connect to alpha: it becomes the active server; the Sessions view shows its tmux.
    await useServer(api, alpha.url, "alpha", alpha.token);
    await waitForItem(api, `session:${alpha.session}`, "alpha's session in the tree", undefined, 15_000);
    assert.equal(api.sessionsView().description, "alpha", "the Sessions view names the active server");
    const termA = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", alpha.session);
    assert.ok(termA, "sentinel.attach returned no terminal");
    terminals.push(termA);
    assert.equal(termA.name, `tmux: ${alpha.session} (alpha)`);
    await waitFor(() => terminalOf(api, alpha)?.state === "attached", "alpha's terminal to attach", 15_000);
    await typeAndSee(api, alpha, termA, "alpha-first");
    // An event of alpha's (a recording started and stopped) in the Events view while alpha is active.
    const started = await api.apiRequest<
      { recording: { id: string } } | { data: { recording: { id: string } } }
    >("POST", "/api/recordings", { session: alpha.session });
    const recordingId = "data" in started ? started.data.recording.id : started.recording.id;
    await api.apiRequest("POST", `/api/recordings/${recordingId}/stop`);
    const alphaEntry = (r: { title: string }) => r.title.endsWith(`: ${alpha.session}`);
    await waitFor(
      () => api.eventsView().rows.some(alphaEntry),
      "alpha's recording events in the Events view",
      15_000,
    );

    // Connect to bravo (its own token): the active server switches; alpha's terminal stays on alpha.
    await useServer(api, bravo.url, "bravo", bravo.token);
    await waitForItem(api, `session:${bravo.session}`, "bravo's session in the tree", undefined, 15_000);
    const tree = await api.treeSnapshot();
    assert.ok(!tree.some((i) => i.id === `session:${alpha.session}`), "alpha's session left the tree");
    assert.equal(terminalOf(api, alpha)?.state, "attached", "alpha's terminal is still attached");
    await typeAndSee(api, alpha, termA, "alpha-after-switch");
    assert.ok(
      !api.eventsView().rows.some(alphaEntry),
      "the Events view no longer shows alpha's entries once bravo is active",
    );

    const termB = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", bravo.session);
    terminals.push(termB);
    await waitFor(() => terminalOf(api, bravo)?.state === "attached", "bravo's terminal to attach", 15_000);
    // Both at once.
    await Promise.all([
      typeAndSee(api, alpha, termA, "alpha-together"),
      typeAndSee(api, bravo, termB, "bravo-together"),
    ]);

    // The Servers view: the companion, alpha and bravo, each probed on its own; bravo active.
    await vscode.commands.executeCommand("sentinel.refreshServers");
    const rows = await waitFor(
      () => {
        const list = api.servers();
        const a = list.find((r) => r.id === alpha.id);
        const b = list.find((r) => r.id === bravo.id);
        const companion = list.find((r) => r.id === "companion");
        return a?.health === "connected" && b?.health === "connected" && companion?.health === "connected"
          ? { a, b, companion }
          : undefined;
      },
      `every server connected in the Servers view (${JSON.stringify(api.servers())})`,
      20_000,
    );
    assert.equal(rows.b.active, true, "bravo is active");
    assert.equal(rows.a.active, false, "alpha is not");
    assert.equal(rows.b.contextValue, "server.external.connected.active");
    assert.equal(rows.a.contextValue, "server.external.connected");
    assert.equal(rows.companion.contextValue, "server.companion.connected");

    // A wrong token for alpha (not active): its row says so, with Set Token as the fix; its terminal's socket,
    // authenticated when it opened, keeps working. The right token again: connected.
    await vscode.commands.executeCommand("sentinel.setServerToken", { id: alpha.id }, "not-alphas-token");
    const refused = api.servers().find((r) => r.id === alpha.id);
    assert.equal(refused?.health, "auth", `alpha's row: ${JSON.stringify(refused)}`);
    assert.match(refused?.description ?? "", /refused the token/);
    const menus: Array<{ command: string; when?: string; group?: string }> =
      vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus["view/item/context"];
    const inline = menus.filter(
      (m) =>
        m.group?.startsWith("inline") &&
        m.when?.includes("view == sentinel.servers") &&
        new RegExp(/viewItem =~ \/(.+)\/$/.exec(m.when)?.[1] ?? "^$").test(refused!.contextValue),
    );
    assert.ok(
      inline.some((m) => m.command === "sentinel.setServerToken"),
      `inline actions of ${refused?.contextValue}: ${inline.map((m) => m.command)}`,
    );
    await vscode.commands.executeCommand("sentinel.setServerToken", { id: alpha.id }, alpha.token);
    assert.equal(api.servers().find((r) => r.id === alpha.id)?.health, "connected");

    // Back to alpha with Use This Server: bravo's terminal keeps working.
    await vscode.commands.executeCommand("sentinel.useServer", { id: alpha.id });
    await waitFor(
      () => api.state() === "running" && api.serverInfo().url === alpha.url,
      "alpha as the active server again",
      20_000,
    );
    await waitForItem(
      api,
      `session:${alpha.session}`,
      "alpha's session in the tree again",
      undefined,
      15_000,
    );
    await typeAndSee(api, bravo, termB, "bravo-after-switch");
    await typeAndSee(api, alpha, termA, "alpha-back");
  });

  it("Disconnect removes a server and its token; the companion is active again", async function () {
    this.timeout(60_000);
    const [alpha, bravo] = servers as [TestServer, TestServer];
    await disconnectServers(api, [alpha.id, bravo.id]);
    assert.deepEqual(
      api.servers().map((r) => r.id),
      ["companion"],
      "only the companion is left",
    );
    const settings = vscode.workspace.getConfiguration("sentinel").inspect("servers");
    assert.deepEqual(settings?.globalValue ?? [], [], "sentinel.servers is empty again");
    await waitForOwnServer(api);
    assert.equal(api.servers()[0]?.active, true, "the companion is active");
  });
});
