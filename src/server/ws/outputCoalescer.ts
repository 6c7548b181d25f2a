// Batches PTY output into WebSocket frames: the first bytes after a quiet spell go out at once; under a flood,
// output is gathered and sent at most once per frame interval (~60 frames/s), in frames of at most 64 KiB.

export interface CoalescerOptions {
  maxFrameBytes?: number;
  frameIntervalMs?: number;
  now?: () => number;
}

export class OutputCoalescer {
  private readonly maxFrameBytes: number;
  private readonly frameIntervalMs: number;
  private readonly now: () => number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private lastSendAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly send: (frame: Buffer) => void,
    options: CoalescerOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
    this.frameIntervalMs = options.frameIntervalMs ?? 16;
    this.now = options.now ?? Date.now;
  }

  get pendingBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): void {
    if (this.disposed || chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    while (this.pendingLength >= this.maxFrameBytes) this.emit(this.maxFrameBytes);
    if (this.pendingLength === 0) return;
    const wait = this.lastSendAt + this.frameIntervalMs - this.now();
    if (wait <= 0) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
    }
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

  private emit(size: number): void {
    const all =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const frame = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    this.lastSendAt = this.now();
    this.send(frame);
  }
}
