// A token limited to one session stays in it on /ws/tmux (issue 13 item 4, ADR 0012), against the real server and
// a real tmux on a private socket: whatever bytes its client sends (tmux's prefix with `)`, `(`, `s`, `w`, `:`,
// `d`, a right-click, terminal replies), it stays attached to its own session, no tmux command runs for it (tmux's
// own message log says which commands ran and for which client), and its typing still reaches the pane. Also when
// someone else has put the shared pane into choose-tree, whose `:` prompt would run any tmux command for the
// client that types it. A read-only token types nothing and changes nothing over HTTP; a full token is unchanged.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { TokenPair } from "../../src/protocol/auth.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  for (const s of ["alpha", "beta", "gamma"]) await tmux.newSession(s);
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

async function issue(body: Record<string, unknown>): Promise<TokenPair> {
  const res = await server.api("/api/auth/token", { method: "POST", json: body });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { data: TokenPair }).data;
}

interface Client {
  ws: WebSocket;
  texts: string[];
  closed: Promise<number>;
  send(bytes: string): void;
}

async function attach(session: string, token: string): Promise<Client> {
  const ws = new WebSocket(
    `${server.url.replace("http", "ws")}/ws/tmux?session=${session}`,
    ["sentinel.v1"],
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  const texts: string[] = [];
  ws.on("message", (data, isBinary) => {
    if (!isBinary) texts.push(data.toString());
  });
  ws.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  await waitFor(() => texts.length > 0, 5000, "status frame");
  return { ws, texts, closed, send: (bytes) => ws.send(Buffer.from(bytes, "latin1")) };
}

interface TmuxClient {
  name: string;
  session: string;
  readOnly: boolean;
}

/** Terminal clients only: the watchtower's control-mode clients are listed too. */
async function terminalClients(): Promise<TmuxClient[]> {
  const out = await tmux.tmux(
    "list-clients",
    "-F",
    "#{client_control_mode}\t#{client_name}\t#{client_session}\t#{client_readonly}",
  );
  return out
    .split("\n")
    .filter((line) => line.startsWith("0\t"))
    .map((line) => {
      const [, name, session, readOnly] = line.split("\t");
      return { name: name!, session: session!, readOnly: readOnly === "1" };
    });
}

/**
 * tmux 3.3a logs every command it runs, with the client it ran for and the key that ran it (one log for the
 * server, shown through any client).
 */
const messages = async (client: string) =>
  (await tmux.tmux("show-messages", "-t", client)).split("\n").filter(Boolean);

/** Log lines of commands a key of `client` ran, or of commands it must never reach (whoever ran them). */
const escapesIn = (lines: string[], client: string) =>
  lines.filter(
    (line) => line.includes(`${client} key `) || (ESCAPES.test(line) && !/show-messages/.test(line)),
  );
const capture = () => tmux.tmux("capture-pane", "-p", "-t", "=alpha:");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Commands a client could reach through keys, none of which may run for a confined one. */
const ESCAPES =
  /run-shell|switch-client|choose-tree|command-prompt|detach-client|display-menu|display-panes|copy-mode/;

describe("a session-scoped token on /ws/tmux", () => {
  test("stays in its session and runs no tmux command whatever it sends; its typing reaches the pane", async (t) => {
    const { accessToken } = await issue({ sessionId: "alpha" });
    const c = await attach("alpha", accessToken);
    assert.deepEqual(JSON.parse(c.texts[0]!), { type: "status", state: "attached", session: "alpha" });
    const [client] = await terminalClients();
    assert.ok(client, "the scoped client is attached");
    assert.equal(client.session, "alpha");
    const before = (await messages(client.name)).length;

    const pwned = join(tmux.dir, "pwned");
    const attempts: Array<[string, string]> = [
      ["prefix )", "\x02)"],
      ["prefix (", "\x02("],
      ["prefix s, Enter", "\x02s"],
      ["prefix w", "\x02w"],
      ["prefix : run-shell", `\x02:run-shell "touch ${pwned}"\r`],
      ["prefix d", "\x02d"],
      ["prefix L", "\x02L"],
      ["M-MouseDown3Pane", "\x1b[<10;5;5M\x1b[<10;5;5m"],
      ["right click", "\x1b[<2;5;5M\x1b[<2;5;5m"],
      ["wheel up", "\x1b[<64;5;5M"],
      ["prefix < (window menu)", "\x02<"],
      ["prefix q (display-panes)", "\x02q"],
      ["prefix [ (copy mode)", "\x02["],
      ["Enter", "\r"],
    ];
    for (const [what, bytes] of attempts) {
      c.send(bytes);
      await pause(150);
      const clients = await terminalClients();
      assert.deepEqual(
        clients.map((x) => x.session),
        ["alpha"],
        `after ${what}: ${JSON.stringify(clients)}`,
      );
      assert.equal(c.ws.readyState, WebSocket.OPEN, `after ${what}`);
    }

    const started = performance.now();
    c.send("echo scoped-$((6*7))\r");
    await waitFor(async () => (await capture()).includes("scoped-42"), 5000, "typed text in the pane");
    t.diagnostic(`typed line to its output in the pane: ${(performance.now() - started).toFixed(0)} ms`);
    await pause(300);
    assert.equal(existsSync(pwned), false, "run-shell ran");
    const ran = (await messages(client.name)).slice(before);
    assert.deepEqual(escapesIn(ran, client.name), [], "no command ran for the scoped client");
    assert.equal((await tmux.tmux("display-message", "-p", "-t", "=alpha:", "#{pane_in_mode}")).trim(), "0");
    // Its tmux client only draws: tmux itself would refuse it any key binding that changes something.
    assert.equal((await terminalClients())[0]?.readOnly, true);

    const sessions = async () =>
      (await tmux.tmux("list-sessions", "-F", "#{session_name}")).trim().split("\n");
    const sessionsBefore = await sessions();
    c.ws.close();
    assert.equal(await c.closed, 1000);
    await waitFor(async () => (await terminalClients()).length === 0, 5000, "the tmux client gone");
    assert.deepEqual(await sessions(), sessionsBefore, "no session left behind or lost");
    assert.doesNotMatch(
      await tmux.tmux("list-buffers", "-F", "#{buffer_name}"),
      /sentinel-input/,
      "no paste buffer left",
    );
  });

  test("someone else's choose-tree on the shared pane does not see its keys: ':' + a command goes to the shell", async () => {
    const { accessToken } = await issue({ sessionId: "alpha" });
    const c = await attach("alpha", accessToken);
    const [client] = await terminalClients();
    // The owner (another client, here tmux itself) opens choose-tree in alpha's pane; tmux 3.3a hands the keys of
    // any client looking at that pane to the tree, whose `:` runs what is typed as a tmux command for that client.
    await tmux.tmux("choose-tree", "-t", "=alpha:");
    assert.equal(
      (await tmux.tmux("display-message", "-p", "-t", "=alpha:", "#{pane_mode}")).trim(),
      "tree-mode",
    );
    const before = (await messages(client!.name)).length;
    const pwned = join(tmux.dir, "pwned-tree");
    c.send(`:run-shell "touch ${pwned}"\r`);
    c.send("\r");
    c.send("\x1b[B\r");
    await pause(500);
    assert.equal(existsSync(pwned), false, "run-shell ran");
    assert.deepEqual(
      (await terminalClients()).map((x) => x.session),
      ["alpha"],
    );
    // The tree is still open (its keys did not reach it); the shell behind it got them.
    assert.equal(
      (await tmux.tmux("display-message", "-p", "-t", "=alpha:", "#{pane_mode}")).trim(),
      "tree-mode",
    );
    assert.deepEqual(escapesIn((await messages(client!.name)).slice(before), client!.name), []);
    await tmux.tmux("send-keys", "-t", "=alpha:", "q");
    await waitFor(async () => (await capture()).includes("run-shell"), 5000, "the typed text in the shell");
    c.ws.close();
    await c.closed;
    await waitFor(async () => (await terminalClients()).length === 0, 5000, "the tmux client gone");
  });

  test("terminal replies and focus reports are not typed into the pane", async () => {
    const { accessToken } = await issue({ sessionId: "alpha" });
    const c = await attach("alpha", accessToken);
    c.send("clear\r");
    await pause(200);
    // DA2 and DA1 replies, XTVERSION, an OSC colour reply, focus in/out: what a terminal emulator answers tmux.
    c.send(
      "\x1b[>0;276;0c\x1b[?1;2c\x1bP>|xterm.js(5.5.0)\x1b\\\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[I\x1b[O",
    );
    c.send("echo replies-$((6*7))\r");
    await waitFor(async () => (await capture()).includes("replies-42"), 5000, "typed text in the pane");
    const screen = await capture();
    assert.doesNotMatch(screen, /276|xterm\.js|rgb:|\[I|\[O|1;2c/, screen);
    c.ws.close();
    await c.closed;
    await waitFor(async () => (await terminalClients()).length === 0, 5000, "the tmux client gone");
  });

  test("a read-only token watches: it types nothing, and its HTTP requests cannot change anything", async () => {
    const pair = await issue({ sessionId: "alpha", readOnly: true });
    assert.equal(pair.readOnly, true);
    const c = await attach("alpha", pair.accessToken);
    const [client] = await terminalClients();
    assert.deepEqual(
      { session: client!.session, readOnly: client!.readOnly },
      { session: "alpha", readOnly: true },
    );
    c.send("echo readonly-$((6*7))\r");
    c.send("\x02)");
    await pause(500);
    assert.doesNotMatch(await capture(), /readonly-42/);
    assert.deepEqual(
      (await terminalClients()).map((x) => x.session),
      ["alpha"],
    );
    const auth = { authorization: `Bearer ${pair.accessToken}` };
    const windows = await server.api("/api/tmux/sessions/alpha/windows", { headers: auth });
    assert.equal(windows.status, 200, await windows.text());
    const created = await server.api("/api/tmux/sessions/alpha/new-window", {
      method: "POST",
      headers: auth,
      json: {},
    });
    assert.equal(created.status, 403, await created.text());
    const killed = await server.api("/api/tmux/sessions/alpha", { method: "DELETE", headers: auth });
    assert.equal(killed.status, 403, await killed.text());
    assert.match((await tmux.tmux("list-sessions", "-F", "#{session_name}")).trim(), /^alpha$/m);
    // A refreshed pair keeps the claim.
    const refreshed = await server.api("/api/auth/refresh", {
      method: "POST",
      auth: false,
      json: { refreshToken: pair.refreshToken },
    });
    const text = await refreshed.text();
    assert.equal(refreshed.status, 200, text);
    assert.equal((JSON.parse(text) as { data: TokenPair }).data.readOnly, true);
    c.ws.close();
    await c.closed;
    await waitFor(async () => (await terminalClients()).length === 0, 5000, "the tmux client gone");
  });

  test("readOnly without sessionId is refused; a token for alpha cannot attach beta", async () => {
    const res = await server.api("/api/auth/token", { method: "POST", json: { readOnly: true } });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.equal(
      (JSON.parse(text) as { error: { message: string } }).error.message,
      "readOnly requires sessionId",
    );
    const { accessToken } = await issue({ sessionId: "alpha" });
    await assert.rejects(attach("beta", accessToken), /HTTP 403/);
  });

  test("the stream endpoint /api/sessions/{id}/ws confines a scoped token the same way", async () => {
    const { accessToken } = await issue({ sessionId: "alpha" });
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/sessions/alpha/ws`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    ws.on("error", () => undefined);
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await waitFor(async () => (await terminalClients()).length === 1, 5000, "the stream's tmux client");
    const [client] = await terminalClients();
    const before = (await messages(client!.name)).length;
    const input = (data: string) => ws.send(JSON.stringify({ type: "input", data }));
    for (const keys of ["\x02)", "\x02s", "\x02d", "\x1b[<2;5;5M\x1b[<2;5;5m"]) {
      input(keys);
      await pause(150);
      assert.deepEqual(
        (await terminalClients()).map((x) => [x.session, x.readOnly]),
        [["alpha", true]],
        JSON.stringify(keys),
      );
    }
    // What reached the shell so far (C-b moved its cursor) is an unfinished line: C-e C-u clears it.
    input("\x05\x15echo stream-$((6*7))\r");
    await waitFor(async () => (await capture()).includes("stream-42"), 5000, "typed text in the pane");
    assert.deepEqual(escapesIn((await messages(client!.name)).slice(before), client!.name), []);
    ws.close();
    assert.equal(await closed, 1000);
    await waitFor(async () => (await terminalClients()).length === 0, 5000, "the tmux client gone");
  });

  test("a full token keeps today's terminal: a read-write tmux client whose keys tmux reads", async () => {
    const c = await attach("gamma", server.token);
    const [client] = await terminalClients();
    assert.deepEqual(
      { session: client!.session, readOnly: client!.readOnly },
      { session: "gamma", readOnly: false },
    );
    c.send("\x02)");
    await waitFor(
      async () => (await terminalClients())[0]?.session !== "gamma",
      5000,
      "prefix ) switches a full client",
    );
    // The message log the confined tests read does record a key's command with its client (the check has teeth).
    const log = await messages(client!.name);
    assert.ok(
      escapesIn(log, client!.name).some((line) => /switch-client/.test(line)),
      log.join("\n"),
    );
    c.ws.close();
    await c.closed;
    await waitFor(async () => (await terminalClients()).length === 0, 5000, "the tmux client gone");
  });
});
