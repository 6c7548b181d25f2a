// Decides which events become a notification (no `vscode` import): each key surfaces once (again only after
// `repeatAfterMs`), and at most `burst` notifications per `windowMs`; what is held back is counted, and one
// summary ("N more events") is offered when the window ends, never a flood.
import type { Clock } from "../client/reconciler.js";
import { systemClock } from "../client/reconciler.js";

export interface GateOptions {
  /** Notifications allowed per window. */
  burst?: number;
  windowMs?: number;
  /** A key already shown is shown again only after this long (default: once per window session). */
  repeatAfterMs?: number;
  /** Keys remembered (the oldest forgotten first). */
  maxKeys?: number;
  clock?: Clock;
}

export type GateVerdict = "show" | "duplicate" | "held";

export class NotificationGate {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly repeatAfterMs: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;
  private readonly seen = new Map<string, number>();
  private shownAt: number[] = [];
  private heldCount = 0;
  private summaryTimer: unknown;
  private disposed = false;
  /** Counters for diagnostics and tests. */
  readonly stats = { shown: 0, duplicates: 0, held: 0, summaries: 0 };

  constructor(
    private readonly onSummary: (held: number) => void,
    options: GateOptions = {},
  ) {
    this.burst = options.burst ?? 3;
    this.windowMs = options.windowMs ?? 10_000;
    this.repeatAfterMs = options.repeatAfterMs ?? Number.POSITIVE_INFINITY;
    this.maxKeys = options.maxKeys ?? 1000;
    this.clock = options.clock ?? systemClock;
  }

  /** Whether a notification for `key` may be shown now. */
  offer(key: string): GateVerdict {
    const now = this.clock.now();
    const last = this.seen.get(key);
    if (last !== undefined && now - last < this.repeatAfterMs) {
      this.stats.duplicates++;
      return "duplicate";
    }
    this.seen.delete(key);
    this.seen.set(key, now);
    if (this.seen.size > this.maxKeys) this.seen.delete(this.seen.keys().next().value as string);
    this.shownAt = this.shownAt.filter((t) => now - t < this.windowMs);
    if (this.shownAt.length >= this.burst) {
      this.heldCount++;
      this.stats.held++;
      this.scheduleSummary(now);
      return "held";
    }
    this.shownAt.push(now);
    this.stats.shown++;
    return "show";
  }

  dispose(): void {
    this.disposed = true;
    if (this.summaryTimer !== undefined) this.clock.clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
  }

  private scheduleSummary(now: number): void {
    if (this.summaryTimer !== undefined || this.disposed) return;
    const oldest = this.shownAt[0] ?? now;
    const wait = Math.max(0, oldest + this.windowMs - now);
    this.summaryTimer = this.clock.setTimeout(() => {
      this.summaryTimer = undefined;
      if (this.disposed || this.heldCount === 0) return;
      const held = this.heldCount;
      this.heldCount = 0;
      this.stats.summaries++;
      // The summary takes a slot of the next window.
      this.shownAt = [this.clock.now()];
      this.onSummary(held);
    }, wait);
  }
}
