// Batches PTY output into WebSocket frames of at most 64 KiB. Output that a user is waiting for goes out at once:
// a chunk that follows input on this terminal (an echo, a redraw after a key: up to `echoFrames` frames and
// `echoBudgetBytes` bytes per input) and
// the first chunk after the stream was quiet (a prompt, a status line, someone else's typing). Only sustained
// output is gathered: while chunks keep arriving less than `quietMs` apart, with no input to answer, or while the
// socket is behind (`backlog()` above one frame), they go out as one frame per `frameIntervalMs` (~60 frames/s),
// or at once as soon as a full 64 KiB frame is ready. A flood thus makes few large frames (the CPU they save goes
// to tmux, the real bottleneck of a drain), typing never waits on a timer, and what is held here is less than one
// frame: the socket's backpressure (TerminalPipe pauses the PTY) bounds the rest.

export interface CoalescerOptions {
  maxFrameBytes?: number;
  /** Interval between gathered frames of sustained output. */
  frameIntervalMs?: number;
  /** Output after a gap of at least this long is not sustained: it goes out at once. */
  quietMs?: number;
  /** How long after input its answer goes out at once. */
  inputWindowMs?: number;
  /** Bytes sent at once per input (an echo, a line or screen redrawn after a key); beyond it output is gathered. */
  echoBudgetBytes?: number;
  /** Frames sent at once per input: a flood started by a command line is gathered after these. */
  echoFrames?: number;
  /** Bytes already waiting downstream (the socket's bufferedAmount): above one frame, output is gathered. */
  backlog?: () => number;
  now?: () => number;
}

export class OutputCoalescer {
  private readonly maxFrameBytes: number;
  private readonly frameIntervalMs: number;
  private readonly quietMs: number;
  private readonly inputWindowMs: number;
  private readonly echoBudgetBytes: number;
  private readonly echoFrames: number;
  private readonly backlog: () => number;
  private readonly now: () => number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private lastPushAt = Number.NEGATIVE_INFINITY;
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private inputAt = Number.NEGATIVE_INFINITY;
  /** Bytes and frames sent since the last input. */
  private sinceInput = 0;
  private framesSinceInput = 0;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly send: (frame: Buffer) => void,
    options: CoalescerOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
    this.frameIntervalMs = options.frameIntervalMs ?? 1000 / 60;
    this.quietMs = options.quietMs ?? this.frameIntervalMs;
    this.inputWindowMs = options.inputWindowMs ?? 500;
    this.echoBudgetBytes = options.echoBudgetBytes ?? 32 * 1024;
    this.echoFrames = options.echoFrames ?? 4;
    this.backlog = options.backlog ?? (() => 0);
    this.now = options.now ?? Date.now;
  }

  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Input reached the terminal: its answer is awaited, so the next output goes out at once. */
  noteInput(): void {
    this.inputAt = this.now();
    this.sinceInput = 0;
    this.framesSinceInput = 0;
  }

  push(chunk: Buffer): void {
    if (this.disposed || chunk.length === 0) return;
    const now = this.now();
    const quiet = now - this.lastPushAt >= this.quietMs;
    this.lastPushAt = now;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.immediate(now, quiet)) {
      this.flush();
      return;
    }
    while (this.pendingLength >= this.maxFrameBytes) this.emit(this.maxFrameBytes);
    if (this.pendingLength === 0 || this.timer) return;
    const wait = Math.max(1, Math.ceil(this.lastEmitAt + this.frameIntervalMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Sends everything pending now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.pendingLength > 0) this.emit(Math.min(this.pendingLength, this.maxFrameBytes));
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.pendingLength = 0;
  }

  /** Whether what is pending is an answer someone waits for rather than part of sustained output. */
  private immediate(now: number, quiet: boolean): boolean {
    if (this.backlog() > this.maxFrameBytes) return false;
    if (quiet) return true;
    return (
      now - this.inputAt <= this.inputWindowMs &&
      this.framesSinceInput < this.echoFrames &&
      this.sinceInput + this.pendingLength <= this.echoBudgetBytes
    );
  }

  private emit(size: number): void {
    const all =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const frame = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    this.lastEmitAt = this.now();
    this.sinceInput += size;
    this.framesSinceInput++;
    this.send(frame);
  }
}
