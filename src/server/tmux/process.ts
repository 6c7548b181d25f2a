// One tmux process per call: execFile (never a shell) against the configured socket, with an environment that
// never carries the caller's tmux client identity; plus the argv of long-lived tmux clients (PTY attach, views,
// control mode). The commands themselves are `Tmux` (./adapter.ts).
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
import { TmuxError, tmuxErrorFromStderr, tmuxNotFound } from "./errors.js";
import type { ViewTarget } from "./viewSessions.js";

export interface TmuxOptions {
  /** Path of the tmux server socket (`tmux -S`); undefined uses the user's default server. */
  socketPath?: string;
  binary?: string;
  timeoutMs?: number;
}

export class TmuxProcess {
  readonly binary: string;
  readonly socketPath: string | undefined;
  private readonly timeoutMs: number;
  private readonly env = tmuxEnv();

  constructor(options: TmuxOptions = {}) {
    this.binary = options.binary ?? "tmux";
    this.socketPath = options.socketPath;
    this.timeoutMs = options.timeoutMs ?? 5000;
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

  run(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        [...this.serverArgs(), ...args.map(literalArg)],
        { env: this.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const err = error as NodeJS.ErrnoException & { killed?: boolean };
          if (err.code === "ENOENT") return reject(tmuxNotFound());
          if (err.killed) return reject(new TmuxError("TMUX_COMMAND_FAILED", "tmux command timed out"));
          reject(tmuxErrorFromStderr(stderr || err.message));
        },
      );
    });
  }

  /** Runs several tmux commands in one tmux process (`a ; b ; c`); stops at the first that fails. */
  runSequence(commands: string[][], timeoutMs?: number): Promise<string> {
    return this.run(sequenceArgs(commands), timeoutMs);
  }
}
