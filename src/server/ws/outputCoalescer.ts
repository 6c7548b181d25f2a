// Batches PTY output into WebSocket frames of at most 64 KiB. Frames are paced by a token bucket: a few frames
// may go out back to back (typing echoes, prompts: sent at once, never delayed), and sustained output is
// gathered and sent at the refill rate (~60 frames/s). A full 64 KiB frame always goes out at once; the
// socket's backpressure (see tmuxAttach) bounds what a flood can queue.

export interface CoalescerOptions {
  maxFrameBytes?: number;
  /** Interval between paced frames once the burst allowance is spent (the refill period of one token). */
  frameIntervalMs?: number;
  /** Frames that may go out back to back before pacing starts. */
  burstFrames?: number;
  now?: () => number;
}

export class OutputCoalescer {
  private readonly maxFrameBytes: number;
  private readonly frameIntervalMs: number;
  private readonly burstFrames: number;
  private readonly now: () => number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private tokens: number;
  private refilledAt: number;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly send: (frame: Buffer) => void,
    options: CoalescerOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
    this.frameIntervalMs = options.frameIntervalMs ?? 1000 / 60;
    this.burstFrames = options.burstFrames ?? 4;
    this.now = options.now ?? Date.now;
    this.tokens = this.burstFrames;
    this.refilledAt = this.now();
  }

  get pendingBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): void {
    if (this.disposed || chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    while (this.pendingLength >= this.maxFrameBytes) this.emit(this.maxFrameBytes);
    if (this.pendingLength === 0 || this.timer) return;
    this.refill();
    if (this.tokens >= 1) {
      this.flush();
      return;
    }
    const wait = Math.max(1, Math.ceil((1 - this.tokens) * this.frameIntervalMs));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
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

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burstFrames, this.tokens + (now - this.refilledAt) / this.frameIntervalMs);
    this.refilledAt = now;
  }

  private emit(size: number): void {
    const all =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const frame = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    this.tokens = Math.max(0, this.tokens - 1);
    this.send(frame);
  }
}
