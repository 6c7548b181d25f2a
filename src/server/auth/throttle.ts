// Throttles wrong credentials per remote address. Only a presented, non-blank credential that fails counts: a
// missing one is not a login attempt (a client waiting for its user to paste the token must not lock itself
// out), and a valid credential is checked first and never refused (whoever holds the token cannot be locked
// out by another local process or a web page firing bad requests). Past the limit, wrong credentials from the
// address get 429 with Retry-After until its failures age out of the window (60 s at most); the episode is
// logged once, when it starts.

/** The longest back-off, in seconds, whatever the configured window. */
export const MAX_BACKOFF_SECONDS = 60;

export interface ThrottleLog {
  warn(obj: object, msg: string): void;
}

export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;

  constructor(
    private readonly maxFailures: number,
    windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = Math.min(windowMs, MAX_BACKOFF_SECONDS * 1000);
  }

  private recent(address: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (kept.length) this.failures.set(address, kept);
    else this.failures.delete(address);
    return kept;
  }

  /** Seconds until wrong credentials from the address are counted again, or 0 when it is not throttled. */
  retryAfter(address: string): number {
    const kept = this.recent(address);
    if (kept.length < this.maxFailures) return 0;
    const oldest = kept[kept.length - this.maxFailures]!;
    return Math.min(
      MAX_BACKOFF_SECONDS,
      Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000)),
    );
  }

  /** Counts a failure; returns how many the address has in the window now. */
  recordFailure(address: string): number {
    const kept = this.recent(address);
    kept.push(this.now());
    // Bound memory per address: only the newest maxFailures timestamps matter.
    const bounded = kept.slice(-this.maxFailures);
    this.failures.set(address, bounded);
    if (this.failures.size > 10_000) this.prune();
    return bounded.length;
  }

  /**
   * A presented credential was wrong. While the address is throttled: the seconds to send as Retry-After (429),
   * nothing counted or logged. Otherwise the failure is counted and logged, and 0 comes back (401); the failure
   * that reaches the limit also logs the start of the throttle episode.
   */
  wrongCredential(address: string, reason: string, log: ThrottleLog): number {
    const wait = this.retryAfter(address);
    if (wait > 0) return wait;
    const count = this.recordFailure(address);
    log.warn({ remote: address, reason }, "authentication failed");
    if (count >= this.maxFailures) {
      log.warn(
        { remote: address, failures: count, retryAfterSeconds: this.retryAfter(address) },
        "authentication throttled: wrong credentials from this address get 429 until its failures age out " +
          "(the right token is still accepted)",
      );
    }
    return 0;
  }

  private prune(): void {
    for (const address of [...this.failures.keys()]) this.recent(address);
  }
}

/** A credential worth counting when it fails: presented and not blank (a missing one is not a login attempt). */
export const isAttempt = (credential: { presented: boolean; value?: string }): boolean =>
  credential.presented && (credential.value ?? "").trim() !== "";
