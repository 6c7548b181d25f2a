// Single-flight reloads (the Recordings, Ops and Recovery views): one run at a time, calls during a run share it
// and get one rerun, and a task that returns before its first await (no server yet) leaves nothing behind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SingleFlight } from "../../src/extension/util/singleFlight.js";

test("a task that returns at once does not leave a settled run for later calls to share", async () => {
  let ready = false;
  let loads = 0;
  const flight = new SingleFlight(async () => {
    if (!ready) return; // no server yet: nothing to load, and no await before returning
    loads++;
    await new Promise((r) => setTimeout(r, 1));
  });
  await flight.run();
  assert.equal(flight.busy, false, "the early return left a run behind");
  ready = true;
  await flight.run();
  await flight.run();
  assert.equal(loads, 2, "every later call ran the task");
});

test("a task that throws before its first await does not stick either", async () => {
  let calls = 0;
  const flight = new SingleFlight(() => {
    calls++;
    if (calls === 1) throw new Error("sync failure");
    return Promise.resolve();
  });
  await assert.rejects(flight.run(), /sync failure/);
  assert.equal(flight.busy, false);
  await flight.run();
  assert.equal(calls, 2);
});

test("calls during a run share its promise and cause exactly one rerun", async () => {
  const releases: Array<() => void> = [];
  let runs = 0;
  const flight = new SingleFlight(
    () =>
      new Promise<void>((resolve) => {
        runs++;
        releases.push(resolve);
      }),
  );
  const first = flight.run();
  const second = flight.run();
  const third = flight.run();
  assert.equal(second, first);
  assert.equal(third, first);
  assert.equal(runs, 1);
  releases.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, "one rerun for the calls made during the first run");
  assert.equal(flight.busy, true);
  releases.shift()!();
  await first;
  assert.equal(runs, 2);
  assert.equal(flight.busy, false);
  // A call after it settled starts a new run.
  const next = flight.run();
  assert.notEqual(next, first);
  releases.shift()!();
  await next;
  assert.equal(runs, 3);
});

test("a failing run rejects its callers and the next call runs again", async () => {
  let fail = true;
  const flight = new SingleFlight(async () => {
    await Promise.resolve();
    if (fail) throw new Error("boom");
  });
  await assert.rejects(flight.run(), /boom/);
  fail = false;
  await flight.run();
  assert.equal(flight.busy, false);
});
