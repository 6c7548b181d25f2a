// A tmux control-mode client (`tmux -C attach-session`): the notifications tmux sends about one session
// (`%output`, `%window-add`, `%sessions-changed`, …) and a command channel whose replies come back in
// `%begin … %end|%error` blocks, in the order the commands were written. Spawned without a shell, like every
// tmux call in this folder. `%output` lines can be large: only their pane id is read, the rest is skipped.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { TmuxError, tmuxErrorFromStderr, tmuxNotFound } from "./errors.js";

export interface ControlClientOptions {
  binary: string;
  serverArgs: string[];
  env: NodeJS.ProcessEnv;
  /** Exact session name; the client attaches to `=name`. */
  session: string;
  /** Client flags for `attach-session -f`. */
  flags: string[];
  commandTimeoutMs?: number;
}

export interface ControlClientEvents {
  /** `%output %N …` / `%extended-output %N …`: the pane wrote something. */
  output: [paneId: string];
  /** Any other notification, without its leading `%` (e.g. `window-add`, `sessions-changed`). */
  notification: [name: string, args: string];
  /** The client is gone (detached, session closed, server gone, killed, or failed to start). */
  exit: [reason: string];
}

interface Pending {
  resolve(text: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const NL = 0x0a;
const PREFIX_BYTES = 64;

/** One argument as tmux's command parser reads it: single-quoted, a quote written as '\''. */
export function quoteArg(arg: string): string {
  if (/[\r\n]/.test(arg))
    throw new TmuxError("TMUX_COMMAND_FAILED", "tmux command failed: newline in argument");
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

export class ControlClient extends EventEmitter<ControlClientEvents> {
  readonly session: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly timeoutMs: number;
  private readonly pending: Pending[] = [];
  /** Bytes of the current line, unless it is an `%output` line being skipped. */
  private line: Buffer[] = [];
  private lineBytes = 0;
  private skipping = false;
  private prefixChecked = false;
  /** Inside a `%begin` block: its guard (`<time> <number> <flags>`) and lines. */
  private block: { guard: string; ours: boolean; lines: string[] } | undefined;
  private stderr = "";
  private closed = false;
  private emittedExit = false;
  private exitReason = "";

  constructor(options: ControlClientOptions) {
    super();
    this.session = options.session;
    this.timeoutMs = options.commandTimeoutMs ?? 3000;
    this.child = spawn(
      options.binary,
      [
        ...options.serverArgs,
        "-C",
        "attach-session",
        // No update-environment: a watching client must not rewrite the session's environment (SSH_AUTH_SOCK…).
        "-E",
        ...(options.flags.length ? ["-f", options.flags.join(",")] : []),
        "-t",
        `=${options.session}`,
      ],
      { env: options.env, stdio: ["pipe", "pipe", "pipe"] },
    );
    this.child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-2000);
    });
    this.child.stdin.on("error", () => undefined);
    this.child.on("error", (error: NodeJS.ErrnoException) => {
      this.finish(error.code === "ENOENT" ? tmuxNotFound().message : error.message);
    });
    this.child.on("exit", (code, signal) => {
      this.finish(this.exitReason || this.stderr.trim().split("\n")[0] || `exited (${signal ?? code})`);
    });
  }

  /** The tmux client process id: tmux names such a client `client-<pid>`. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Runs one tmux command through the control channel; resolves with its output (lines joined with `\n`,
   * ending with one), rejects with a TmuxError classified like a CLI failure. A command that gets no reply in
   * time closes the client: replies match commands by order only.
   */
  command(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    if (this.closed) return Promise.reject(this.closedError());
    let line: string;
    try {
      line = `${args.map(quoteArg).join(" ")}\n`;
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close("command timed out");
      }, timeoutMs);
      this.pending.push({ resolve, reject, timer });
      this.child.stdin.write(line);
    });
  }

  /**
   * Stops the client and fails what is still pending. The process is killed outright: tmux then drops the
   * client at once. A client told to exit (stdin closed, SIGTERM) first flushes its queued output, and once
   * this process no longer reads it, tmux 3.3a can keep that client, and the server with it, forever.
   */
  close(reason = "closed"): void {
    if (this.closed) return;
    this.exitReason = reason;
    this.child.stdin.end();
    this.child.kill("SIGKILL");
    this.finish(reason);
  }

  private closedError(): TmuxError {
    return new TmuxError("TMUX_COMMAND_FAILED", `tmux control client closed: ${this.exitReason}`);
  }

  private finish(reason: string): void {
    if (!this.closed) {
      this.closed = true;
      this.exitReason ||= reason;
    }
    const error = this.closedError();
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    if (!this.emittedExit) {
      this.emittedExit = true;
      this.emit("exit", this.exitReason);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.skipping) {
        this.line.push(chunk.subarray(start, end));
        this.lineBytes += end - start;
        // Outside a block, a line that turns out to be `%output` is not kept beyond its prefix.
        if (nl === -1 && !this.block && !this.prefixChecked && this.lineBytes >= PREFIX_BYTES) {
          this.prefixChecked = true;
          this.checkOutputPrefix();
        }
      }
      if (nl === -1) break;
      if (this.skipping) this.skipping = false;
      else this.onLine(Buffer.concat(this.line, this.lineBytes).toString("utf8"));
      this.line = [];
      this.lineBytes = 0;
      this.prefixChecked = false;
      start = nl + 1;
    }
  }

  private checkOutputPrefix(): void {
    const prefix = Buffer.concat(this.line, this.lineBytes).subarray(0, PREFIX_BYTES).toString("latin1");
    const pane = outputPane(prefix);
    if (pane === undefined) return;
    this.emit("output", pane);
    this.skipping = true;
    this.line = [];
    this.lineBytes = 0;
  }

  private onLine(text: string): void {
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (this.block) {
      if (line === `%end ${this.block.guard}` || line === `%error ${this.block.guard}`) {
        const { ours, lines } = this.block;
        this.block = undefined;
        if (ours) this.settle(line.startsWith("%error"), lines);
        return;
      }
      this.block.lines.push(line);
      return;
    }
    if (!line.startsWith("%")) return;
    if (line.startsWith("%begin ")) {
      const guard = line.slice(7);
      const flags = Number(guard.split(" ")[2] ?? "0");
      this.block = { guard, ours: (flags & 1) === 1, lines: [] };
      return;
    }
    const pane = outputPane(line);
    if (pane !== undefined) {
      this.emit("output", pane);
      return;
    }
    const space = line.indexOf(" ");
    const name = line.slice(1, space === -1 ? undefined : space);
    const args = space === -1 ? "" : line.slice(space + 1);
    if (name === "exit") this.exitReason = args || "detached";
    this.emit("notification", name, args);
  }

  private settle(failed: boolean, lines: string[]): void {
    const p = this.pending.shift();
    if (!p) return;
    clearTimeout(p.timer);
    if (failed) p.reject(tmuxErrorFromStderr(lines.join("\n")));
    else p.resolve(lines.length ? `${lines.join("\n")}\n` : "");
  }
}

/** The pane id of an `%output %N …` or `%extended-output %N …` line, else undefined. */
function outputPane(line: string): string | undefined {
  const m =
    /^%(?:output|extended-output) (%\d+)[ \r\n]/.exec(line) ??
    /^%(?:output|extended-output) (%\d+)$/.exec(line);
  return m?.[1];
}
