// A `tmux attach` client in a PTY, shared by every terminal consumer (/ws/tmux, the stream endpoint
// /api/sessions/{id}/ws, headless recordings): spawns it with the server's tmux environment, hands its output
// on (coalesced for sockets: answers to input at once, sustained output in few large frames; or chunk by chunk for
// a recorder), and pauses the PTY while the consumer's
// downstream (a socket's buffer, a recorder's backlog) is above a high watermark.
import type * as NodePty from "@lydell/node-pty";
import type { IDisposable, IPty } from "@lydell/node-pty";
import type { FastifyBaseLogger } from "fastify";
import type { Tmux } from "../tmux/adapter.js";
import type { ViewTarget } from "../tmux/viewSessions.js";
import { OutputCoalescer } from "./outputCoalescer.js";

// The native PTY module is loaded on the first attach, not at start-up.
let ptyModule: typeof NodePty | undefined;
const spawn: typeof NodePty.spawn = (...args) => {
  ptyModule ??= require("@lydell/node-pty") as typeof NodePty;
  return ptyModule.spawn(...args);
};

export interface TerminalPipeOptions {
  tmux: Tmux;
  session: string;
  cols: number;
  rows: number;
  log: FastifyBaseLogger;
  /** `attach-session -f` client flags, e.g. `ignore-size` and `read-only` for a recorder. */
  attachFlags?: string[];
  /** Turn tmux mouse support on for the session before attaching (web terminals want it). Default true. */
  mouse?: boolean;
  /**
   * Show one window or pane through a view session of this client's own, grouped with `session`
   * (tmux/viewSessions.ts): the client creates it as it attaches, and it is killed with the client.
   */
  view?: { name: string; target: ViewTarget };
  /**
   * Coalesce output into frames of at most 64 KiB (sockets: an answer to input or the first output after quiet at
   * once, sustained output gathered); false hands on each PTY read as it comes.
   */
  coalesce?: boolean;
  /** Receives the output, in order. */
  output(chunk: Buffer): void;
  /** Bytes waiting downstream of `output`. */
  pending(): number;
  /** Pause the PTY while `pending()` is above this. */
  highWatermark?: number;
  /** Resume once it is below this. */
  lowWatermark?: number;
  /** The tmux client exited by itself (detached, session killed, server gone). */
  onExit(exitCode: number): void;
  /** Told the size of each input and output chunk (the watchtower tells its echo from other panes' output). */
  traffic?: (input: number, output: number) => void;
  /**
   * Told when the tmux client ended by itself: tmux changed (its session was killed, the server went) in a way
   * the watchtower must collect before the next read (the watchtower's `noteMutation`).
   */
  clientExited?: () => void;
}

export class PtyStartError extends Error {
  constructor(cause: unknown) {
    super("unable to start terminal", { cause });
  }
}

const DRAIN_POLL_MS = 10;

export class TerminalPipe {
  private pty: IPty | undefined;
  private readonly coalescer: OutputCoalescer | undefined;
  private readonly high: number;
  private readonly low: number;
  private paused = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private subscriptions: IDisposable[] = [];
  /** Keys that arrived before the tmux client was started. */
  private early: Buffer[] = [];
  private _size: { cols: number; rows: number };

  constructor(private readonly options: TerminalPipeOptions) {
    this.high = options.highWatermark ?? 1024 * 1024;
    this.low = options.lowWatermark ?? 256 * 1024;
    this._size = { cols: options.cols, rows: options.rows };
    if (options.coalesce !== false)
      this.coalescer = new OutputCoalescer((frame) => this.deliver(frame), { backlog: options.pending });
  }

  get size(): { cols: number; rows: number } {
    return { ...this._size };
  }

  get running(): boolean {
    return this.pty !== undefined;
  }

  /**
   * Spawns the tmux client. Resolves false when the pipe was disposed meanwhile; throws PtyStartError when the
   * PTY cannot be started.
   */
  async start(): Promise<boolean> {
    const { tmux, session, view } = this.options;
    const mouse = this.options.mouse !== false;
    // Best-effort, and before the client attaches (spec §2.2 step 2). The seed's rewriting of the global mouse
    // bindings (§2.2 step 1) is left out: it edits the user's tmux key tables, which we do not need. A view sets
    // it on itself as it is created.
    if (mouse && !view) await tmux.setSessionOption(session, "mouse", "on").catch(() => undefined);
    if (this.disposed) return false;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(tmux.childEnv())) if (v !== undefined) env[k] = v;
    env.TERM ||= "xterm-256color";
    env.LANG ||= "C.UTF-8";
    let pty: IPty;
    try {
      const args = view
        ? tmux.viewArgs({
            session,
            view: view.name,
            target: view.target,
            mouse,
            flags: this.options.attachFlags,
          })
        : tmux.attachArgs(session, this.options.attachFlags);
      pty = spawn(tmux.binary, args, {
        name: "xterm-256color",
        cols: this._size.cols,
        rows: this._size.rows,
        cwd: process.env.HOME || process.cwd(),
        env,
        encoding: null,
      });
    } catch (error) {
      throw new PtyStartError(error);
    }
    this.pty = pty;
    for (const bytes of this.early.splice(0)) pty.write(bytes as unknown as string);
    this.subscriptions.push(
      pty.onData((chunk) => {
        const bytes = chunk as unknown as Buffer;
        this.options.traffic?.(0, bytes.length);
        if (this.coalescer) this.coalescer.push(bytes);
        else this.deliver(bytes);
      }),
      pty.onExit(({ exitCode }) => {
        this.pty = undefined;
        if (this.disposed) return;
        this.options.clientExited?.();
        this.options.onExit(exitCode);
      }),
    );
    return true;
  }

  /**
   * Keyboard bytes to the tmux client (kept until it has started). A Buffer keeps them exact: node-pty writes
   * Buffers as they are.
   */
  write(bytes: Buffer): void {
    this.noteInput(bytes.length);
    if (this.pty) this.pty.write(bytes as unknown as string);
    else if (!this.disposed && this.early.length < 256) this.early.push(bytes);
  }

  /**
   * Input reached the session by another way (a confined client's keys are pasted into the pane): the output that
   * answers it goes out at once, as for keys written here.
   */
  noteInput(bytes = 1): void {
    this.options.traffic?.(bytes, 0);
    this.coalescer?.noteInput();
  }

  resize(cols: number, rows: number): void {
    this._size = { cols, rows };
    try {
      this.pty?.resize(cols, rows);
    } catch (error) {
      this.options.log.debug({ err: error, session: this.options.session }, "resize failed");
    }
  }

  /** Sends whatever output the coalescer holds now. */
  flush(): void {
    this.coalescer?.flush();
  }

  /**
   * Kills the tmux client (the session keeps running; a view session goes with its client, and is killed here
   * too in case tmux has not yet). With `flush`, held output is handed on first.
   */
  dispose(flush = false): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.early = [];
    if (flush) this.coalescer?.flush();
    this.coalescer?.dispose();
    if (this.pty) {
      try {
        this.pty.kill("SIGKILL");
      } catch {
        // already gone
      }
      this.pty = undefined;
    }
    const { view, tmux } = this.options;
    if (view) void tmux.killSession(view.name).catch(() => undefined);
  }

  private deliver(chunk: Buffer): void {
    this.options.output(chunk);
    if (!this.paused && !this.disposed && this.options.pending() > this.high) {
      this.paused = true;
      this.pty?.pause();
      this.waitForDrain();
    }
  }

  private waitForDrain(): void {
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.disposed) return;
      if (this.options.pending() < this.low) {
        this.paused = false;
        this.pty?.resume();
      } else {
        this.waitForDrain();
      }
    }, DRAIN_POLL_MS);
  }
}
