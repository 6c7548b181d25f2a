// Counts failed authentications per remote address; past the limit the address is refused (429) until the
// window that holds its failures has passed.

export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(address: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (kept.length) this.failures.set(address, kept);
    else this.failures.delete(address);
    return kept;
  }

  /** Seconds until the address may try again, or 0 when it is not throttled. */
  retryAfter(address: string): number {
    const kept = this.recent(address);
    if (kept.length < this.maxFailures) return 0;
    const oldest = kept[kept.length - this.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    const kept = this.recent(address);
    kept.push(this.now());
    // Bound memory per address: only the newest maxFailures timestamps matter.
    this.failures.set(address, kept.slice(-this.maxFailures));
    if (this.failures.size > 10_000) this.prune();
  }

  private prune(): void {
    for (const address of [...this.failures.keys()]) this.recent(address);
  }
}
