// Shared plumbing for the benchmarks: a private tmux server in a temp dir, the real bundled server on port 0,
// RSS sampling, statistics, JSON-line reporting and cleanup that runs even when a benchmark fails.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { mallocTuning } from "../src/extension/server/serverEnv.js";
import { QUERY_SHELL_NAME } from "../src/server/tmux/queryShell.js";

export const ROOT = join(__dirname, "..");
export const SERVER_JS = join(ROOT, "dist", "server.js");
export const TOKEN = "bench-token-0123456789abcdef";

export interface Figure {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: string;
  pass?: boolean;
  [extra: string]: unknown;
}

/** One JSON line per figure on stdout. */
export function emit(figure: Figure): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const round = (value: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** `items` starting at index `by` (modulo its length): clients measured in turns, in a new order each round. */
export function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]!);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Rejects with a clear message when `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A random token of letters with no character repeated next to itself (so tmux can never compress it). */
export function nonce(length = 10): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz";
  let out = "";
  while (out.length < length) {
    const c = alphabet[Math.floor(Math.random() * alphabet.length)]!;
    if (c !== out[out.length - 1]) out += c;
  }
  return out;
}

/** VmRSS of a process in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * VmRSS split as the kernel counts it, from /proc: `file` is mapped files' pages (mostly the node binary's code and
 * data: what the process touched of it), `anon` its own memory (V8's heap, malloc, WASM, buffers).
 */
export function rssParts(pid: number): { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { anon: kb("RssAnon") * 1024, file: kb("RssFile") * 1024 };
}

export const MB = 1024 * 1024;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), from `state` on. */
export function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU time (user + system) a process has used so far, in milliseconds: utime and stime, the 12th and 13th. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}
/**
 * CPU time a process has used so far, in milliseconds to the nanosecond: the sum over its threads of the first
 * field of /proc/<pid>/task/<tid>/schedstat (time on a CPU). `cpuMs` counts in 10 ms clock ticks, as much as the
 * difference between two servers over a block of typing. A thread that exits takes its time with it (Node's own
 * threads live as long as the process); where there is no schedstat, clock ticks (`cpuMs`).
 */
export function threadCpuMs(pid: number): number {
  let ns = 0;
  let read = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      read++;
    } catch {
      // The thread exited meanwhile (or there is no schedstat).
    }
  }
  return read > 0 && Number.isFinite(ns) ? ns / 1e6 : cpuMs(pid);
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ). */
export const CLOCK_TICKS = 100;

/** CPU time of a process and of the children it has reaped (utime + stime + cutime + cstime), in milliseconds. */
export function treeCpuMs(pid: number): number {
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS;
}

/** Live child process ids (every thread's children); none once the process is gone. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) for (const c of text.split(" ")) out.push(Number(c));
    }
  } catch {
    // Gone.
  }
  return out;
}

/** The server's query shell (ADR 0022: it starts the server's read-only tmux calls), if one runs. */
export function queryShellPid(serverPid: number): number | undefined {
  for (const child of childPids(serverPid)) {
    try {
      if (readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0")[3] === QUERY_SHELL_NAME) return child;
    } catch {
      // Exited meanwhile.
    }
  }
  return undefined;
}

/**
 * The CPU a server used, in milliseconds: its own (`threadCpuMs`), plus all its query shell used (the shell, its
 * subshells and the tmux CLI processes they started, which a server without the shell would have forked itself:
 * counted in full, in clock ticks since reaped processes are counted only there, so the figure never flatters the
 * shell).
 */
export function serverCpuMs(serverPid: number): number {
  const shell = queryShellPid(serverPid);
  let ms = threadCpuMs(serverPid);
  if (shell !== undefined) {
    try {
      ms += treeCpuMs(shell);
    } catch {
      // Gone meanwhile.
    }
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------------------
// Resources that must go away at the end, whatever happens.

const cleanups: Array<() => Promise<void> | void> = [];

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A child process of the bench: its output's tail kept, stopped (SIGTERM, then SIGKILL) by `stop()` or cleanup. */
export interface OwnedChild {
  logTail(): string;
  stop(): Promise<void>;
}

/** Keeps the tail of `child`'s output (`streams`) and registers its stop with the cleanup. */
export function ownChild(
  child: ChildProcess,
  killAfterMs = 3000,
  streams: Array<"stdout" | "stderr"> = ["stdout", "stderr"],
): OwnedChild {
  let log = "";
  for (const name of streams)
    child[name]?.on("data", (d: Buffer) => {
      log = (log + d.toString()).slice(-8192);
    });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const hard = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    await exited;
    clearTimeout(hard);
  };
  onCleanup(stop);
  return { logTail: () => log, stop };
}

export async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await withTimeout(Promise.resolve().then(fn), 5000, "cleanup step");
    } catch (error) {
      progress(`cleanup: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Temp dir and private tmux server.

export interface Workspace {
  dir: string;
  socket: string;
  tmux(...args: string[]): Promise<string>;
  /** Environment for tmux clients and the server: no TMUX, a known terminal. */
  env: Record<string, string>;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-bench-"));
  const socket = join(dir, "sock");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.TMUX;
  delete env.TMUX_PANE;
  env.TERM = "xterm-256color";
  env.LANG ||= "C.UTF-8";
  const tmux = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        "tmux",
        ["-S", socket, "-f", "/dev/null", ...args],
        { env, timeout: 10_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`tmux ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
      );
    });
  onCleanup(async () => {
    await tmux("kill-server").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, socket, tmux, env };
}

/** A detached session of 120×40 running `command` (a shell when omitted). */
export async function newSession(ws: Workspace, name: string, command?: string): Promise<void> {
  const args = ["new-session", "-d", "-s", name, "-x", "120", "-y", "40"];
  if (command) args.push(command);
  await ws.tmux(...args);
}

// ---------------------------------------------------------------------------------------------------------
// The server under test.

export interface Server {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  logTail(): string;
  stop(): Promise<void>;
}

let dataDirCounter = 0;

export async function startServer(
  work: Workspace,
  timeoutMs = 10_000,
  extraEnv: NodeJS.ProcessEnv = {},
  /** A data dir to (re)use; by default a fresh one per start. */
  dataDir = join(work.dir, `data-${dataDirCounter++}`),
): Promise<Server> {
  mkdirSync(dataDir, { recursive: true });
  // Started with what the extension adds to its environment (glibc's malloc settings, ADR 0020), as users run it.
  const env: NodeJS.ProcessEnv = {
    ...work.env,
    ...mallocTuning(work.env),
    SENTINEL_TOKEN: TOKEN,
    ...extraEnv,
  };
  for (const [key, value] of Object.entries(extraEnv)) if (value === undefined) delete env[key];
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [SERVER_JS, "serve", "--port", "0", "--data-dir", dataDir, "--tmux-socket", work.socket],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  // Stdout carries the ready line (read below); the log tail is stderr.
  const { logTail, stop } = ownChild(child, 3000, ["stderr"]);
  const lines = createInterface({ input: child.stdout! });
  try {
    const ready = await new Promise<{ url: string; port: number; pid: number }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server not ready in ${timeoutMs} ms:\n${logTail()}`)),
        timeoutMs,
      );
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          const parsed = JSON.parse(line);
          if (parsed.event !== "ready") throw new Error("not a ready line");
          resolve(parsed);
        } catch {
          reject(new Error(`bad ready line: ${line}\n${logTail()}`));
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before ready:\n${logTail()}`));
      });
    });
    const readyMs = performance.now() - started;
    // Keep draining stdout so the server never blocks on a full pipe.
    lines.on("line", () => undefined);
    return { ...ready, child, readyMs, logTail, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
