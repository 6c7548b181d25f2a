// One subscriber's bounded queue (docs/decisions/0003-events.md). Frames go straight to the socket while it
// keeps up; while more than `highWatermark` bytes wait in the socket, they wait here instead, up to
// `maxQueued` frames. When that fills, the subscriber is overflowing: every event is dropped (and counted) until
// the queue has drained, then one notice tells the client what it missed, and live delivery resumes. A slow
// subscriber therefore costs at most `highWatermark` bytes of socket buffer plus `maxQueued` references to
// frames shared with everyone else, and never delays another subscriber.

export interface OutboxSink {
  /** Bytes written but not yet handed to the kernel (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  /** Writes one complete frame. */
  send(frame: Buffer): void;
}

export interface OutboxOptions {
  maxQueued?: number;
  highWatermark?: number;
  drainPollMs?: number;
  /**
   * The notice sent once an overflow has drained: the client has every event up to `since` and missed
   * `dropped`. Returns the frame and the eventId the client's cursor moves to.
   */
  overflowNotice(since: number, dropped: number): { frame: Buffer; lastEventId: number };
  /** Told when an overflow starts and ends (for the log). */
  onOverflow?(state: "start" | "end", dropped: number): void;
}

export const OUTBOX_DEFAULTS = { maxQueued: 256, highWatermark: 256 * 1024, drainPollMs: 15 } as const;

export class Outbox {
  /** Frames waiting, oldest at `head` (a queue without O(n) shifts). */
  private queue: Buffer[] = [];
  private head = 0;
  private overflowing = false;
  private droppedNow = 0;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly maxQueued: number;
  private readonly highWatermark: number;
  private readonly drainPollMs: number;
  /** The newest eventId sent or queued: what the client will have seen once the queue drains. */
  cursor: number;
  /** Events dropped over this subscriber's lifetime. */
  dropped = 0;
  /** Replies (frames without an eventId) dropped because the queue was full. */
  droppedReplies = 0;

  constructor(
    private readonly sink: OutboxSink,
    private readonly options: OutboxOptions,
    cursor = 0,
  ) {
    this.maxQueued = Math.max(1, options.maxQueued ?? OUTBOX_DEFAULTS.maxQueued);
    this.highWatermark = options.highWatermark ?? OUTBOX_DEFAULTS.highWatermark;
    this.drainPollMs = options.drainPollMs ?? OUTBOX_DEFAULTS.drainPollMs;
    this.cursor = cursor;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get isOverflowing(): boolean {
    return this.overflowing;
  }

  /**
   * Sends or queues one frame. `eventId` marks a hub event (droppable, moves the cursor); without it the frame
   * is a reply or a connection message, dropped only when the queue is full. False when dropped.
   */
  push(frame: Buffer, eventId?: number): boolean {
    if (this.disposed) return false;
    const isEvent = eventId !== undefined;
    if (isEvent && this.overflowing) {
      this.drop();
      return false;
    }
    if (this.queued === 0 && this.sink.bufferedAmount <= this.highWatermark) {
      this.sink.send(frame);
    } else if (this.queued < this.maxQueued) {
      this.queue.push(frame);
      this.schedule();
    } else {
      if (isEvent) {
        this.overflowing = true;
        this.options.onOverflow?.("start", 0);
        this.drop();
      } else {
        this.droppedReplies++;
      }
      this.schedule();
      return false;
    }
    if (isEvent) this.cursor = eventId;
    return true;
  }

  /** The socket has room again (its `drain`): send what waits without waiting for the next poll. */
  kick(): void {
    if (this.disposed || (this.queued === 0 && !this.overflowing)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drain();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private drop(): void {
    this.dropped++;
    this.droppedNow++;
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.drainPollMs);
  }

  /** Sends what the socket can take now; once the queue is empty, ends an overflow with its notice. */
  private drain(): void {
    if (this.disposed) return;
    while (this.queued > 0 && this.sink.bufferedAmount <= this.highWatermark) {
      const frame = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Buffer;
      this.sink.send(frame);
    }
    if (this.queued === 0) {
      this.queue = [];
      this.head = 0;
      if (this.overflowing && this.sink.bufferedAmount <= this.highWatermark) {
        const notice = this.options.overflowNotice(this.cursor, this.droppedNow);
        this.sink.send(notice.frame);
        this.cursor = notice.lastEventId;
        this.overflowing = false;
        this.options.onOverflow?.("end", this.droppedNow);
        this.droppedNow = 0;
      }
    } else if (this.head >= this.maxQueued) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queued > 0 || this.overflowing) this.schedule();
  }
}
