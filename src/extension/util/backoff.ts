// Exponential backoff with jitter, for server restarts and socket reconnects. No `vscode` import.

export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Ceiling for any delay. */
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Fraction of each delay that is randomised, 0..1 (default 0.2): delay × (1 − jitter × random). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attemptCount = 0;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.random = options.random ?? Math.random;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.attemptCount;
  }

  /** The delay before the next attempt; each call grows the next one up to `maxMs`. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * this.factor ** this.attemptCount);
    this.attemptCount++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  reset(): void {
    this.attemptCount = 0;
  }
}
