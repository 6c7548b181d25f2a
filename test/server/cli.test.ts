// The command line of the real bundle (`node dist/server.js`): help, flag errors and their exit codes, the
// non-loopback rule, the single ready line on stdout, graceful stop on SIGTERM/SIGINT (WebSocket clients get
// 1001, exit 0 within 2 s), and a start on a corrupt sentinel.db.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { SERVER_JS } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

const TOKEN = "cli-test-token-0123456789";
const VERSION = (
  JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }
).version;

let tmux: TmuxFixture;
let scratch: string;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "sentinel-cli-"));
  tmux = await startTmux();
  await tmux.newSession("main");
});

after(async () => {
  await tmux?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let dirs = 0;
/** A fresh directory under the scratch dir (removed with it). */
function freshDir(name: string): string {
  const dir = join(scratch, `${name}-${++dirs}`);
  return mkdtempSync(`${dir}-`);
}

/** The environment of a child: none of the caller's Sentinel or tmux settings, HOME in the scratch dir. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("SENTINEL_") && k !== "TMUX" && k !== "TMUX_PANE") env[k] = v;
  }
  env.HOME = freshDir("home");
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (killed after `timeoutMs`). */
function run(args: string[], env = childEnv(), timeoutMs = 10_000): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_JS, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

interface Running {
  child: ChildProcess;
  ready: Record<string, unknown>;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Sends the signal (if still running) and waits for the exit; returns the exit and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

const running = new Set<Running>();

/** Starts `serve` on port 0 against the private tmux and waits for the first stdout line. */
async function launch(options: {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
}): Promise<Running> {
  const env = options.env ?? childEnv({ SENTINEL_TOKEN: TOKEN });
  const child = spawn(
    process.execPath,
    [
      SERVER_JS,
      "serve",
      "--port",
      "0",
      "--data-dir",
      options.dataDir,
      "--tmux-socket",
      tmux.socket,
      ...(options.args ?? []),
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const line = await Promise.race([
    waitFor(
      () => (stdout.includes("\n") ? stdout.slice(0, stdout.indexOf("\n")) : ""),
      10_000,
      "the ready line",
    ),
    exited.then(({ code }) => {
      throw new Error(`server exited with ${code} before its ready line:\n${stderr}`);
    }),
  ]);
  const ready = JSON.parse(line) as Record<string, unknown>;
  const url = String(ready.url);
  const handle: Running = {
    child,
    ready,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
      return fetch(url + path, { ...init, headers });
    },
    stop: async (signal = "SIGTERM") => {
      const sent = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const { code, signal: by, at } = await exited;
      running.delete(handle);
      return { code, signal: by, ms: at - sent };
    },
  };
  running.add(handle);
  return handle;
}

after(async () => {
  for (const r of [...running]) await r.stop("SIGKILL");
});

describe("flags", () => {
  test("--help and -h print the usage on stdout and exit 0, touching nothing", async () => {
    const flags = ["--help", "-h", "serve --help"];
    const envs = flags.map(() => childEnv());
    const results = await Promise.all(flags.map((flag, i) => run(flag.split(" "), envs[i])));
    for (const [i, r] of results.entries()) {
      const env = envs[i]!;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Sentinel companion server /);
      assert.match(r.stdout, /Usage:/);
      for (const option of ["serve", "--host", "--port", "--data-dir", "--tmux-socket", "--help"]) {
        assert.ok(r.stdout.includes(option), `usage mentions ${option}`);
      }
      assert.equal(r.stderr, "");
      assert.equal(existsSync(join(env.HOME!, ".sentinel")), false, "help created a data dir");
    }
  });

  test("--version prints the package version", async () => {
    const r = await run(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${VERSION}\n`);
  });

  test("an unknown flag, a missing value, a bad port, an unknown command or a bad config.toml: exit 2 with a clear message on stderr", async () => {
    const dataDir = freshDir("data");
    const notToml = freshDir("data");
    writeFileSync(join(notToml, "config.toml"), "# mine\nlisten = 127.0.0.1:4040\n", { mode: 0o600 });
    const wrongType = freshDir("data");
    writeFileSync(join(wrongType, "config.toml"), 'token = "t0123456789abcdef"\nrecovery_enabled = "yes"\n', {
      mode: 0o600,
    });
    const cases: Array<[string[], RegExp]> = [
      [["serve", "--data-dir", notToml], /config\.toml: line 2, column \d+: invalid TOML/],
      [
        ["serve", "--data-dir", wrongType],
        /config\.toml: line 2: invalid recovery_enabled: expected true or false/,
      ],
      [["--bogus"], /Unknown option '--bogus'/],
      [["serve", "--bogus"], /Unknown option '--bogus'/],
      [["-x"], /Unknown option '-x'/],
      [["serve", "--port"], /--port/],
      [["serve", "--data-dir", dataDir, "--port", "abc"], /invalid port "abc"/],
      [["serve", "--data-dir", dataDir, "--port", "70000"], /invalid port "70000"/],
      [["serve", "--data-dir", dataDir, "--port", "-1"], /--port|invalid port/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["serve", "extra"], /unknown command "serve extra"/],
    ];
    // No data dir holds a code cache for these (src/server/loader.ts): eleven cold compiles at once on a loaded
    // machine can take a while, so the kill guard is generous.
    const results = await Promise.all(cases.map(([args]) => run(args, childEnv(), 60_000)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /^sentinel: /, args.join(" "));
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
    }
  });

  test('auth = "none" on a non-loopback host, or an unknown auth value: exit 2, a clear message, nothing listens', async () => {
    const dataDir = freshDir("data");
    writeFileSync(join(dataDir, "config.toml"), 'auth = "none"\n', { mode: 0o600 });
    const other = freshDir("data");
    const [byFlag, byEnv, everywhere, unknown] = await Promise.all([
      run(["serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", dataDir]),
      run(["serve", "--data-dir", other], childEnv({ SENTINEL_AUTH: "none", SENTINEL_LISTEN: "0.0.0.0:0" })),
      run(["serve", "--data-dir", dataDir], childEnv({ SENTINEL_LISTEN: ":0" })),
      run(["serve", "--port", "0", "--data-dir", other], childEnv({ SENTINEL_AUTH: "off" })),
    ]);
    assert.match(byFlag.stderr, /auth = "none" is allowed only on a loopback address, not "0\.0\.0\.0"/);
    assert.match(everywhere.stderr, /auth = "none" is allowed only on a loopback address, not "\*"/);
    assert.match(unknown.stderr, /SENTINEL_AUTH: invalid auth: expected one of token, none, got "off"/);
    for (const r of [byFlag, byEnv, everywhere, unknown]) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^sentinel: /);
      assert.equal(r.stdout, "");
    }
  });
});

/** The active token of a config file ("" when it has none). */
const fileToken = (dataDir: string) =>
  /^token = "(.*)"$/m.exec(readFileSync(join(dataDir, "config.toml"), "utf8"))?.[1] ?? "";

describe("auth is never silently off", () => {
  test("a first start with SENTINEL_TOKEN writes a generated token, so a start without the variable still requires one", async () => {
    const dataDir = freshDir("data");
    const first = await launch({ dataDir });
    assert.equal(first.ready.auth, "token");
    // The variable wins while it is set.
    assert.equal((await first.api("/api/meta")).status, 200);
    assert.equal((await first.stop()).code, 0);
    const written = fileToken(dataDir);
    assert.match(written, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(written, TOKEN);

    const second = await launch({ dataDir, env: childEnv() });
    assert.equal(second.ready.auth, "token");
    const bare = await fetch(`${second.url}/api/meta`);
    assert.equal(bare.status, 401);
    assert.equal((await second.api("/api/meta")).status, 401, "the old variable's token is not the file's");
    const meta = await second.api("/api/meta", { headers: { authorization: `Bearer ${written}` } });
    assert.equal(meta.status, 200);
    const body = (await meta.json()) as { data: { tokenRequired: boolean; auth: string } };
    assert.equal(body.data.tokenRequired, true);
    assert.equal(body.data.auth, "token");
    assert.equal((await second.stop()).code, 0);
  });

  test("a config file with an empty or no token gets a generated one, the rest of the file kept; the start says where", async () => {
    for (const content of [
      '# mine\ntoken = ""\nlog_level = "info"\n[extra]\nfoo = 1\n',
      '# mine\nlog_level = "info"\n[extra]\nfoo = 1\n',
    ]) {
      const dataDir = freshDir("data");
      const configPath = join(dataDir, "config.toml");
      writeFileSync(configPath, content, { mode: 0o600 });
      const server = await launch({ dataDir, env: childEnv() });
      const token = fileToken(dataDir);
      assert.match(token, /^[A-Za-z0-9_-]{32}$/, content);
      const after = readFileSync(configPath, "utf8");
      assert.equal(
        after.replace(/^token = ".*"\n/m, ""),
        content.replace('token = ""\n', ""),
        "the rest is kept",
      );
      assert.equal(statSync(configPath).mode & 0o777, 0o600);
      assert.equal((await fetch(`${server.url}/api/meta`)).status, 401);
      const withToken = await fetch(`${server.url}/api/meta`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(withToken.status, 200);
      assert.ok(server.stderr().includes(`token: generated and written to ${configPath}`), server.stderr());
      assert.ok(!server.stderr().includes(token), "the token itself is not logged");
      // The section this server does not know is reported once, with its line; its key is not read.
      const warned = server
        .stderr()
        .split("\n")
        .filter((l) => l.includes("unknown section [extra]"));
      assert.equal(warned.length, 1, server.stderr());
      assert.ok(
        warned[0]!.includes(`${configPath}: line ${after.split("\n").indexOf("[extra]") + 1}`),
        warned[0],
      );
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('auth = "none" on loopback serves without a token and says so in the ready line and meta', async () => {
    const dataDir = freshDir("data");
    writeFileSync(join(dataDir, "config.toml"), 'auth = "none"\n', { mode: 0o600 });
    const server = await launch({ dataDir, env: childEnv() });
    assert.equal(server.ready.auth, "none");
    const meta = await fetch(`${server.url}/api/meta`);
    assert.equal(meta.status, 200);
    const body = (await meta.json()) as { data: { tokenRequired: boolean; auth: string } };
    assert.deepEqual([body.data.tokenRequired, body.data.auth], [false, "none"]);
    assert.match(server.stderr(), /auth = \\"none\\": no token is required/);
    assert.equal((await server.stop()).code, 0);
    // SENTINEL_AUTH=none does the same, and the file's token is left as it is.
    const other = freshDir("data");
    const byEnv = await launch({ dataDir: other, env: childEnv({ SENTINEL_AUTH: "none" }) });
    assert.equal(byEnv.ready.auth, "none");
    assert.equal((await fetch(`${byEnv.url}/api/meta`)).status, 200);
    assert.match(fileToken(other), /^[A-Za-z0-9_-]{32}$/);
    assert.equal((await byEnv.stop()).code, 0);
  });
});

describe("the ready line", () => {
  test("exactly one JSON line on stdout {event,url,port,pid,version,auth}; every log goes to stderr", async () => {
    const dataDir = freshDir("data");
    const server = await launch({
      dataDir,
      env: childEnv({ SENTINEL_TOKEN: TOKEN, SENTINEL_LOG_LEVEL: "debug" }),
    });
    const { ready } = server;
    assert.deepEqual(Object.keys(ready), ["event", "url", "port", "pid", "version", "auth"]);
    assert.equal(ready.auth, "token");
    assert.equal(ready.event, "ready");
    assert.ok(Number.isInteger(ready.port) && (ready.port as number) > 0);
    assert.equal(ready.url, `http://127.0.0.1:${ready.port}`);
    assert.equal(ready.pid, server.child.pid);
    assert.equal(ready.version, VERSION);
    // Work that logs: requests (debug logs each), an error, a WebSocket refusal.
    const meta = (await (await server.api("/api/meta")).json()) as { data: { version: string } };
    assert.equal(meta.data.version, VERSION);
    assert.equal((await server.api("/api/meta", { headers: { authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await server.api("/api/tmux/sessions/nope/windows")).status, 404);
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0, server.stderr());
    assert.equal(server.stdout(), `${JSON.stringify(ready)}\n`);
    assert.match(server.stderr(), /listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(server.stderr(), /"msg":"incoming request"/, "request logs reached stderr");
  });
});

describe("graceful stop", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal}: WebSocket clients get 1001, the process exits 0 within 2 s, tmux keeps the session`, async () => {
      const server = await launch({ dataDir: freshDir("data") });
      const terminal = await open(`${server.url.replace("http", "ws")}/ws/tmux?session=main`);
      const events = await open(`${server.url.replace("http", "ws")}/ws/events`);
      await waitFor(
        async () => (await tmux.tmux("list-clients", "-F", "#{client_session}")).includes("main"),
        5000,
        "the tmux client of the attachment",
      );
      const stopped = await server.stop(signal);
      assert.equal(stopped.code, 0, server.stderr());
      assert.ok(stopped.ms < 2000, `exit took ${stopped.ms} ms`);
      assert.equal((await terminal.closed).code, 1001);
      assert.equal((await events.closed).code, 1001);
      // The tmux session outlives the server; its attach client does not.
      assert.ok((await tmux.tmux("list-sessions", "-F", "#{session_name}")).includes("main"));
      await waitFor(
        async () => !(await tmux.tmux("list-clients", "-F", "#{client_session}")).includes("main"),
        2000,
        "the attach client to go",
      );
      assert.equal(server.stdout().split("\n").filter(Boolean).length, 1);
    });
  }

  test("a client that stopped reading during a flood does not hold the stop up", async () => {
    await tmux.tmux(
      "new-session",
      "-d",
      "-s",
      "flood",
      "-x",
      "120",
      "-y",
      "40",
      "yes flood-line-with-some-padding",
    );
    const server = await launch({ dataDir: freshDir("data") });
    const slow = await open(`${server.url.replace("http", "ws")}/ws/tmux?session=flood`);
    const calm = await open(`${server.url.replace("http", "ws")}/ws/tmux?session=main`);
    // Stop reading: the kernel buffers fill, then the server's socket buffer.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await new Promise((r) => setTimeout(r, 1000));
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0, server.stderr());
    assert.ok(stopped.ms < 2000, `exit took ${stopped.ms} ms`);
    assert.equal((await calm.closed).code, 1001);
    slow.ws.terminate();
    await tmux.tmux("kill-session", "-t", "=flood");
  });

  test("the store is flushed: what was written before SIGTERM is there after a restart", async () => {
    const dataDir = freshDir("data");
    const first = await launch({ dataDir });
    const res = await first.api("/api/tmux/sessions/main/icon", {
      method: "PATCH",
      body: JSON.stringify({ icon: "rocket" }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 204);
    assert.equal((await first.stop("SIGTERM")).code, 0);
    const second = await launch({ dataDir });
    const icon = async () => {
      const list = (await (await second.api("/api/tmux/sessions")).json()) as {
        data: { sessions: Array<{ name: string; icon: string }> };
      };
      return list.data.sessions.find((s) => s.name === "main")?.icon;
    };
    assert.equal(await icon(), "rocket");
    assert.equal((await second.stop("SIGTERM")).code, 0);
  });
});

describe("a corrupt sentinel.db", () => {
  const asideFiles = (dataDir: string) =>
    readdirSync(dataDir).filter((f) => f.startsWith("sentinel.db.corrupt-"));

  test("garbage: the server starts, says so on stderr, keeps the broken file aside and works", async () => {
    const dataDir = freshDir("data");
    const garbage = Buffer.from("this is not a database\n".repeat(400));
    writeFileSync(join(dataDir, "sentinel.db"), garbage);
    const server = await launch({ dataDir });
    assert.match(server.stderr(), /sentinel\.db could not be opened/);
    const aside = asideFiles(dataDir);
    assert.equal(aside.length, 1, readdirSync(dataDir).join(" "));
    assert.match(server.stderr(), new RegExp(aside[0]!.replace(/\./g, "\\.")));
    assert.deepEqual(readFileSync(join(dataDir, aside[0]!)), garbage);
    assert.equal(
      readFileSync(join(dataDir, "sentinel.db")).subarray(0, 16).toString("latin1"),
      "SQLite format 3\0",
    );
    await assertStoreWorks(server);
    assert.equal((await server.stop()).code, 0);
  });

  test("a real database with its pages overwritten: the same", async () => {
    const dataDir = freshDir("data");
    const first = await launch({ dataDir });
    assert.equal((await first.stop()).code, 0);
    const file = join(dataDir, "sentinel.db");
    const db = readFileSync(file);
    assert.ok(db.length > 4096, `db is ${db.length} bytes`);
    // Keep the 100-byte header (so it still looks like SQLite), scramble everything after it.
    for (let i = 100; i < db.length; i++) db[i] = (i * 131 + 7) % 251;
    writeFileSync(file, db);
    const server = await launch({ dataDir });
    assert.match(server.stderr(), /could not be opened/);
    assert.equal(asideFiles(dataDir).length, 1);
    await assertStoreWorks(server);
    assert.equal((await server.stop()).code, 0);
  });
});

async function assertStoreWorks(server: Running): Promise<void> {
  const res = await server.api("/api/tmux/sessions/main/icon", {
    method: "PATCH",
    body: JSON.stringify({ icon: "wrench" }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(res.status, 204, await res.text());
  const list = (await (await server.api("/api/tmux/sessions")).json()) as {
    data: { sessions: Array<{ name: string; icon: string }> };
  };
  assert.equal(list.data.sessions.find((s) => s.name === "main")?.icon, "wrench");
  // The fresh store is migrated: the seeded guardrail rules are there.
  const rules = await server.api("/api/ops/guardrails/rules");
  const text = await rules.text();
  assert.equal(rules.status, 200, text);
  assert.ok((JSON.parse(text) as { data: { rules: unknown[] } }).data.rules.length > 0, text);
}

interface Socket {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

async function open(url: string): Promise<Socket> {
  const ws = new WebSocket(url, ["sentinel.v1"], { headers: { authorization: `Bearer ${TOKEN}` } });
  ws.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, closed };
}
