// The server lifecycle against a stand-in server script (same CLI, ready line, runtime.json and /api/meta as the
// real one): spawn and ready, the environment it gets, reuse by another window, no reuse across tokens or
// versions, restart after a crash, giving up with the reason, stop on dispose, external servers.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import {
  ServerManager,
  type ServerSettings,
  type ServerState,
} from "../../src/extension/server/serverManager.js";
import { Backoff } from "../../src/extension/util/backoff.js";
import { type Logger, silentLogger } from "../../src/extension/util/log.js";
import { until } from "./extensionFakeServer.js";

const FAKE = `
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : "");
const dataDir = arg("--data-dir");
const mode = process.env.FAKE_MODE || "ok";
if (mode === "fail") { process.stderr.write("sentinel: port 4040 on 127.0.0.1 is already in use\\n"); process.exit(1); }
const token = process.env.SENTINEL_TOKEN || "";
const version = process.env.FAKE_VERSION || "1.0.0";
const server = http.createServer((req, res) => {
  if (req.headers.authorization !== "Bearer " + token) { res.writeHead(401); return res.end("{}"); }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ data: { tokenRequired: true, defaultCwd: "/", version,
    env: { electron: process.env.ELECTRON_RUN_AS_NODE, ipc: process.env.VSCODE_IPC_HOOK || null } } }));
});
server.listen(Number(arg("--port")), arg("--host"), () => {
  const port = server.address().port;
  const url = "http://127.0.0.1:" + port;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, "runtime.json"), JSON.stringify({ pid: process.pid, port, url, version, startedAt: new Date().toISOString(), tmuxSocket: arg("--tmux-socket") }));
  process.stderr.write(JSON.stringify({ level: 30, msg: "fake listening", port }) + "\\n");
  process.stdout.write(JSON.stringify({ event: "ready", url, port, pid: process.pid, version }) + "\\n");
});
process.on("SIGTERM", () => { try { fs.rmSync(path.join(dataDir, "runtime.json")); } catch {} process.exit(0); });
`;

let dir: string;
let script: string;
const managers: ServerManager[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "sentinel-ext-mgr-"));
  script = join(dir, "fake-server.js");
  writeFileSync(script, FAKE);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.dispose();
});

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (message: string | Error) => {
    lines.push(`${level} ${String(message)}`);
  };
  return {
    lines,
    trace: put("trace"),
    debug: put("debug"),
    info: put("info"),
    warn: put("warn"),
    error: put("error"),
  };
}

function manager(
  options: {
    dataDir?: string;
    token?: string;
    version?: string;
    env?: Record<string, string>;
    externalUrl?: string;
    externalToken?: string;
    maxAttempts?: number;
    tmuxSocket?: string;
  } = {},
) {
  const serverLog = capture();
  const settings: ServerSettings = {
    autoStart: true,
    externalUrl: options.externalUrl ?? "",
    port: 0,
    dataDir: options.dataDir ?? mkdtempSync(join(dir, "data-")),
    tmuxSocket: options.tmuxSocket ?? "",
  };
  const states: ServerState["kind"][] = [];
  const m = new ServerManager({
    log: silentLogger,
    serverLog,
    serverScript: script,
    version: options.version ?? "1.0.0",
    settings: () => settings,
    localToken: async () => options.token ?? "token-a",
    externalToken: async () => options.externalToken,
    env: { ...process.env, VSCODE_IPC_HOOK: "/tmp/vscode.sock", ...options.env },
    backoff: new Backoff({ initialMs: 30, maxMs: 60, jitter: 0 }),
    maxAttempts: options.maxAttempts ?? 5,
    readyTimeoutMs: 5000,
  });
  m.onDidChangeState((s) => states.push(s.kind));
  managers.push(m);
  return { m, settings, states, serverLog };
}

async function meta(url: string, token: string) {
  const res = await fetch(`${url}/api/meta`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as { data: { env: { electron: string; ipc: string | null } } };
}

describe("server manager", () => {
  test("spawns the server with the token and ELECTRON_RUN_AS_NODE, waits for its ready line, logs its stderr", async () => {
    const { m, states, serverLog } = manager();
    const endpoint = await m.start();
    assert.equal(m.state.kind, "running");
    assert.equal(m.state.kind === "running" && m.state.source, "spawned");
    assert.deepEqual(states, ["starting", "running"]);
    assert.equal(endpoint.token, "token-a");
    const body = await meta(endpoint.url, "token-a");
    assert.deepEqual(body.data.env, { electron: "1", ipc: null });
    assert.ok(
      serverLog.lines.some((l) => l === `info [server] fake listening port=${new URL(endpoint.url).port}`),
    );
    assert.equal(m.spawnCount, 1);
  });

  test("another window with the same data dir and token reuses the running server", async () => {
    const first = manager();
    const a = await first.m.start();
    const second = manager({ dataDir: first.settings.dataDir });
    const b = await second.m.start();
    assert.equal(b.url, a.url);
    assert.equal(second.m.state.kind === "running" && second.m.state.source, "reused");
    assert.equal(second.m.spawnCount, 0);
    // Disposing the window that reused it leaves the server running.
    await second.m.dispose();
    await meta(a.url, "token-a");
  });

  test("no reuse across tokens or versions: each starts its own", async () => {
    const first = manager();
    const a = await first.m.start();
    const otherToken = manager({ dataDir: first.settings.dataDir, token: "token-b" });
    const b = await otherToken.m.start();
    assert.notEqual(b.url, a.url);
    assert.equal(otherToken.m.spawnCount, 1);
    const otherVersion = manager({
      dataDir: first.settings.dataDir,
      token: "token-b",
      version: "2.0.0",
      env: { FAKE_VERSION: "2.0.0" },
    });
    const c = await otherVersion.m.start();
    assert.notEqual(c.url, b.url);
    assert.equal(otherVersion.m.spawnCount, 1);
  });

  test("no reuse of a server that talks to another tmux socket", async () => {
    const first = manager({ tmuxSocket: "/tmp/other-tmux.sock" });
    const a = await first.m.start();
    const second = manager({ dataDir: first.settings.dataDir });
    const b = await second.m.start();
    assert.notEqual(b.url, a.url);
    assert.equal(second.m.spawnCount, 1);
    const third = manager({ dataDir: first.settings.dataDir, tmuxSocket: "/tmp/other-tmux.sock" });
    await third.m.start();
    assert.equal(
      third.m.spawnCount,
      1,
      "runtime.json now names the second server, which uses the default socket",
    );
  });

  test("a stale runtime.json (dead pid) is ignored", async () => {
    const dataDir = mkdtempSync(join(dir, "data-"));
    writeFileSync(
      join(dataDir, "runtime.json"),
      JSON.stringify({
        pid: 999_999_999,
        port: 1,
        url: "http://127.0.0.1:1",
        version: "1.0.0",
        startedAt: "",
      }),
    );
    const { m } = manager({ dataDir });
    await m.start();
    assert.equal(m.state.kind === "running" && m.state.source, "spawned");
  });

  test("a crashed server is restarted; a window that reused it finds the new one", async () => {
    const owner = manager();
    const a = await owner.m.start();
    const user = manager({ dataDir: owner.settings.dataDir });
    await user.m.start();
    const pid = owner.m.state.kind === "running" ? owner.m.state.pid! : 0;
    const seen = owner.states.length;
    process.kill(pid, "SIGKILL");
    await until(
      () => owner.states.slice(seen).includes("starting") && owner.states.at(-1) === "running",
      "restarted",
      5000,
    );
    const b = owner.m.endpoint!;
    assert.notEqual(b.url, a.url);
    assert.equal(owner.m.spawnCount, 2);
    await until(
      () => JSON.parse(readFileSync(join(owner.settings.dataDir, "runtime.json"), "utf8")).url === b.url,
      "runtime.json",
    );
    await user.m.checkHealth("events socket closed");
    await until(() => user.m.endpoint?.url === b.url, "the other window follows", 5000);
    assert.equal(user.m.state.kind === "running" && user.m.state.source, "reused");
  });

  test("a server that keeps failing ends in failed, with its own words as the reason", async () => {
    const { m, states } = manager({ env: { FAKE_MODE: "fail" }, maxAttempts: 2 });
    await assert.rejects(m.start(), /already in use/);
    assert.equal(m.state.kind, "failed");
    assert.match(m.state.kind === "failed" ? m.state.reason : "", /exited with code 1: sentinel: port 4040/);
    assert.deepEqual(states, ["starting", "starting", "starting", "failed"]);
  });

  test("dispose stops the server this window started", async () => {
    const { m, settings } = manager();
    const endpoint = await m.start();
    await m.dispose();
    await assert.rejects(fetch(`${endpoint.url}/api/meta`));
    assert.throws(() => readFileSync(join(settings.dataDir, "runtime.json")));
  });

  test("stop, then start again", async () => {
    const { m, states } = manager();
    await m.start();
    await m.stop("user");
    assert.equal(m.state.kind, "stopped");
    await m.start();
    assert.equal(m.spawnCount, 2);
    assert.deepEqual(states, ["starting", "running", "stopped", "starting", "running"]);
  });

  test("sockets closing during a stop do not bring a server back", async () => {
    const { m } = manager();
    await m.start();
    const stopping = m.stop("user");
    // What the events socket's close reports while the server shuts down.
    await m.checkHealth("events socket closed");
    await stopping;
    await m.checkHealth("events socket closed");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(m.state.kind, "stopped");
    assert.equal(m.spawnCount, 1);
  });

  test("an external server: connected with its token; a refused token fails with advice", async () => {
    const host = manager({ token: "ext-token" });
    const running = await host.m.start();
    const ok = manager({ externalUrl: `${running.url}/`, externalToken: "ext-token" });
    const endpoint = await ok.m.start();
    assert.equal(endpoint.url, running.url);
    assert.equal(ok.m.state.kind === "running" && ok.m.state.source, "external");
    assert.equal(ok.m.spawnCount, 0);
    const refused = manager({ externalUrl: running.url, externalToken: "wrong" });
    await assert.rejects(refused.m.start(), /Set Server Token/);
    assert.equal(refused.m.state.kind, "failed");
  });

  test("an unreachable external server: connecting, retried until it answers", async () => {
    const { m } = manager({ externalUrl: "http://127.0.0.1:9" });
    const pending = m.start();
    pending.catch(() => undefined);
    await until(
      () => m.state.kind === "connecting" && m.state.reason !== "connecting",
      "connecting with a reason",
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(m.state.kind, "connecting", "it keeps trying");
    await m.stop();
    await assert.rejects(pending);
  });

  test("switching to an external server keeps the companion this window started; switching back takes it up again", async () => {
    const host = manager({ token: "ext-token" });
    const external = await host.m.start();
    const { m, settings, states } = manager({ externalToken: "ext-token" });
    const companion = await m.start();
    settings.externalUrl = external.url;
    const switched = await m.switchServer("switched");
    assert.equal(switched.url, external.url, "the external server is active");
    assert.ok(
      (await fetch(`${companion.url}/api/meta`, { headers: { authorization: "Bearer token-a" } })).ok,
      "the companion still answers",
    );
    assert.deepEqual(m.companionEndpoint, companion, "its endpoint is known for its terminals");
    // Stop and restart of the external server (a token change) leave the companion alone.
    await m.restart("the token changed");
    assert.ok(
      (await fetch(`${companion.url}/api/meta`, { headers: { authorization: "Bearer token-a" } })).ok,
      "the companion still answers after a restart of the external one",
    );
    settings.externalUrl = "";
    const back = await m.switchServer("switched back");
    assert.deepEqual(back, companion, "the same companion");
    assert.equal(m.spawnCount, 1, "no second companion");
    assert.equal(m.state.kind === "running" && m.state.source, "spawned", "owned again");
    assert.deepEqual(
      states,
      [
        "starting",
        "running",
        "stopped",
        "connecting",
        "running",
        "stopped",
        "connecting",
        "running",
        "stopped",
        "starting",
        "running",
      ],
      "states",
    );
    await m.dispose();
    await assert.rejects(fetch(`${companion.url}/api/meta`), "dispose stops it");
  });
});
