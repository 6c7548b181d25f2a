// One list of what the server must undo, filled as it starts and run by both ways out: a start that fails part
// way and a normal stop. Each step is added right after the resource it closes exists, so a failed start closes
// exactly what it built; steps run newest first, one after the other, and a step that fails does not keep the
// ones after it (an older resource, like the store) from closing.
export class Teardown {
  private readonly steps: { name: string; run: () => unknown }[] = [];
  private done: Promise<void> | undefined;

  /** Adds a step; it runs before every step added earlier. */
  defer(name: string, run: () => unknown): void {
    if (this.done) throw new Error(`teardown already running: cannot add "${name}"`);
    this.steps.push({ name, run });
  }

  /**
   * Runs every step once, newest first, each awaited. Resolves when all have run; rejects afterwards with the
   * first failure (its step named) if any failed. Later calls return the same promise.
   */
  run(): Promise<void> {
    this.done ??= (async () => {
      const failures: Error[] = [];
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step.run();
        } catch (error) {
          failures.push(
            new Error(`closing ${step.name} failed: ${(error as Error).message}`, { cause: error }),
          );
        }
      }
      if (failures.length) throw failures[0];
    })();
    return this.done;
  }
}
