// One tmux process per call against the configured socket, with an environment that never carries the caller's
// tmux client identity: `run` execs it from this process (execFile, never a shell); `query`, for read-only
// calls, has the query shell start it (./queryShell.ts, ADR 0022: no fork of this process), and falls back to
// `run`. Plus the argv of long-lived tmux clients (PTY attach, views, control mode). The commands themselves
// are `Tmux` (./adapter.ts).
import { execFile } from "node:child_process";
import {
  controlEnv,
  literalArg,
  sequenceArgs,
  sessionScopeTarget,
  sessionTarget,
  tmuxEnv,
  windowTarget,
} from "./args.js";
import { ControlClient } from "./control.js";
import { tmuxErrorFromStderr, tmuxNotFound, tmuxTimedOut } from "./errors.js";
import { type QueryResult, QueryShell, QueryShellTimeout, QueryShellUnavailable } from "./queryShell.js";
import { readOnlyCall } from "./readOnly.js";
import type { ViewTarget } from "./viewSessions.js";

export interface TmuxOptions {
  /** Path of the tmux server socket (`tmux -S`); undefined uses the user's default server. */
  socketPath?: string;
  binary?: string;
  timeoutMs?: number;
  /**
   * Run read-only calls (`query`) through a long-lived shell instead of forking this process for each (ADR 0022);
   * `warn` is told when that shell cannot run (the calls then run directly). Off when absent.
   */
  queryShell?: { warn: (message: string) => void };
}

export class TmuxProcess {
  readonly binary: string;
  readonly socketPath: string | undefined;
  private readonly timeoutMs: number;
  private readonly env = tmuxEnv();
  private readonly queries: QueryShell | undefined;

  constructor(options: TmuxOptions = {}) {
    this.binary = options.binary ?? "tmux";
    this.socketPath = options.socketPath;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.queries = options.queryShell ? new QueryShell(this.env, options.queryShell.warn) : undefined;
  }

  /** The query shell's pid while it runs (the bench counts its CPU as the server's). */
  get queryShellPid(): number | undefined {
    return this.queries?.pid;
  }

  /** Ends the query shell, if any (calls after this run directly). */
  close(): Promise<void> {
    return this.queries?.close() ?? Promise.resolve();
  }

  /** Global arguments that select the server: put them before every tmux subcommand. */
  serverArgs(): string[] {
    return this.socketPath ? ["-S", this.socketPath] : [];
  }

  /** argv (after the binary) of a `tmux attach` client for a PTY; `flags` are client flags (`-f`). */
  attachArgs(session: string, flags: string[] = []): string[] {
    const f = flags.length ? ["-f", flags.join(",")] : [];
    return [...this.serverArgs(), "attach-session", ...f, "-t", sessionTarget(session)];
  }

  /**
   * argv (after the binary) of a tmux client for a PTY that creates the view session `view`, grouped with
   * `session`, and is attached to it at once (one process: the view is never without its client), then makes it
   * go away with its client (`destroy-unattached`), and shows the target in it: the window is selected in the view
   * only; a pane is the client's own active pane (`-f active-pane`), so the window's active pane stays as it is
   * for everyone else. `mouse` turns tmux mouse support on in the view (its own option, not the user's session's).
   */
  viewArgs(options: {
    session: string;
    view: string;
    target: ViewTarget;
    flags?: string[];
    mouse: boolean;
  }): string[] {
    const { view, target } = options;
    const flags = [...(options.flags ?? []), ...("pane" in target ? ["active-pane"] : [])];
    const f = flags.length ? ["-f", flags.join(",")] : [];
    const commands = [
      ["new-session", ...f, "-t", sessionTarget(options.session), "-s", view],
      ["set-option", "-t", sessionScopeTarget(view), "destroy-unattached", "on"],
      ...(options.mouse ? [["set-option", "-t", sessionScopeTarget(view), "mouse", "on"]] : []),
      ["select-window", "-t", windowTarget(view, target.window)],
      ...("pane" in target
        ? [["select-pane", "-t", `${windowTarget(view, target.window)}.${target.pane}`]]
        : []),
    ];
    return [...this.serverArgs(), ...sequenceArgs(commands)];
  }

  childEnv(): NodeJS.ProcessEnv {
    return this.env;
  }

  /**
   * A control-mode client attached to the session (`tmux -C attach-session -f flags -t =name`); `term` is its
   * TERM, which tmux shows as `client_termname` (a way to recognise the client in `list-clients`).
   */
  openControl(session: string, flags: string[], term?: string, commandTimeoutMs?: number): ControlClient {
    return new ControlClient({
      binary: this.binary,
      serverArgs: this.serverArgs(),
      env: controlEnv(this.env, term),
      session,
      flags,
      ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}),
    });
  }

  /** The arguments of one tmux call: the server's, then the command's, each taken literally. */
  private callArgs(args: string[]): string[] {
    return [...this.serverArgs(), ...args.map(literalArg)];
  }

  run(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        this.callArgs(args),
        { env: this.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const err = error as NodeJS.ErrnoException & { killed?: boolean };
          if (err.code === "ENOENT") return reject(tmuxNotFound());
          if (err.killed) return reject(tmuxTimedOut());
          reject(tmuxErrorFromStderr(stderr || err.message));
        },
      );
    });
  }

  /**
   * A call that only reads (listings, `display-message -p`, `capture-pane -p`, `if-shell -F` of those: checked
   * by `readOnlyCall`, else it goes to `run`): started by the query shell, with the same result and errors as
   * `run`. A call the shell could not take or lost is run again by `run` (reading twice changes nothing).
   */
  async query(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    if (!this.queries || !readOnlyCall(args)) return this.run(args, timeoutMs);
    let result: QueryResult;
    try {
      result = await this.queries.run([this.binary, ...this.callArgs(args)], timeoutMs);
    } catch (error) {
      if (error instanceof QueryShellUnavailable) return this.run(args, timeoutMs);
      if (error instanceof QueryShellTimeout) throw tmuxTimedOut();
      throw tmuxErrorFromStderr((error as Error).message);
    }
    if (result.status === 0) return result.stdout;
    // The shell could not find the binary (execFile's ENOENT); tmux itself exits 0 or 1.
    if (result.status === 127) throw tmuxNotFound();
    throw tmuxErrorFromStderr(result.stderr || `tmux exited with status ${result.status}`);
  }

  /** Runs several tmux commands in one tmux process (`a ; b ; c`); stops at the first that fails. */
  runSequence(commands: string[][], timeoutMs?: number): Promise<string> {
    return this.run(sequenceArgs(commands), timeoutMs);
  }
}
