// A headless recording's own tmux client: `attach-session -f ignore-size,read-only` in a PTY the size of the
// session's active window (plus its status line), so it never changes what other clients see and never types.
// Unless its size was fixed it polls the window's size and follows it, with an `r` event per change. Owned by
// the recording it feeds (recording/manager.ts), which disposes it when the recording ends.
import type { FastifyBaseLogger } from "fastify";
import { DEFAULT_TERMINAL_SIZE } from "../../protocol/terminal.js";
import { TerminalPipe } from "../pty/terminalPipe.js";
import type { Tmux } from "../tmux/adapter.js";
import { TmuxError } from "../tmux/errors.js";
import type { Recorder } from "./recorder.js";

/** A window larger than this is recorded at this size (a PTY has to be allocated for it). */
const MAX_SIZE = { cols: 1000, rows: 500 };

/** What a client showing the whole active window measures; the default size when tmux cannot say. */
export async function windowSize(tmux: Tmux, session: string): Promise<{ cols: number; rows: number }> {
  try {
    const w = await tmux.activeWindowSize(session);
    if (w.width > 0 && w.height > 0) {
      return {
        cols: Math.min(w.width, MAX_SIZE.cols),
        rows: Math.min(w.height + w.statusLines, MAX_SIZE.rows),
      };
    }
  } catch (error) {
    if (error instanceof TmuxError && error.code === "SESSION_NOT_FOUND") throw error;
  }
  return { ...DEFAULT_TERMINAL_SIZE };
}

export interface HeadlessClientOptions {
  tmux: Tmux;
  log: FastifyBaseLogger;
  session: string;
  cols: number;
  rows: number;
  recorder: Recorder;
  /** The tmux client exited (the session ended): the exit status. */
  onExit: (exitCode: number) => void;
}

export class HeadlessClient {
  private readonly pipe: TerminalPipe;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private disposed = false;

  constructor(private readonly options: HeadlessClientOptions) {
    const { tmux, session, cols, rows, log, recorder } = options;
    this.pipe = new TerminalPipe({
      tmux,
      session,
      cols,
      rows,
      log,
      attachFlags: ["ignore-size", "read-only"],
      mouse: false,
      coalesce: false,
      output: (chunk) => recorder.output(chunk),
      pending: () => recorder.backlogBytes,
      onExit: (exitCode) => options.onExit(exitCode),
    });
  }

  /** Starts the tmux client: false when disposed meanwhile; throws PtyStartError when its PTY cannot start. */
  start(): Promise<boolean> {
    return this.pipe.start();
  }

  /** Checks the active window's size every `intervalMs` from now on. */
  followWindow(intervalMs: number): void {
    this.timer = setInterval(() => void this.follow(), intervalMs);
    this.timer.unref();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.pipe.dispose();
  }

  private async follow(): Promise<void> {
    if (this.polling || this.disposed) return;
    this.polling = true;
    try {
      const size = await windowSize(this.options.tmux, this.options.session);
      if (this.disposed || !this.pipe.running) return;
      const current = this.pipe.size;
      if (size.cols === current.cols && size.rows === current.rows) return;
      // The `r` event goes first: the redraw at the new size comes after it.
      this.options.recorder.resize(size.cols, size.rows);
      this.pipe.resize(size.cols, size.rows);
    } catch {
      // The session is gone: the tmux client exits and the recording ends with it.
    } finally {
      this.polling = false;
    }
  }
}
