// `npm run stress -- --mode <scan|poll|events|default|none> [--seconds 120] [--runs 5] [--seed N] [--keep]`:
// does a Sentinel server make the user's tmux crash? (issue 12; tmux PR #4980; docs/decisions/0004-watchtower.md)
// Each run starts a PRIVATE tmux server in the foreground (`tmux -D`, clean HOME, its own conf), so a crash is
// this child dying by a signal, and, unless the mode is `none` (the baseline), the real bundled server on it with
// SENTINEL_WATCHTOWER_MODE=<mode> (`default`: the variable unset). Then a seeded random churn for the given
// seconds, 3-12 sessions alive: sessions created (also back to back), renamed and killed through the API and the
// tmux CLI, windows made, renamed and killed, panes split and killed, output bursts, a `/ws/tmux` client attached
// for a second and typing (`none`: a plain `tmux attach` in a PTY), and every 20-40 s the server stopped, by
// SIGTERM and SIGKILL in turn, and started again while the sessions live on. An operation has a time limit; its
// failure is counted, never fatal. A tmux exit is recorded (signal, time, the last 20 operations, the kernel's
// `segfault at` line when dmesg is readable) and the run goes on with a fresh tmux server on a new socket and a
// fresh Sentinel server.
// A sampler counts control-mode clients (`list-clients`) every 500 ms: modes other than `events` must show none.
// Stdout: one JSON line per run, then a summary line; progress on stderr. Exit 1 when tmux died, or a control
// client was seen, in any mode but `events`. The built server is copied first (a rebuild by someone else during
// a long run changes nothing); everything lives in one temp dir, removed at the end and on SIGINT together with
// every process whose command line or environment names it. Not part of `npm test`: CPU heavy, minutes long.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { PtyTerm } from "./clients.js";
import { ROOT, round, sleep, type Workspace, withTimeout } from "./harness.js";

const MODES = ["scan", "poll", "events", "default", "none"] as const;
type Mode = (typeof MODES)[number];

interface Options {
  mode: Mode;
  seconds: number;
  runs: number;
  seed: number;
  keep: boolean;
}

const USAGE =
  "usage: npm run stress -- --mode <scan|poll|events|default|none> [--seconds 120] [--runs 5] [--seed N] [--keep]";

function parseArgs(argv: string[]): Options {
  const options: Options = {
    mode: "default",
    seconds: 120,
    runs: 5,
    seed: Math.floor(Math.random() * 2 ** 31),
    keep: false,
  };
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${USAGE}\n`);
    process.exit(2);
  };
  const int = (name: string, raw: string | undefined, min: number, max: number) => {
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < min || value > max) {
      fail(`${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const args = argv.flatMap((a) => (a.startsWith("--") && a.includes("=") ? a.split(/=(.*)/s, 2) : [a]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case "--mode": {
        const mode = args[++i];
        if (!MODES.includes(mode as Mode)) fail(`--mode must be one of ${MODES.join(", ")}`);
        options.mode = mode as Mode;
        break;
      }
      case "--seconds":
        options.seconds = int(arg, args[++i], 5, 3600);
        break;
      case "--runs":
        options.runs = int(arg, args[++i], 1, 100);
        break;
      case "--seed":
        options.seed = int(arg, args[++i], 0, 2 ** 31 - 1);
        break;
      case "--keep":
        options.keep = true;
        break;
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        fail(`unknown argument: ${arg}`);
    }
  }
  return options;
}

const progress = (message: string) => process.stderr.write(`[stress] ${message}\n`);
const errorText = (error: unknown) => ((error as Error)?.message ?? String(error)).replace(/\s+/g, " ");

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence of choices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("TMUX") && !key.startsWith("SENTINEL_")) env[key] = value;
  }
  env.HOME = home;
  env.TERM = "xterm-256color";
  env.LANG ||= "C.UTF-8";
  return env;
}

function execText(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${file} ${args.join(" ")}: ${stderr.trim() || error.message}`))
        : resolve(stdout),
    );
  });
}

/** Pids of processes (other than this one) whose command line or environment names `dir`. */
function processesNaming(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      try {
        if (readFileSync(`/proc/${pid}/${file}`, "latin1").includes(dir)) {
          found.push(pid);
          break;
        }
      } catch {
        // Gone, or not ours.
      }
    }
  }
  return found;
}

/** SIGKILLs what is left of a run (orphaned tmux clients, a tmux server a CLI call started, pane shells). */
async function killLeftovers(dir: string): Promise<number> {
  let killed = 0;
  for (let pass = 0; pass < 3; pass++) {
    const pids = processesNaming(dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // Already gone.
      }
    }
    await sleep(200);
  }
  return killed;
}

async function kernelSegfaults(): Promise<string[] | undefined> {
  try {
    const out = await execText("dmesg", [], process.env, 3000);
    return out.split("\n").filter((line) => line.includes("segfault at"));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The processes under test.

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

class TmuxServer {
  exit: Exit | undefined;
  /** Set before the harness stops it: that exit is no crash. */
  expected = false;
  readonly exited: Promise<Exit>;

  private constructor(
    readonly child: ChildProcess,
    readonly socket: string,
    onCrash: (server: TmuxServer) => void,
  ) {
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exit = { code, signal, atMs: Date.now() };
        if (!this.expected) onCrash(this);
        resolve(this.exit);
      }),
    );
  }

  static async start(
    socket: string,
    conf: string,
    env: NodeJS.ProcessEnv,
    log: string,
    onCrash: (server: TmuxServer) => void,
  ): Promise<TmuxServer> {
    const fd = openSync(log, "a");
    const child = spawn("tmux", ["-S", socket, "-f", conf, "-D"], {
      env,
      stdio: ["ignore", fd, fd],
      detached: true,
    });
    closeSync(fd);
    const server = new TmuxServer(child, socket, onCrash);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (server.exit) throw new Error(`tmux -D exited at start (${server.exit.code ?? server.exit.signal})`);
      try {
        if (existsSync(socket)) {
          await execText("tmux", ["-S", socket, "list-sessions"], env, 3000);
          return server;
        }
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error("tmux -D did not answer within 10 s");
      }
      await sleep(50);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async stop(): Promise<void> {
    this.expected = true;
    if (this.exit) return;
    this.child.kill("SIGTERM");
    const hard = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(hard);
  }
}

class Sentinel {
  exit: Exit | undefined;
  /** Set before the harness stops it. */
  expected = false;
  readonly exited: Promise<Exit>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal, atMs: Date.now() };
        resolve(this.exit);
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once("exit", done);
    });
  }

  static async start(serverJs: string, run: Run): Promise<Sentinel> {
    const env = cleanEnv(run.home);
    env.SENTINEL_TOKEN = run.token;
    env.SENTINEL_LOG_LEVEL = "info";
    // The V8 code cache of the copied bundle stays in the stress dir.
    env.XDG_CACHE_HOME = join(run.base, "cache");
    // No systemctl calls from the health checker: this is about tmux.
    env.SENTINEL_OPS_SERVICE_MANAGER = "none";
    env.SENTINEL_OPS_HEALTH_INTERVAL = "0";
    if (run.mode !== "default") env.SENTINEL_WATCHTOWER_MODE = run.mode;
    const fd = openSync(join(run.dir, "sentinel.log"), "a");
    const child = spawn(
      process.execPath,
      [serverJs, "serve", "--port", "0", "--data-dir", run.dataDir, "--tmux-socket", run.socket],
      { env, stdio: ["ignore", "pipe", fd], detached: true },
    );
    closeSync(fd);
    const lines = createInterface({ input: child.stdout! });
    try {
      const ready = await withTimeout(
        new Promise<{ url: string; port: number }>((resolve, reject) => {
          lines.once("line", (line) => {
            try {
              const parsed = JSON.parse(line);
              if (parsed.event !== "ready") throw new Error();
              resolve(parsed);
            } catch {
              reject(new Error(`bad ready line: ${line}`));
            }
          });
          child.once("exit", (code, signal) =>
            reject(new Error(`server exited (${code ?? signal}) before ready`)),
          );
        }),
        20_000,
        "Sentinel server ready line",
      );
      lines.on("line", () => undefined);
      return new Sentinel(child, ready.url, ready.port);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    this.expected = true;
    if (this.exit) return;
    this.child.kill(signal);
    const hard = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(hard);
  }
}

// ---------------------------------------------------------------------------------------------------------
// One run.

interface OpRecord {
  /** Seconds since the run started. */
  t: number;
  op: string;
  target?: string;
  ok?: boolean;
  ms?: number;
  error?: string;
}

interface Crash {
  signal: string | null;
  exitCode: number | null;
  at: string;
  atSeconds: number;
  tmuxPid: number;
  kernel?: string[];
  lastOps: OpRecord[];
}

interface Run {
  mode: Mode;
  index: number;
  seed: number;
  rng: () => number;
  base: string;
  dir: string;
  home: string;
  conf: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  token: string;
  startedMs: number;
  generation: number;
  socket: string;
  tmux?: TmuxServer;
  sentinel?: Sentinel;
  history: OpRecord[];
  operations: number;
  operationErrors: number;
  opCounts: Record<string, { n: number; errors: number }>;
  errorSamples: string[];
  crashes: Crash[];
  /** A crash seen but not yet recovered from. */
  pending?: Crash;
  kernelBefore?: number;
  controlClientsMax: number;
  controlSamples: number;
  controlSamplesWithClients: number;
  serverRestarts: number;
  serverKills: number;
  serverUnexpectedExits: number;
  /** Sessions created back to back, 2-5 at a time (each creation is also an operation). */
  createBursts: number;
  counter: number;
  background: Set<Promise<unknown>>;
  stopping: boolean;
}

const elapsed = (run: Run) => round((Date.now() - run.startedMs) / 1000, 2);

function tmux(run: Run, ...args: string[]): Promise<string> {
  return execText("tmux", ["-S", run.socket, ...args], run.env);
}

async function op(
  run: Run,
  name: string,
  target: string | undefined,
  fn: () => Promise<unknown>,
  timeoutMs = 10_000,
): Promise<boolean> {
  const record: OpRecord = { t: elapsed(run), op: name, ...(target ? { target } : {}) };
  run.history.push(record);
  if (run.history.length > 100) run.history.shift();
  run.operations++;
  const count = run.opCounts[name] ?? { n: 0, errors: 0 };
  run.opCounts[name] = count;
  count.n++;
  const started = performance.now();
  try {
    await withTimeout(fn(), timeoutMs, name);
    record.ok = true;
    return true;
  } catch (error) {
    record.ok = false;
    record.error = errorText(error).replaceAll(run.dir, "<run>").slice(0, 200);
    run.operationErrors++;
    count.errors++;
    if (run.errorSamples.length < 12) run.errorSamples.push(`${name}: ${record.error}`);
    return false;
  } finally {
    record.ms = Math.round(performance.now() - started);
  }
}

async function api(run: Run, method: string, path: string, body?: unknown): Promise<unknown> {
  const server = run.sentinel;
  if (!server || server.exit) throw new Error("no Sentinel server running");
  const headers: Record<string, string> = { authorization: `Bearer ${run.token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method === "DELETE") headers["x-sentinel-guardrail-confirm"] = "true";
  const response = await fetch(server.url + path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 160)}`);
  return text ? JSON.parse(text) : undefined;
}

const sessionPath = (session: string) => `/api/tmux/sessions/${encodeURIComponent(session)}`;

function onTmuxCrash(run: Run, server: TmuxServer): void {
  const exit = server.exit!;
  const crash: Crash = {
    signal: exit.signal,
    exitCode: exit.code,
    at: new Date(exit.atMs).toISOString(),
    atSeconds: round((exit.atMs - run.startedMs) / 1000, 2),
    tmuxPid: server.pid,
    lastOps: run.history.slice(-20),
  };
  run.crashes.push(crash);
  run.pending = crash;
  progress(
    `run ${run.index}: tmux server ${server.pid} DIED (${exit.signal ?? `exit ${exit.code}`}) at ${crash.atSeconds} s`,
  );
}

async function startTmux(run: Run): Promise<void> {
  if (run.stopping) throw new Error("the run is stopping");
  run.generation++;
  run.socket = join(run.dir, `sock-${run.generation}`);
  const server = await TmuxServer.start(run.socket, run.conf, run.env, join(run.dir, "tmux.log"), (dead) =>
    onTmuxCrash(run, dead),
  );
  // Torn down meanwhile (SIGINT): this one must not outlive the run.
  if (run.stopping) {
    await server.stop();
    throw new Error("the run is stopping");
  }
  run.tmux = server;
}

async function startSentinel(run: Run, serverJs: string): Promise<void> {
  if (run.mode === "none") return;
  if (run.stopping) throw new Error("the run is stopping");
  const server = await Sentinel.start(serverJs, run);
  if (run.stopping) {
    await server.stop();
    throw new Error("the run is stopping");
  }
  run.sentinel = server;
}

/** After tmux died: the Sentinel server goes, whatever is left of that tmux goes, both start afresh. */
async function recover(run: Run, serverJs: string): Promise<void> {
  const crash = run.pending!;
  await run.sentinel?.stop("SIGTERM");
  run.sentinel = undefined;
  // The tmux server of an earlier attempt that failed half-way.
  await run.tmux?.stop();
  // A CLI call or the Sentinel server may have started a daemon tmux server on the dead socket meanwhile;
  // orphaned clients and pane shells of the dead one may linger. Nothing of this run should live now.
  await killLeftovers(run.dir);
  if (!crash.kernel) {
    const lines = await kernelSegfaults();
    if (lines) crash.kernel = lines.filter((line) => line.includes(`[${crash.tmuxPid}]`)).slice(0, 3);
  }
  await startTmux(run);
  await startSentinel(run, serverJs);
  run.pending = undefined;
}

async function listSessions(run: Run): Promise<string[]> {
  const out = await tmux(run, "list-sessions", "-F", "#{session_name}");
  return out.split("\n").filter(Boolean);
}

async function sampleControlClients(run: Run): Promise<void> {
  while (!run.stopping) {
    if (run.tmux && !run.tmux.exit && !run.pending) {
      try {
        const out = await tmux(run, "list-clients", "-F", "#{client_control_mode}");
        const control = out.split("\n").filter((line) => line.trim() === "1").length;
        run.controlSamples++;
        if (control > 0) {
          if (run.controlClientsMax === 0 && run.mode !== "events") {
            progress(
              `run ${run.index}: WARNING: ${control} control-mode client(s) attached in mode ${run.mode}`,
            );
          }
          run.controlSamplesWithClients++;
          run.controlClientsMax = Math.max(run.controlClientsMax, control);
        }
      } catch {
        // tmux restarting or dying: the churn loop sees it.
      }
    }
    await sleep(500);
  }
}

const BURSTS = [
  "seq 1 20000",
  "yes | head -c 2000000",
  "for i in $(seq 1 300); do echo tick $i; sleep 0.01; done",
  "ls -la /usr/bin /usr/lib | head -3000",
];

async function wsAttach(run: Run, session: string): Promise<void> {
  const server = run.sentinel;
  if (!server || server.exit) throw new Error("no Sentinel server running");
  const ws = new WebSocket(
    `ws://127.0.0.1:${server.port}/ws/tmux?session=${encodeURIComponent(session)}&cols=100&rows=30`,
    ["sentinel.v1"],
    { headers: { authorization: `Bearer ${run.token}` }, perMessageDeflate: false, handshakeTimeout: 5000 },
  );
  ws.on("error", () => undefined);
  let bytes = 0;
  ws.on("message", (data, isBinary) => {
    if (isBinary) bytes += (data as Buffer).length;
  });
  try {
    const refused = await new Promise<number | undefined>((resolve, reject) => {
      ws.once("message", (data, isBinary) => {
        const text = data.toString();
        if (!isBinary && text.includes('"status"')) resolve(undefined);
        else reject(new Error(`first frame: ${text.slice(0, 120)}`));
      });
      ws.once("unexpected-response", (_request, response) => resolve(response.statusCode));
      ws.once("error", reject);
      ws.once("close", (code) => reject(new Error(`closed ${code} before the status frame`)));
    });
    if (refused !== undefined) {
      // The attachment runs beside the churn: the session may have been killed or renamed since it was picked.
      // A 404 for a session tmux no longer has is the right answer, counted apart; for one it has, an error.
      const gone = await tmux(run, "has-session", "-t", `=${session}`).then(
        () => false,
        () => true,
      );
      if (refused === 404 && gone) {
        const raced = run.opCounts.wsAttachSessionGone ?? { n: 0, errors: 0 };
        run.opCounts.wsAttachSessionGone = raced;
        raced.n++;
        return;
      }
      throw new Error(`handshake refused: ${refused}${gone ? "" : " (tmux has the session)"}`);
    }
    ws.send(Buffer.from(`echo typed-${run.counter}\r`), { binary: true });
    await sleep(1000);
    if (bytes === 0) throw new Error("attached, but no output in 1 s");
  } finally {
    const closed = new Promise<void>((resolve) =>
      ws.readyState === WebSocket.CLOSED ? resolve() : ws.once("close", () => resolve()),
    );
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    await withTimeout(closed, 2000, "ws close").catch(() => ws.terminate());
  }
}

async function ptyAttach(run: Run, session: string): Promise<void> {
  const work: Workspace = {
    dir: run.dir,
    socket: run.socket,
    env: run.env as Record<string, string>,
    tmux: (...args) => tmux(run, ...args),
  };
  const term = await PtyTerm.connect(work, session, 100, 30);
  try {
    term.write(`echo typed-${run.counter}\r`);
    await sleep(1000);
  } finally {
    await term.close();
  }
}

/** Starts `fn` without waiting for it (an attachment held for a second while the churn goes on). */
function inBackground(run: Run, promise: Promise<unknown>): void {
  run.background.add(promise);
  void promise.finally(() => run.background.delete(promise));
}

const MIN_SESSIONS = 3;
const MAX_SESSIONS = 12;

// Weights of the operations; `api` ones need a Sentinel server (mode `none` leaves them out).
const OPS: Array<{ name: string; weight: number; api: boolean }> = [
  { name: "createApi", weight: 8, api: true },
  { name: "createCli", weight: 8, api: false },
  { name: "createBurst", weight: 5, api: false },
  { name: "renameApi", weight: 4, api: true },
  { name: "renameCli", weight: 4, api: false },
  { name: "killApi", weight: 5, api: true },
  { name: "killCli", weight: 5, api: false },
  { name: "newWindowApi", weight: 4, api: true },
  { name: "newWindowCli", weight: 4, api: false },
  { name: "renameWindow", weight: 3, api: false },
  { name: "killWindowApi", weight: 3, api: true },
  { name: "killWindowCli", weight: 3, api: false },
  { name: "splitApi", weight: 4, api: true },
  { name: "splitCli", weight: 4, api: false },
  { name: "outputBurst", weight: 8, api: false },
  { name: "attach", weight: 4, api: false },
  { name: "listApi", weight: 3, api: true },
];

function pick<T>(run: Run, items: readonly T[]): T {
  return items[Math.floor(run.rng() * items.length)]!;
}

async function createSession(run: Run, viaApi: boolean, note = ""): Promise<void> {
  const name = `st${++run.counter}`;
  const target = `${name}${note}`;
  if (viaApi) await op(run, "createApi", target, () => api(run, "POST", "/api/tmux/sessions", { name }));
  else
    await op(run, "createCli", target, () =>
      tmux(run, "new-session", "-d", "-s", name, "-x", "120", "-y", "40"),
    );
}

async function step(run: Run, sessions: string[]): Promise<void> {
  const haveApi = run.mode !== "none";
  const choices = OPS.filter((o) => haveApi || !o.api);
  let name: string;
  if (sessions.length < MIN_SESSIONS) name = "create";
  else {
    let roll = run.rng() * choices.reduce((sum, o) => sum + o.weight, 0);
    name = "outputBurst";
    for (const choice of choices) {
      roll -= choice.weight;
      if (roll < 0) {
        name = choice.name;
        break;
      }
    }
    if (name.startsWith("create") && sessions.length >= MAX_SESSIONS) name = "kill";
    if (name.startsWith("kill") && !name.includes("Window") && sessions.length <= MIN_SESSIONS)
      name = "create";
  }
  const viaApi = haveApi && run.rng() < 0.5;
  if (name === "create") return createSession(run, viaApi);
  if (name === "kill") name = viaApi ? "killApi" : "killCli";
  const session = pick(run, sessions);
  switch (name) {
    case "createApi":
    case "createCli":
      return createSession(run, name === "createApi");
    case "createBurst": {
      // Sessions back to back: the bursts of notices in which tmux 3.3a crashed (ADR 0004).
      // Near the cap, sessions are killed back to back first to make room.
      const n = 2 + Math.floor(run.rng() * 4);
      for (const victim of sessions.slice(0, Math.max(0, sessions.length + n - MAX_SESSIONS))) {
        if (haveApi && run.rng() < 0.5) {
          await op(run, "killApi", `${victim} (room)`, () =>
            api(run, "DELETE", `${sessionPath(victim)}?confirm=1`),
          );
        } else
          await op(run, "killCli", `${victim} (room)`, () => tmux(run, "kill-session", "-t", `=${victim}`));
      }
      run.createBursts++;
      for (let i = 0; i < n; i++)
        await createSession(run, haveApi && run.rng() < 0.5, ` (burst ${i + 1}/${n})`);
      return;
    }
    case "renameApi": {
      const newName = `st${++run.counter}`;
      await op(run, name, `${session}>${newName}`, () =>
        api(run, "PATCH", sessionPath(session), { newName }),
      );
      return;
    }
    case "renameCli": {
      const newName = `st${++run.counter}`;
      await op(run, name, `${session}>${newName}`, () =>
        tmux(run, "rename-session", "-t", `=${session}`, newName),
      );
      return;
    }
    case "killApi":
      await op(run, name, session, () => api(run, "DELETE", `${sessionPath(session)}?confirm=1`));
      return;
    case "killCli":
      await op(run, name, session, () => tmux(run, "kill-session", "-t", `=${session}`));
      return;
    case "newWindowApi":
      await op(run, name, session, () => api(run, "POST", `${sessionPath(session)}/new-window`));
      return;
    case "newWindowCli":
      await op(run, name, session, () => tmux(run, "new-window", "-d", "-t", `=${session}:`));
      return;
    case "renameWindow":
    case "killWindowApi":
    case "killWindowCli":
      await op(run, name, session, async () => {
        const indexes = (await tmux(run, "list-windows", "-t", `=${session}`, "-F", "#{window_index}"))
          .split("\n")
          .filter(Boolean)
          .map(Number);
        const index = pick(run, indexes);
        if (name === "renameWindow") {
          const windowName = `w${++run.counter}`;
          if (viaApi)
            await api(run, "POST", `${sessionPath(session)}/rename-window`, { index, name: windowName });
          else await tmux(run, "rename-window", "-t", `=${session}:${index}`, windowName);
        } else if (indexes.length < 2) {
          // The last window would take the session with it: make one instead.
          await tmux(run, "new-window", "-d", "-t", `=${session}:`);
        } else if (name === "killWindowApi") {
          await api(run, "POST", `${sessionPath(session)}/kill-window`, { index });
        } else {
          await tmux(run, "kill-window", "-t", `=${session}:${index}`);
        }
      });
      return;
    case "splitApi":
    case "splitCli":
      await op(run, name, session, async () => {
        const [paneId, count] = (
          await tmux(run, "display-message", "-p", "-t", `=${session}:`, "#{pane_id} #{window_panes}")
        )
          .trim()
          .split(" ");
        if (!paneId) throw new Error(`no active pane in ${session}`);
        const vertical = run.rng() < 0.5;
        if (Number(count) >= 4) {
          // Enough panes in this window: kill one instead.
          if (name === "splitApi") await api(run, "POST", `${sessionPath(session)}/kill-pane`, { paneId });
          else await tmux(run, "kill-pane", "-t", paneId);
        } else if (name === "splitApi") {
          const direction = vertical ? "vertical" : "horizontal";
          await api(run, "POST", `${sessionPath(session)}/split-pane`, { paneId, direction });
        } else {
          await tmux(run, "split-window", "-d", "-t", paneId, vertical ? "-h" : "-v");
        }
      });
      return;
    case "outputBurst": {
      const command = pick(run, BURSTS);
      await op(run, name, `${session}: ${command}`, () =>
        tmux(run, "send-keys", "-t", `=${session}:`, command, "Enter"),
      );
      return;
    }
    case "attach": {
      if (run.background.size >= 2) {
        await op(run, "listCli", undefined, () => tmux(run, "list-panes", "-a"));
        return;
      }
      run.counter++;
      if (haveApi)
        inBackground(
          run,
          op(run, "wsAttach", session, () => wsAttach(run, session)),
        );
      else
        inBackground(
          run,
          op(run, "ptyAttach", session, () => ptyAttach(run, session)),
        );
      return;
    }
    case "listApi":
      await op(run, name, undefined, async () => {
        await api(run, "GET", "/api/tmux/sessions");
        await api(run, "GET", `${sessionPath(session)}/windows`);
      });
      return;
    default:
      throw new Error(`unknown operation ${name}`);
  }
}

async function restartSentinel(run: Run, serverJs: string, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const name = signal === "SIGTERM" ? "serverRestart" : "serverKill";
  if (signal === "SIGTERM") run.serverRestarts++;
  else run.serverKills++;
  await op(
    run,
    name,
    undefined,
    async () => {
      await run.sentinel?.stop(signal);
      run.sentinel = undefined;
      await startSentinel(run, serverJs);
    },
    40_000,
  );
}

const teardowns = new Map<Run, Promise<number>>();

/** Stops everything of a run; resolves to the number of stray processes it had to kill. Idempotent. */
function teardown(run: Run, keep: boolean): Promise<number> {
  let done = teardowns.get(run);
  if (!done) {
    done = (async () => {
      run.stopping = true;
      await Promise.race([Promise.allSettled([...run.background]), sleep(5000)]);
      await run.sentinel?.stop("SIGTERM").catch(() => undefined);
      await run.tmux?.stop().catch(() => undefined);
      const strays = await killLeftovers(run.dir);
      if (!keep) rmSync(run.dir, { recursive: true, force: true });
      return strays;
    })();
    teardowns.set(run, done);
  }
  return done;
}

let current: Run | undefined;
let aborted = false;

async function runOnce(options: Options, base: string, serverJs: string, index: number, tmuxVersion: string) {
  const dir = join(base, `run-${index}`);
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  const conf = join(dir, "tmux.conf");
  writeFileSync(
    conf,
    [
      "set -s exit-empty off",
      'set -g default-command "bash --norc --noprofile"',
      "set -g history-limit 2000",
      "",
    ].join("\n"),
  );
  const seed = (options.seed + index - 1) % 2 ** 31;
  const run: Run = {
    mode: options.mode,
    index,
    seed,
    rng: prng(seed),
    base,
    dir,
    home,
    conf,
    dataDir: join(dir, "data"),
    env: cleanEnv(home),
    token: randomBytes(24).toString("base64url").slice(0, 32),
    startedMs: Date.now(),
    generation: 0,
    socket: "",
    history: [],
    operations: 0,
    operationErrors: 0,
    opCounts: {},
    errorSamples: [],
    crashes: [],
    controlClientsMax: 0,
    controlSamples: 0,
    controlSamplesWithClients: 0,
    serverRestarts: 0,
    serverKills: 0,
    serverUnexpectedExits: 0,
    createBursts: 0,
    counter: 0,
    background: new Set(),
    stopping: false,
  };
  current = run;
  let strays = 0;
  let churnSeconds = 0;
  try {
    await startTmux(run);
    await startSentinel(run, serverJs);
    progress(
      `run ${index}/${options.runs}: mode ${options.mode}, ${options.seconds} s, seed ${seed}, dir ${dir}`,
    );
    run.startedMs = Date.now();
    const sampler = sampleControlClients(run);
    const end = run.startedMs + options.seconds * 1000;
    const restartGap = () => (20 + run.rng() * 20) * 1000;
    let nextRestart = run.startedMs + restartGap();
    let lastProgress = run.startedMs;
    while (Date.now() < end && !aborted) {
      if (run.pending) {
        try {
          await recover(run, serverJs);
        } catch (error) {
          progress(`run ${index}: recovery failed, retrying: ${errorText(error)}`);
          await sleep(1000);
        }
        continue;
      }
      if (run.mode !== "none" && !run.sentinel) {
        // A restart that failed: try again before anything needs the API.
        if (!(await op(run, "serverStart", undefined, () => startSentinel(run, serverJs), 40_000)))
          await sleep(1000);
        continue;
      }
      if (run.sentinel?.exit && !run.sentinel.expected) {
        run.serverUnexpectedExits++;
        const e = run.sentinel.exit;
        progress(
          `run ${index}: the Sentinel server exited by itself (${e.signal ?? e.code}); starting it again`,
        );
        run.sentinel = undefined;
        await startSentinel(run, serverJs).catch((error) => progress(`restart failed: ${errorText(error)}`));
        continue;
      }
      if (run.mode !== "none" && Date.now() >= nextRestart) {
        await restartSentinel(run, serverJs, run.serverRestarts <= run.serverKills ? "SIGTERM" : "SIGKILL");
        nextRestart = Date.now() + restartGap();
        continue;
      }
      let sessions: string[];
      try {
        sessions = await listSessions(run);
      } catch {
        await sleep(100);
        continue;
      }
      await step(run, sessions);
      if (run.rng() > 0.3) await sleep(run.rng() * 250);
      if (Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        progress(
          `run ${index}: ${elapsed(run)} s, ${run.operations} operations, ${run.operationErrors} errors, ${run.crashes.length} crashes`,
        );
      }
    }
    churnSeconds = (Date.now() - run.startedMs) / 1000;
    run.stopping = true;
    await withTimeout(sampler, 5000, "sampler").catch(() => undefined);
  } finally {
    strays = await teardown(run, options.keep);
    current = undefined;
  }
  const byOp = Object.fromEntries(Object.entries(run.opCounts).sort(([a], [b]) => a.localeCompare(b)));
  return {
    mode: options.mode,
    run: index,
    seed,
    seconds: round(churnSeconds, 1),
    operations: run.operations,
    operationErrors: run.operationErrors,
    crashes: run.crashes.length,
    crashDetails: run.crashes,
    tmuxVersion,
    controlClientsMax: run.controlClientsMax,
    controlSamples: run.controlSamples,
    controlSamplesWithClients: run.controlSamplesWithClients,
    serverRestarts: run.serverRestarts,
    serverKills: run.serverKills,
    serverUnexpectedExits: run.serverUnexpectedExits,
    createBursts: run.createBursts,
    tmuxServers: run.generation,
    strayProcessesKilled: strays,
    opCounts: byOp,
    errorSamples: run.errorSamples,
  };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const dist = join(ROOT, "dist");
  if (options.mode !== "none" && !existsSync(join(dist, "server.js"))) {
    throw new Error(`${dist}/server.js is missing: run npm run build`);
  }
  const tmuxVersion = (await execText("tmux", ["-V"], process.env)).trim().replace(/^tmux\s+/, "");
  // What was built: the commit, and whether the server's sources differed from it (a shared working tree).
  const commit = await execText("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], process.env).catch(
    () => "",
  );
  const dirty = await execText("git", ["-C", ROOT, "status", "--porcelain", "--", "src"], process.env).catch(
    () => "",
  );
  const build = { commit: commit.trim(), srcModified: dirty.trim() !== "" };
  const base = mkdtempSync(join(tmpdir(), "sentinel-stress-"));
  baseDir = base;
  keepBase = options.keep;
  // A copy of the built server: another engineer's rebuild during a long run must not change what runs.
  const serverDir = join(base, "dist");
  if (options.mode !== "none") {
    cpSync(dist, serverDir, { recursive: true, filter: (src) => !/extension\.js|\.map$/.test(src) });
  }
  const serverJs = join(serverDir, "server.js");
  progress(
    `tmux ${tmuxVersion}, mode ${options.mode}, ${options.runs} x ${options.seconds} s, seed ${options.seed}`,
  );
  const results: Array<Awaited<ReturnType<typeof runOnce>>> = [];
  for (let index = 1; index <= options.runs && !aborted; index++) {
    const result = await runOnce(options, base, serverJs, index, tmuxVersion);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  const sum = (get: (r: (typeof results)[number]) => number) => results.reduce((s, r) => s + get(r), 0);
  const crashes = sum((r) => r.crashes);
  const controlClientsMax = Math.max(0, ...results.map((r) => r.controlClientsMax));
  const failures: string[] = [];
  if (options.mode !== "events" && crashes > 0) failures.push(`tmux died ${crashes} time(s)`);
  if (options.mode !== "events" && controlClientsMax > 0) {
    failures.push(`control-mode clients attached (up to ${controlClientsMax} at once)`);
  }
  if (aborted) failures.push("aborted");
  const seconds = sum((r) => r.seconds);
  const operations = sum((r) => r.operations);
  const summary = {
    summary: true,
    mode: options.mode,
    runs: results.length,
    seconds: round(seconds, 1),
    minutes: round(seconds / 60, 1),
    operations,
    operationErrors: sum((r) => r.operationErrors),
    crashes,
    operationsPerCrash: crashes ? round(operations / crashes, 1) : null,
    crashSignals: results.flatMap((r) => r.crashDetails.map((c) => c.signal ?? `exit ${c.exitCode}`)),
    controlClientsMax,
    serverRestarts: sum((r) => r.serverRestarts),
    serverKills: sum((r) => r.serverKills),
    strayProcessesKilled: sum((r) => r.strayProcessesKilled),
    tmuxVersion,
    build,
    seed: options.seed,
    pass: failures.length === 0,
    ...(failures.length ? { failures } : {}),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (failures.length) progress(`FAIL (mode ${options.mode}): ${failures.join("; ")}`);
  return failures.length ? 1 : 0;
}

let baseDir: string | undefined;
let keepBase = false;
let finishing: Promise<void> | undefined;
let exitCode: number | undefined;

/** Cleans up once, whoever asks first (the end of main, SIGINT, the time limit), then exits with the first code. */
async function finish(code: number): Promise<never> {
  exitCode ??= code;
  finishing ??= (async () => {
    if (current) await withTimeout(teardown(current, keepBase), 30_000, "teardown").catch(() => undefined);
    if (baseDir && !keepBase) rmSync(baseDir, { recursive: true, force: true });
    else if (baseDir) progress(`kept ${baseDir}`);
  })();
  await finishing;
  process.exit(exitCode);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping and cleaning up`);
    aborted = true;
    void finish(130);
  });
}

{
  // Bounded in time whatever happens: the churn plus a generous margin for starts, recoveries and teardown.
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: number) => {
    const at = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    const raw = at < 0 ? undefined : argv[at]!.includes("=") ? argv[at]!.split("=")[1] : argv[at + 1];
    return Number(raw) || fallback;
  };
  const limitMs = (value("--runs", 5) * (value("--seconds", 120) + 120) + 60) * 1000;
  setTimeout(() => {
    progress(`time limit of ${Math.round(limitMs / 1000)} s passed: aborting`);
    aborted = true;
    void finish(3);
  }, limitMs).unref();
}

main().then(
  (code) => finish(code),
  (error) => {
    progress(`fatal: ${(error as Error).stack ?? error}`);
    return finish(1);
  },
);
