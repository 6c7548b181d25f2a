// Read-only tmux calls without a fork of this process (ADR 0022). Starting a process from the server forks it:
// 2–3 ms of its CPU per call here (its page tables copied, then copy-on-write faults), ~5 ms of wall time, while
// the watchtower runs a listing per collect, up to a few a second. A long-lived `/bin/sh`, started once, forks the
// tmux CLI instead: a ~1 MB process, ~0.2 ms of its CPU and ~0.2 ms of ours per call.
//
// Each call: this side writes `<id>.c` in the shell's private directory (0700, its working directory), holding
// `q <id> '<argv0>' '<argv1>' …` with every argument single-quoted (a `'` inside written as `'\''`), so the shell
// reads each one as exactly those bytes: nothing in it is expanded, split or run; an argument with a line break
// or a NUL is never sent. Then it writes the line `<id>` to the shell's stdin, and the shell sources the file
// (the request goes through a file because dash reads stdin a byte per system call: a listing's few kilobytes
// of arguments cost it 1.5 ms that way). `q` runs the call in a background subshell, so a slow call does not hold
// the others: the program starts with stdout and stderr in `<id>.o` / `<id>.e`, the subshell says `p <id> <pid>`
// (for a timeout to kill), waits for it and says `r <id> <status>`; this side reads and removes the three files.
//
// What this module promises its caller: a result, or `QueryShellUnavailable` (the call was not run or its result
// was lost: the shell could not start, went away, or the argument cannot be sent), or `QueryShellTimeout`. Only
// read-only calls may use it (`tmux/process.ts` `query` checks): a call the shell lost is run again directly.
//
// Ownership: the shell runs in its own process group (a Ctrl-C in the terminal of `npm start` reaches the
// server, which then closes it, not the shell). `close()` ends its stdin, waits briefly and kills the group; if
// this process dies without closing, the shell reads end-of-file, removes its directory and exits.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Larger output is refused, as execFile's `maxBuffer` would (the watchtower's listings are kilobytes). */
export const QUERY_MAX_OUTPUT = 16 * 1024 * 1024;
/** After the shell went away: wait this long (times the failures in a row, at most 30 s) before starting anew. */
const RESTART_BACKOFF_MS = 1000;
const CLOSE_GRACE_MS = 500;
/** The shell's `$0`: how it shows in `ps` (and how the bench finds it to count its CPU). */
export const QUERY_SHELL_NAME = "sentinel-tmux-queries";

const SCRIPT = [
  "D=$1",
  "q() {",
  "  i=$1; shift",
  '  ( "$@" >"$i.o" 2>"$i.e" </dev/null & p=$!; echo "p $i $p"; wait "$p"; echo "r $i $?" ) &',
  "}",
  'while IFS= read -r i; do . "./$i.c"; done',
  'cd / && rm -rf -- "$D"',
].join("\n");

/** The call was not run, or its result was lost: run it another way. */
export class QueryShellUnavailable extends Error {
  constructor(why: string) {
    super(`query shell unavailable: ${why}`);
    this.name = "QueryShellUnavailable";
  }
}

/** The call did not finish within its time; its process was sent SIGTERM. */
export class QueryShellTimeout extends Error {
  constructor() {
    super("query timed out");
    this.name = "QueryShellTimeout";
  }
}

export interface QueryResult {
  /** The program's exit status (127: the shell did not find it). */
  status: number;
  stdout: string;
  stderr: string;
}

interface Call {
  resolve: (result: QueryResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  pid?: number;
  /** Settled already (timed out): only its files are left to remove. */
  done: boolean;
}

/** A shell word that is exactly `arg`. */
export const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

export class QueryShell {
  private child: ChildProcessWithoutNullStreams | undefined;
  private dir: string | undefined;
  private readonly calls = new Map<number, Call>();
  private nextId = 0;
  private pending = "";
  private failures = 0;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** Told when the shell cannot start or goes away (the calls still run, directly). */
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** The shell's pid while it runs (tests, and the bench's CPU accounting). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs `argv` (the program first) with no stdin; see the module comment for what can come back. */
  run(argv: string[], timeoutMs: number): Promise<QueryResult> {
    if (argv.some((arg) => arg.includes("\n") || arg.includes("\0")))
      return Promise.reject(new QueryShellUnavailable("an argument holds a line break or a NUL"));
    const child = this.ensure();
    if (!child) return Promise.reject(new QueryShellUnavailable(this.closed ? "closed" : "not running"));
    const id = ++this.nextId;
    try {
      writeFileSync(join(this.dir!, `${id}.c`), `q ${id} ${argv.map(shellQuote).join(" ")}\n`);
    } catch (error) {
      return Promise.reject(
        new QueryShellUnavailable(`cannot write the request: ${(error as Error).message}`),
      );
    }
    return new Promise<QueryResult>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(id), timeoutMs);
      this.calls.set(id, { resolve, reject, timer, done: false });
      child.stdin.write(`${id}\n`);
    });
  }

  /** Ends the shell (its calls under way are given up: `QueryShellUnavailable`) and removes its directory. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private ensure(): ChildProcessWithoutNullStreams | undefined {
    if (this.child || this.closed || Date.now() < this.retryAt) return this.child;
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), "sentinel-tmux-q-"));
      const child = spawn("/bin/sh", ["-c", SCRIPT, QUERY_SHELL_NAME, dir], {
        cwd: dir,
        env: this.env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      this.child = child;
      this.dir = dir;
      child.stdout.setEncoding("latin1");
      child.stdout.on("data", (text: string) => this.onOutput(text));
      let said = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (text: string) => {
        said = (said + text).slice(-500);
      });
      // A write after the shell went away: its exit handler settles the calls.
      child.stdin.on("error", () => undefined);
      child.once("error", (error) => this.gone(child, error.message));
      child.once("exit", (code, signal) =>
        this.gone(child, `exited (${signal ?? code})${said ? `: ${said}` : ""}`),
      );
      return child;
    } catch (error) {
      if (dir) removeDir(dir);
      this.backOff(`cannot start: ${(error as Error).message}`);
      return undefined;
    }
  }

  private onOutput(text: string): void {
    const lines = (this.pending + text).split("\n");
    this.pending = lines.pop()!;
    for (const line of lines) {
      const [kind, idText, value] = line.split(" ");
      const id = Number(idText);
      const call = this.calls.get(id);
      if (!call) continue;
      if (kind === "p") {
        call.pid = Number(value);
        if (call.done) kill(call.pid);
      } else if (kind === "r") {
        this.calls.delete(id);
        clearTimeout(call.timer);
        this.finish(id, call, Number(value));
      }
    }
  }

  private finish(id: number, call: Call, status: number): void {
    rmSync(join(this.dir!, `${id}.c`), { force: true });
    if (call.done) {
      // Timed out already: nobody reads its output.
      for (const name of [`${id}.o`, `${id}.e`]) rmSync(join(this.dir!, name), { force: true });
      return;
    }
    let outcome: QueryResult | Error;
    try {
      const stdout = this.take(`${id}.o`);
      const stderr = this.take(`${id}.e`) ?? "";
      outcome =
        stdout === undefined
          ? new Error(`tmux output over ${QUERY_MAX_OUTPUT} bytes`)
          : { status, stdout, stderr };
    } catch (error) {
      outcome = new QueryShellUnavailable(`its result is lost: ${(error as Error).message}`);
    }
    call.done = true;
    if (outcome instanceof Error) {
      call.reject(outcome);
    } else {
      this.failures = 0;
      call.resolve(outcome);
    }
  }

  /** A result file's text, removed; undefined when it is larger than QUERY_MAX_OUTPUT. */
  private take(name: string): string | undefined {
    const path = join(this.dir!, name);
    try {
      if (statSync(path).size > QUERY_MAX_OUTPUT) return undefined;
      return readFileSync(path, "utf8");
    } finally {
      rmSync(path, { force: true });
    }
  }

  private expire(id: number): void {
    const call = this.calls.get(id);
    if (!call || call.done) return;
    call.done = true;
    if (call.pid !== undefined) kill(call.pid);
    call.reject(new QueryShellTimeout());
  }

  private gone(child: ChildProcessWithoutNullStreams, why: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const [id, call] of this.calls) {
      clearTimeout(call.timer);
      this.calls.delete(id);
      if (!call.done) call.reject(new QueryShellUnavailable(`the shell ${why}`));
    }
    this.pending = "";
    // Its calls still under way are given up (they run directly now): stop them before removing their files.
    killGroup(child, "SIGTERM");
    if (this.dir) removeDir(this.dir);
    this.dir = undefined;
    if (!this.closed) this.backOff(why);
  }

  private backOff(why: string): void {
    this.failures++;
    const waitMs = Math.min(RESTART_BACKOFF_MS * this.failures, 30_000);
    this.retryAt = Date.now() + waitMs;
    this.warn(`tmux query shell ${why}; tmux calls run directly for ${waitMs} ms`);
  }
}

/** Best effort: a call's file still being written can make one pass fail; what is left is tiny and in tmp. */
function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
  } catch {
    // Left behind.
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Exited meanwhile.
  }
}

function killGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
