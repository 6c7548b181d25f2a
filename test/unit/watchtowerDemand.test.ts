// The watchtower's demand (what the next collect must do), the readers' `behind` rule and their shared
// catch-up (src/server/watchtower/demand.ts, reads.ts): pure, no tmux.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Demand, FLOOD_BYTES_PER_S } from "../../src/server/watchtower/demand.js";
import { CatchUp, isBehind } from "../../src/server/watchtower/reads.js";

describe("demand", () => {
  test("a collect takes everything asked for; what comes later is the next one's", () => {
    const demand = new Demand();
    demand.dirty = true;
    demand.dirtyPanes.set("%1", "dev");
    demand.catchUp.add("ops");
    demand.mutations = 2;
    const first = demand.take(5_500, false);
    assert.equal(first.full, true, "the first collect is full");
    assert.equal(first.activeSince, 0, "no collect before: activity since the epoch");
    assert.deepEqual([...first.dirtyPanes], [["%1", "dev"]], "the order holds the dirty pane");
    assert.deepEqual([...first.catchUp], ["ops"], "the order holds the caught-up session");
    assert.equal(first.mutations, 2, "the order counts the mutations noted");
    assert.equal(demand.pending, false, "nothing pending once taken");
    assert.equal(demand.lastFullAt, 5_500, "the full collect's start is kept");

    demand.dirtyPanes.set("%2", "dev");
    assert.equal(
      first.dirtyPanes.has("%2"),
      false,
      "a pane dirty after the start is not in the running order",
    );
    const second = demand.take(7_200, false);
    assert.equal(second.full, false, "the next one is not full");
    assert.equal(second.activeSince, 5, "activity since the last start, in whole seconds");
    assert.equal(demand.take(8_000, true).full, true, "poll mode collects everything");
  });

  test("fresh: a mutation, or a pane that had not written before the last collect", () => {
    const demand = new Demand();
    assert.equal(demand.fresh, false, "nothing asked: not fresh");
    demand.dirtyPanes.set("%1", "dev");
    assert.equal(demand.fresh, true, "a pane writing for the first time is fresh");
    demand.take(1_000, false);
    demand.dirtyPanes.set("%1", "dev");
    assert.equal(demand.fresh, false, "the same pane writing again is not");
    demand.dirtyMutation = true;
    assert.equal(demand.fresh, true, "a mutation through this server is");
  });

  test("sustained after two collects in a row that changed something", () => {
    const demand = new Demand();
    demand.settle(true);
    assert.equal(demand.sustained, false, "one change is not sustained");
    demand.settle(true);
    assert.equal(demand.sustained, true, "two in a row are");
    demand.settle(false);
    assert.equal(demand.sustained, false, "a quiet collect ends it");
  });

  test("a flood: two collects in a row after output at FLOOD_BYTES_PER_S or more", () => {
    const demand = new Demand();
    const heavy = { probeBytes: FLOOD_BYTES_PER_S / 4, sincePrevious: 250 };
    const light = { probeBytes: FLOOD_BYTES_PER_S / 4 - 1, sincePrevious: 250 };
    demand.settle(true, heavy);
    assert.equal(demand.flooding, false, "one heavy collect is not a flood");
    demand.settle(true, heavy);
    assert.equal(demand.flooding, true, "two in a row are");
    demand.settle(true, light);
    assert.equal(demand.flooding, false, "a trickle ends it, though output keeps coming");
    assert.equal(demand.sustained, true, "the trickle is still sustained");
    demand.settle(true, heavy);
    demand.settle(false, heavy);
    assert.equal(demand.flooding, false, "a collect that saw nothing is no flood");
    demand.settle(true, { probeBytes: 10_000, sincePrevious: 0 });
    demand.settle(true, { probeBytes: 10_000, sincePrevious: 0 });
    assert.equal(demand.flooding, false, "no rate without a collect before");
  });

  test("the order carries the probe's bytes and the time since the collect before", () => {
    const demand = new Demand();
    demand.probeBytes = 700;
    const first = demand.take(1_000, false);
    assert.deepEqual(
      [first.probeBytes, first.sincePrevious],
      [700, 0],
      "the first collect has no time before",
    );
    assert.equal(demand.probeBytes, 0, "taken");
    demand.probeBytes = 300;
    const second = demand.take(1_400, false);
    assert.deepEqual([second.probeBytes, second.sincePrevious], [300, 400], "bytes since, and 400 ms");
  });
});

describe("readers", () => {
  test("behind until the first collect finished, then for mutations and fresh output", () => {
    const demand = new Demand();
    assert.equal(isBehind(0, false, demand), true, "no collect yet");
    assert.equal(isBehind(1, true, demand), true, "the first collect still running");
    assert.equal(isBehind(1, false, demand), false, "nothing pending after it");
    demand.mutations = 1;
    assert.equal(isBehind(1, false, demand), true, "a mutation not collected");
    demand.collectedMutations = 1;
    demand.dirty = true;
    assert.equal(isBehind(2, false, demand), true, "fresh output");
    demand.sustained = true;
    assert.equal(isBehind(2, false, demand), false, "output that keeps coming: the last collect answers");
  });

  test("one catch-up shared by the readers waiting; each waits at most its timeout", async () => {
    let runs = 0;
    let finish: () => void = () => {};
    const catchUp = new CatchUp(() => {
      runs++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    const a = catchUp.wait(5_000);
    const b = catchUp.wait(5_000);
    const started = Date.now();
    await catchUp.wait(20);
    assert.ok(Date.now() - started < 2_000, "a short timeout ends that reader's wait");
    assert.equal(runs, 1, "one catch-up for every reader");
    finish();
    await Promise.all([a, b]);
    await catchUp.wait(0);
    assert.equal(runs, 2, "a reader after it has finished starts the next one");
    finish();
  });
});
