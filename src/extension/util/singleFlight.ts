// One run at a time of a reload: a call while a run is under way shares that run's promise and asks for one more
// run after it (what it wanted to see may have changed after the running one read it), however many calls came.
// The refresh owner runs each area's loads through one (client/refreshScheduler.ts). No `vscode` import.

export class SingleFlight {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly task: () => Promise<void>) {}

  /** Whether a run is under way. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Runs the task, or joins the run under way (which then runs once more). The promise settles when no rerun is
   * left. `running` is cleared in a promise reaction, never synchronously: a task that returns before its first
   * `await` (no server yet) cannot leave a settled promise behind for every later call to share.
   */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const running = this.loop().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.task();
    } while (this.again);
  }
}
