// The one refresh owner's schedule (src/extension/client/refreshScheduler.ts): per-area debounced loads with typed
// reasons, loads now that serve a waiting request, reloads after missed events (but not of a log), one clock for
// every redraw tick, errors reported without stopping later loads, nothing left running after dispose.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Clock } from "../../src/extension/client/reconciler.js";
import { type AreaRefreshReason, RefreshScheduler } from "../../src/extension/client/refreshScheduler.js";

/** A clock the test moves by hand; `pending` counts the timers armed. */
class ManualClock implements Clock {
  time = 0;
  private next = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time on, running every timer that falls due (in order), then lets promise reactions run. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at);
      if (!due.length) break;
      const [id, timer] = due[0]!;
      this.timers.delete(id);
      this.time = Math.max(this.time, timer.at);
      timer.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup() {
  const clock = new ManualClock();
  const notes: string[] = [];
  const errors: string[] = [];
  const scheduler = new RefreshScheduler(
    (m) => notes.push(m),
    (area, error) => errors.push(`${area}: ${(error as Error).message}`),
    clock,
  );
  return { clock, notes, errors, scheduler };
}

test("requests within an area's debounce share one load, with the latest reason; the promise settles after it", async () => {
  const { clock, scheduler } = setup();
  const loads: AreaRefreshReason[] = [];
  scheduler.register("ops", { debounceMs: 300, load: (reason) => void loads.push(reason) });
  let settled = 0;
  void scheduler.request("ops", "event").then(() => settled++);
  void scheduler.request("ops", "view shown").then(() => settled++);
  await clock.advance(299);
  assert.deepEqual(loads, [], "no load before the debounce delay");
  await clock.advance(1);
  assert.deepEqual(loads, ["view shown"], "one load with the latest reason");
  assert.equal(settled, 2, "both requests settled after the load");
  void scheduler.request("ops", "event");
  await clock.advance(300);
  assert.deepEqual(loads, ["view shown", "event"], "a request after the load is another load");
});

test("now() loads at once and serves a request that was waiting", async () => {
  const { clock, scheduler } = setup();
  const loads: AreaRefreshReason[] = [];
  scheduler.register("recordings", { debounceMs: 300, load: (reason) => void loads.push(reason) });
  let waited = false;
  void scheduler.request("recordings", "event").then(() => {
    waited = true;
  });
  await scheduler.now("recordings", "manual");
  await flush();
  assert.deepEqual(loads, ["manual"], "one load, now");
  assert.equal(waited, true, "the waiting request settled with it");
  await clock.advance(1000);
  assert.deepEqual(loads, ["manual"], "the debounced load does not run again");
  assert.equal(clock.pending, 0, "no timer left");
});

test("loads of an area never overlap: one during a load joins it and runs once more after it", async () => {
  const { scheduler } = setup();
  let running = 0;
  let maxRunning = 0;
  let loads = 0;
  let release: () => void = () => undefined;
  scheduler.register("recovery", {
    debounceMs: 0,
    load: async () => {
      running++;
      loads++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => {
        release = r;
      });
      running--;
    },
  });
  const first = scheduler.now("recovery", "manual");
  const second = scheduler.now("recovery", "command");
  const third = scheduler.now("recovery", "command");
  release();
  await flush();
  release();
  await Promise.all([first, second, third]);
  assert.equal(maxRunning, 1, "never two loads at once");
  assert.equal(loads, 2, "one run plus one rerun for the calls during it");
});

test("missed events reload every area that keeps a list current by events, not the events log", async () => {
  const { clock, scheduler } = setup();
  const loads: string[] = [];
  scheduler.register("recordings", { debounceMs: 0, load: (r) => void loads.push(`recordings ${r}`) });
  scheduler.register("ops", { debounceMs: 300, load: (r) => void loads.push(`ops ${r}`) });
  scheduler.register("events", {
    debounceMs: 200,
    reloadOnMissedEvents: false,
    load: (r) => void loads.push(`events ${r}`),
  });
  scheduler.missed("gap");
  await clock.advance(300);
  assert.deepEqual(loads.sort(), ["ops events gap", "recordings events gap"], "ops and recordings reloaded");
});

test("a load that fails is reported and the next request loads again", async () => {
  const { clock, scheduler, errors } = setup();
  let calls = 0;
  scheduler.register("ops", {
    debounceMs: 10,
    load: () => {
      calls++;
      if (calls === 1) throw new Error("boom");
    },
  });
  await Promise.all([scheduler.request("ops", "event"), clock.advance(10)]);
  assert.deepEqual(errors, ["ops: boom"], "the failure is reported with its area");
  await Promise.all([scheduler.request("ops", "event"), clock.advance(10)]);
  assert.equal(calls, 2, "the next request loaded");
});

test("one clock: each active tick runs at its own period, an inactive one not at all, one timer armed", async () => {
  const { clock, scheduler } = setup();
  const runs: string[] = [];
  const minute = scheduler.tick("sessions", 60_000, () => runs.push("sessions"));
  const live = scheduler.tick("recordings", 5_000, () => runs.push("recordings"));
  assert.equal(clock.pending, 0, "no timer while no tick is active");
  minute.active = true;
  live.active = true;
  assert.equal(clock.pending, 1, "one timer for both ticks");
  await clock.advance(60_000);
  assert.equal(runs.filter((r) => r === "recordings").length, 12, "the 5 s tick ran 12 times in a minute");
  assert.equal(runs.filter((r) => r === "sessions").length, 1, "the minute tick once");
  live.active = false;
  await clock.advance(60_000);
  assert.equal(runs.filter((r) => r === "recordings").length, 12, "an inactive tick does not run");
  assert.equal(runs.filter((r) => r === "sessions").length, 2, "the minute tick still runs");
  minute.dispose();
  live.dispose();
  assert.equal(clock.pending, 0, "no timer once the ticks are gone");
});

test("an area registers once; dispose leaves no timer and later requests do nothing", async () => {
  const { clock, scheduler } = setup();
  let loads = 0;
  scheduler.register("ops", { debounceMs: 300, load: () => void loads++ });
  assert.throws(() => scheduler.register("ops", { debounceMs: 0, load: () => undefined }), /twice/);
  void scheduler.request("ops", "event");
  scheduler.tick("sessions", 1000, () => undefined).active = true;
  scheduler.dispose();
  assert.equal(clock.pending, 0, "dispose cleared every timer");
  await scheduler.request("ops", "event");
  await clock.advance(1000);
  assert.equal(loads, 0, "nothing loaded after dispose");
});
