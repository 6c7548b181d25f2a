// Runs one runbook step: `/bin/sh -c <text>` (through eval, with stderr joined to stdout) (the one place in the server where a shell is intended, since the
// step IS a shell command) as the leader of its own process group, so a timeout or a cancel ends the whole tree
// the step started, not just the shell. Output is stdout and stderr combined, in arrival order, capped: the
// head and the tail are kept and the middle is dropped. When the shell exits, whatever it left running in its
// group is ended too: a step's processes do not outlive it (use `setsid` to start something that must).
import { spawn } from "node:child_process";

export interface ShellOptions {
  timeoutMs: number;
  /** Aborting ends the step as `cancelled` (the reason, when it is a string, is the error text). */
  signal?: AbortSignal;
  maxOutputBytes: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Between SIGTERM to the group and SIGKILL. */
  killGraceMs?: number;
  /** Aborting sends SIGKILL to the group at once (a shutdown that cannot wait out the grace). */
  killNow?: AbortSignal;
  /** While the step runs, `report` is called at most every `intervalMs` when output has grown. */
  progress?: { intervalMs: number; report: (capture: OutputCapture) => void };
  /** Called once the shell runs, with its process group id (= its pid). */
  onSpawn?: (pgid: number) => void;
}

export interface ShellResult {
  output: string;
  /** "" on success. */
  error: string;
  exitCode?: number;
  timedOut: boolean;
  cancelled: boolean;
  truncatedBytes: number;
  durationMs: number;
  /** The process group id (the shell's pid), for tests that check the tree is gone. */
  pgid?: number;
}

/** Head-and-tail capture of a byte stream. */
export class OutputCapture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const headRoom = Math.floor(this.max / 2) - this.headBytes;
    if (headRoom > 0) {
      const take = chunk.subarray(0, headRoom);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailMax = this.max - Math.floor(this.max / 2);
    while (this.tailBytes > tailMax) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - tailMax;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  /** Bytes seen so far, kept or not. */
  get total(): number {
    return this.headBytes + this.tailBytes + this.dropped;
  }

  /** The last `max` bytes kept (what a progress report shows), decoded; a split character becomes U+FFFD. */
  lastText(max: number): string {
    const all = Buffer.concat([...this.head, ...this.tail]);
    return all.subarray(Math.max(0, all.length - max)).toString("utf8");
  }

  text(): string {
    const head = Buffer.concat(this.head).toString("utf8");
    const tail = Buffer.concat(this.tail).toString("utf8");
    if (this.dropped === 0) return head + tail;
    return `${head}\n… [${this.dropped} bytes of output left out] …\n${tail}`;
  }
}

/** A duration as Go prints it: `500ms`, `30s`, `1.5s`, `5m0s`, `1h30m0s`. */
export function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const total = ms / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = Number((total % 60).toFixed(3));
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

const STEP_SCRIPT = 'exec 2>&1; __sentinel_step=$1; set --; eval "$__sentinel_step"';

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runShell(command: string, options: ShellOptions): Promise<ShellResult> {
  const started = performance.now();
  const capture = new OutputCapture(options.maxOutputBytes);
  const grace = options.killGraceMs ?? 2000;
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({
        output: "",
        error: abortText(options.signal),
        timedOut: false,
        cancelled: true,
        truncatedBytes: 0,
        durationMs: 0,
      });
      return;
    }
    // stderr goes into stdout's pipe inside the shell, so the two interleave in the order they were written
    // (as Go's CombinedOutput has them); the step's text is run unchanged by eval, with no arguments.
    const child = spawn("/bin/sh", ["-c", STEP_SCRIPT, "sh", command], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      cwd: options.cwd,
      env: options.env,
    });
    const pgid = child.pid;
    if (pgid !== undefined) options.onSpawn?.(pgid);
    let stopping: "timeout" | "cancel" | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const stop = (why: "timeout" | "cancel") => {
      if (stopping || pgid === undefined) return;
      stopping = why;
      killGroup(pgid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(pgid, "SIGKILL"), grace);
      killTimer.unref();
    };
    const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
    let reported = 0;
    const progress = options.progress;
    const ticker = progress
      ? setInterval(() => {
          if (capture.total === reported) return;
          reported = capture.total;
          progress.report(capture);
        }, progress.intervalMs)
      : undefined;
    const onAbort = () => stop("cancel");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const onKillNow = () => {
      stop("cancel");
      if (pgid !== undefined) killGroup(pgid, "SIGKILL");
    };
    if (options.killNow?.aborted) queueMicrotask(onKillNow);
    else options.killNow?.addEventListener("abort", onKillNow, { once: true });

    child.stdout.on("data", (chunk: Buffer) => capture.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => capture.push(chunk));

    const finish = (result: Omit<ShellResult, "output" | "truncatedBytes" | "durationMs" | "pgid">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      options.killNow?.removeEventListener("abort", onKillNow);
      // The step is over: nothing it started keeps running (nor keeps our pipes open).
      if (pgid !== undefined) killGroup(pgid, "SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({
        ...result,
        output: capture.text(),
        truncatedBytes: capture.dropped,
        durationMs: Math.round(performance.now() - started),
        ...(pgid !== undefined ? { pgid } : {}),
      });
    };

    child.once("error", (error) => {
      finish({ error: error.message, timedOut: false, cancelled: false });
    });
    let open = 2;
    let onDrained: (() => void) | undefined;
    const closed = () => {
      open -= 1;
      if (open === 0) onDrained?.();
    };
    child.stdout.once("close", closed);
    child.stderr.once("close", closed);
    child.once("exit", (code, signal) => {
      const done = () => {
        clearTimeout(drainTimer);
        if (stopping === "timeout") {
          finish({
            error: `timed out after ${formatSeconds(options.timeoutMs)}`,
            timedOut: true,
            cancelled: false,
          });
        } else if (stopping === "cancel") {
          finish({ error: abortText(options.signal), timedOut: false, cancelled: true });
        } else if (code !== null) {
          finish({
            error: code === 0 ? "" : `exit status ${code}`,
            exitCode: code,
            timedOut: false,
            cancelled: false,
          });
        } else {
          finish({ error: `signal: ${signal ?? "unknown"}`, timedOut: false, cancelled: false });
        }
      };
      // Let the pipes deliver what the shell wrote before it exited (bounded: a background process that
      // inherited them may hold them open; it is ended with the group in finish()).
      const drainTimer = setTimeout(done, 200);
      if (open === 0) done();
      else onDrained = done;
    });
  });
}

function abortText(signal: AbortSignal | undefined): string {
  const reason = signal?.reason;
  return typeof reason === "string" && reason ? reason : "cancelled";
}
