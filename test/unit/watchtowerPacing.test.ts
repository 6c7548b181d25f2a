// When the watchtower's safety net runs (src/server/watchtower/pacing.ts): in `scan` mode while the probe watches,
// a full collect that falls due while this server's own terminals type waits for a pause in their traffic, at most
// SAFETY_TYPING_MAX_DEFER_MS; a confirming listing, and the listings of a probe that cannot watch, never wait.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import type { WatchtowerConfig } from "../../src/server/config.js";
import { Demand } from "../../src/server/watchtower/demand.js";
import {
  Pacer,
  SAFETY_TYPING_MAX_DEFER_MS,
  SAFETY_TYPING_RECHECK_MS,
  type SafetyView,
} from "../../src/server/watchtower/pacing.js";

const START = 1_000_000;
const FULL_EVERY = 60_000;

const config: WatchtowerConfig = {
  enabled: true,
  mode: "scan",
  tickIntervalMs: 2000,
  probeIntervalMs: 50,
  probeIdleIntervalMs: 150,
  safetyIntervalMs: 30_000,
  debounceMs: 150,
  minCollectIntervalMs: 250,
  captureLines: 50,
  captureTimeoutMs: 2000,
  journalRows: 1000,
  timelineRows: 1000,
  maxMonitors: 8,
  presenceTtlMs: 30_000,
};

describe("watchtower pacing: the safety net while our own terminals type", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: START }));
  afterEach(() => mock.timers.reset());

  /**
   * A pacer on a virtual clock whose collects run at once (as the engine's do, then `scheduleSafety`), after a
   * first full collect at START; `typing` says whether our own terminals type.
   */
  function pacer(view: SafetyView) {
    const demand = new Demand();
    const collects: { at: number; full: boolean }[] = [];
    const state = { typing: false };
    const p: Pacer = new Pacer(
      config,
      demand,
      true,
      () => {
        p.cancel();
        const order = demand.take(Date.now(), false);
        collects.push({ at: Date.now() - START, full: order.full });
        p.scheduleSafety(view);
      },
      () => false,
      () => state.typing,
    );
    demand.take(START, false);
    p.scheduleSafety(view);
    const advance = (ms: number) => {
      for (let t = 0; t < ms; t += 100) mock.timers.tick(100);
    };
    return { p, demand, collects, state, advance };
  }

  const watching: SafetyView = { probeAvailable: true, liveSessions: 1, watching: false };

  test("without typing, the full collect runs on its time", () => {
    const { p, collects, advance } = pacer(watching);
    advance(FULL_EVERY + 100);
    assert.deepEqual(collects, [{ at: FULL_EVERY, full: true }]);
    p.close();
  });

  test("due while typing, it waits for the pause and runs within a recheck of it", () => {
    const { p, collects, state, advance } = pacer(watching);
    state.typing = true;
    advance(FULL_EVERY + 7000);
    assert.equal(collects.length, 0, "no collect while the typing goes on");
    state.typing = false;
    advance(SAFETY_TYPING_RECHECK_MS + 100);
    assert.equal(collects.length, 1, "one collect once the typing paused");
    assert.equal(collects[0]!.full, true, "it is the full one");
    assert.ok(collects[0]!.at >= FULL_EVERY + 7000, `at ${collects[0]!.at} ms`);
    // The next one is due a full period after it, not after its original time.
    const deferredAt = collects[0]!.at;
    advance(deferredAt + FULL_EVERY - 200 - (Date.now() - START));
    assert.equal(collects.length, 1, "the next one is a period after the deferred one");
    advance(300);
    assert.equal(collects.length, 2);
    p.close();
  });

  test("typing that never pauses waits at most SAFETY_TYPING_MAX_DEFER_MS (and a recheck)", () => {
    const { p, collects, state, advance } = pacer(watching);
    state.typing = true;
    advance(FULL_EVERY + SAFETY_TYPING_MAX_DEFER_MS + SAFETY_TYPING_RECHECK_MS + 100);
    assert.equal(collects.length, 1, "the full collect ran during the typing");
    assert.equal(collects[0]!.full, true);
    assert.ok(collects[0]!.at >= FULL_EVERY + SAFETY_TYPING_MAX_DEFER_MS, `at ${collects[0]!.at} ms`);
    p.close();
  });

  test("a collect that runs meanwhile for other output is the full one", () => {
    const { p, demand, collects, state, advance } = pacer(watching);
    state.typing = true;
    advance(FULL_EVERY + 2000);
    assert.equal(demand.fullDue, true, "the deferred full collect is marked due");
    p.request();
    advance(config.minCollectIntervalMs);
    assert.deepEqual(
      collects.map((c) => c.full),
      [true],
      "the collect for other output captured everything",
    );
    advance(FULL_EVERY - 3000);
    assert.equal(collects.length, 1, "no second full collect right after it");
    p.close();
  });

  test("a confirming listing due while typing does not wait", () => {
    const { p, demand, collects, state, advance } = pacer(watching);
    // A doubt (a tmux command that printed nothing) near the end of the period: the listing that confirms it
    // coincides with the full collect.
    advance(FULL_EVERY - 3000);
    demand.confirmDue = true;
    demand.lastCollectStart = Date.now();
    p.scheduleSafety(watching);
    state.typing = true;
    advance(3100);
    assert.deepEqual(
      collects,
      [{ at: FULL_EVERY, full: true }],
      "the listing ran on its time, typing or not",
    );
    p.close();
  });

  test("a probe that cannot watch: its frequent listings and full collects never wait", () => {
    const blind: SafetyView = { probeAvailable: false, liveSessions: 1, watching: false };
    const { p, collects, state, advance } = pacer(blind);
    state.typing = true;
    advance(config.safetyIntervalMs + 300);
    assert.ok(collects.length >= 100, `${collects.length} listings, one every 250 ms`);
    assert.ok(
      collects.some((c) => c.full && c.at <= config.safetyIntervalMs + 250),
      "the full one ran on its time",
    );
    p.close();
  });
});
