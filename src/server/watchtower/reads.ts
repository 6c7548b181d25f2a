// The read path's wait (ADR 0018): whether the projection is behind what this server knows of tmux, and the one
// catch-up collect that every reader who found it behind waits for, each at most its own timeout.
import type { Demand } from "./demand.js";

/**
 * Behind: the first collect not finished yet (`collects` counts a collect when it starts, so what the store holds
 * until then is the last run's), a mutation noted and not yet collected, or fresh output (while output keeps
 * coming, `sustained`, readers take the projection of the last collect instead).
 */
export function isBehind(collects: number, running: boolean, demand: Demand): boolean {
  if (collects === 0 || (collects === 1 && running)) return true;
  return demand.collectedMutations < demand.mutations || (demand.dirty && !demand.sustained);
}

export class CatchUp {
  private pending: Promise<void> | undefined;

  /** `collect` brings the projection up to date (the engine's catch-up: wait for a running collect, then one more). */
  constructor(private readonly collect: () => Promise<void>) {}

  /** Resolves after the catch-up collect (started now unless one is under way) or after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<void> {
    this.pending ??= this.collect().finally(() => {
      this.pending = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.pending,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
