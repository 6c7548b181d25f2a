// The events client's reconciliation (spec §3.6, ADR 0003): ids and revisions, gaps, reconcile notices, the
// 900 ms delta throttle, overflow and missing-route fallbacks, resume queries. A fake clock drives the timers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { type Clock, Reconciler } from "../../src/extension/client/reconciler.js";
import type { ActivityDeltaResponse, InspectorPatch, SessionPatch } from "../../src/protocol/activity.js";
import type { EventEnvelope } from "../../src/protocol/events.js";

class FakeClock implements Clock {
  time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now() {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  get pending() {
    return this.timers.length;
  }
  async advance(ms: number) {
    const until = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = until;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const patch = (name: string, rev: number): SessionPatch => ({
  name,
  attached: 0,
  windows: 1,
  panes: 1,
  activityAt: "",
  lastContent: "",
  unreadWindows: 0,
  unreadPanes: 0,
  rev,
});

const delta = (globalRev: number, extra: Partial<ActivityDeltaResponse> = {}): ActivityDeltaResponse => ({
  since: 0,
  limit: 300,
  globalRev,
  overflow: false,
  changes: [],
  ...extra,
});

function setup(options: { delta?: (since: number) => Promise<ActivityDeltaResponse> } = {}) {
  const clock = new FakeClock();
  const calls = {
    deltas: [] as number[],
    reloads: [] as string[],
    patches: [] as Array<{ s?: SessionPatch[]; i?: InspectorPatch[] }>,
    events: [] as string[],
    missed: [] as string[],
  };
  const reconciler = new Reconciler(
    {
      delta: (since) => {
        calls.deltas.push(since);
        return options.delta ? options.delta(since) : Promise.resolve(delta(since));
      },
      fullReload: async (reason) => {
        calls.reloads.push(reason);
      },
      applyPatches: (s, i) => calls.patches.push({ s, i }),
      onEvent: (e) => calls.events.push(e.type),
      missed: (reason) => calls.missed.push(reason),
    },
    clock,
    900,
  );
  const event = (eventId: number, type: string, payload?: unknown): EventEnvelope => ({
    eventId,
    type,
    timestamp: "2026-01-01T00:00:00Z",
    ...(payload !== undefined ? { payload } : {}),
  });
  return { clock, calls, reconciler, event };
}

describe("reconciler", () => {
  test("the first connection loads in full; events advance the ids and carry patches", async () => {
    const { calls, reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    assert.deepEqual(calls.reloads, ["initial"]);
    reconciler.handle(event(0, "events.ready", { message: "subscribed" }));
    reconciler.handle(
      event(1, "tmux.sessions.updated", {
        action: "activity",
        sessions: ["dev"],
        globalRev: 7,
        sessionPatches: [patch("dev", 3)],
        inspectorPatches: [{ session: "dev", windows: [], panes: [] }],
      }),
    );
    reconciler.handle(
      event(2, "tmux.inspector.updated", { session: "dev", action: "select-window", index: 1 }),
    );
    assert.equal(reconciler.stats.lastEventId, 2);
    assert.equal(reconciler.stats.lastGlobalRev, 7);
    assert.equal(calls.patches.length, 1);
    assert.equal(calls.patches[0]!.s![0]!.name, "dev");
    assert.deepEqual(calls.events, ["tmux.sessions.updated", "tmux.inspector.updated"]);
    assert.deepEqual(calls.deltas, []);
  });

  test("ops events' millisecond globalRev does not move the journal revision", () => {
    const { reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(
      event(1, "tmux.activity.updated", {
        globalRev: 5,
        sessions: [],
        sessionPatches: [],
        inspectorPatches: [],
      }),
    );
    reconciler.handle(
      event(2, "ops.services.updated", { globalRev: 1_771_000_000_000, action: "registered" }),
    );
    assert.equal(reconciler.stats.lastGlobalRev, 5);
  });

  test("a gap asks for a delta since the last journal revision and applies what it returns", async () => {
    const { calls, reconciler, event } = setup({
      delta: async () => delta(12, { sessionPatches: [patch("dev", 9)] }),
    });
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(event(1, "tmux.sessions.updated", { action: "activity", globalRev: 10, sessions: [] }));
    reconciler.handle(event(4, "tmux.sessions.updated", { session: "x", action: "create" }));
    await flush();
    assert.deepEqual(calls.deltas, [10]);
    assert.equal(reconciler.stats.gaps, 1);
    assert.equal(reconciler.stats.lastEventId, 4);
    assert.equal(reconciler.stats.lastGlobalRev, 12);
    assert.equal(calls.patches.at(-1)!.s![0]!.rev, 9);
  });

  test("deltas are throttled to one per 900 ms; requests meanwhile become one trailing call", async () => {
    const { clock, calls, reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(event(1, "x.y"));
    reconciler.handle(event(3, "x.y")); // gap → delta now
    await flush();
    assert.equal(calls.deltas.length, 1);
    reconciler.handle(event(5, "x.y")); // gap → throttled
    reconciler.handle(event(7, "x.y")); // gap → same trailing call
    reconciler.requestDelta("manual");
    await clock.advance(899);
    assert.equal(calls.deltas.length, 1);
    await clock.advance(1);
    assert.equal(calls.deltas.length, 2);
    await clock.advance(5000);
    assert.equal(calls.deltas.length, 2);
    assert.equal(reconciler.stats.gaps, 3);
  });

  test("a request while a delta is in flight runs after it, still throttled", async () => {
    let release!: (d: ActivityDeltaResponse) => void;
    const { clock, calls, reconciler } = setup({
      delta: () =>
        new Promise((resolve) => {
          release = resolve;
        }),
    });
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.requestDelta("one");
    reconciler.requestDelta("two");
    assert.equal(calls.deltas.length, 1);
    await clock.advance(2000);
    assert.equal(calls.deltas.length, 1, "nothing while the first is in flight");
    release(delta(1));
    await flush();
    assert.equal(calls.deltas.length, 2, "the trailing one runs: 900 ms have passed since the first");
  });

  test("overflow reloads in full", async () => {
    const { calls, reconciler } = setup({ delta: async () => delta(50, { overflow: true }) });
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.requestDelta("test");
    await flush();
    assert.deepEqual(calls.reloads, ["initial", "delta overflow"]);
    assert.equal(reconciler.stats.lastGlobalRev, 50);
  });

  test("a server without the delta route (404) reloads in full", async () => {
    const { calls, reconciler } = setup({
      delta: async () => {
        throw Object.assign(new Error("404 page not found"), { status: 404 });
      },
    });
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.requestDelta("test");
    await flush();
    assert.deepEqual(calls.reloads, ["initial", "no delta route"]);
  });

  test("events.reconcile: continue from its lastEventId and reconcile through delta", async () => {
    const { calls, reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(event(3, "x.y"));
    reconciler.handle(
      event(0, "events.reconcile", { reason: "overflow", since: 3, lastEventId: 40, dropped: 37 }),
    );
    await flush();
    assert.equal(calls.deltas.length, 1);
    assert.equal(reconciler.stats.reconcileNotices, 1);
    assert.equal(reconciler.stats.lastEventId, 40);
    reconciler.handle(event(41, "x.y"));
    assert.equal(reconciler.stats.gaps, 0, "41 follows 40");
  });

  test("resume: the same server replays (no delta); another epoch or none means a delta and fresh ids", async () => {
    const { calls, reconciler, event } = setup();
    assert.equal(reconciler.resumeQuery(), "");
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(event(9, "x.y"));
    assert.equal(reconciler.resumeQuery(), "?since=9&epoch=e1");

    reconciler.connected({ epoch: "e1", resumed: true });
    await flush();
    assert.deepEqual(calls.deltas, [], "the server replays or says events.reconcile");
    assert.equal(reconciler.stats.lastEventId, 9);

    reconciler.connected({ epoch: "e2", resumed: true });
    await flush();
    assert.equal(calls.deltas.length, 1, "another process: reconcile");
    assert.equal(reconciler.stats.lastEventId, 0, "ids restarted with the process");
    reconciler.handle(event(1, "x.y"));
    assert.equal(reconciler.stats.gaps, 0);
  });

  test("a server without epochs (the Go seed): every reconnect reconciles", async () => {
    const { clock, calls, reconciler, event } = setup();
    reconciler.connected({ epoch: undefined, resumed: false });
    reconciler.handle(event(5, "x.y"));
    assert.equal(reconciler.resumeQuery(), "", "no replay without an epoch");
    reconciler.connected({ epoch: undefined, resumed: false });
    await flush();
    await clock.advance(1000);
    reconciler.connected({ epoch: undefined, resumed: false });
    await clock.advance(1000);
    assert.equal(calls.deltas.length, 2);
  });

  test("reset forgets everything: the next connection loads in full", async () => {
    const { calls, reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(event(5, "tmux.activity.updated", { globalRev: 5 }));
    reconciler.reset();
    assert.deepEqual(
      [reconciler.stats.lastEventId, reconciler.stats.lastGlobalRev, reconciler.resumeQuery()],
      [0, 0, ""],
    );
    reconciler.connected({ epoch: "e9", resumed: false });
    assert.deepEqual(calls.reloads, ["initial", "initial"]);
  });

  test("one 'events may have been missed' signal: first connection, a reconnect without replay, a gap, a reconcile notice", () => {
    const { calls, reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.handle(event(1, "x"));
    reconciler.handle(event(2, "x"));
    assert.deepEqual(calls.missed, ["connected"], "consecutive ids miss nothing");
    reconciler.handle(event(5, "x"));
    assert.deepEqual(calls.missed, ["connected", "gap"]);
    reconciler.connected({ epoch: "e1", resumed: true });
    assert.deepEqual(calls.missed, ["connected", "gap"], "a replay from the same server misses nothing");
    reconciler.handle(event(0, "events.reconcile", { reason: "evicted", lastEventId: 9 }));
    assert.deepEqual(calls.missed, ["connected", "gap", "reconcile"]);
    reconciler.connected({ epoch: "e2", resumed: true });
    assert.deepEqual(
      calls.missed,
      ["connected", "gap", "reconcile", "reconnected"],
      "another server process",
    );
    reconciler.handle(event(1, "x"));
    assert.deepEqual(calls.missed.length, 4, "ids start over after the new epoch without a gap");
  });

  test("seen results raise the revision and apply their patches", () => {
    const { calls, reconciler } = setup();
    reconciler.applySeen({ globalRev: 4, sessionPatches: [patch("a", 2)] });
    assert.equal(reconciler.stats.lastGlobalRev, 4);
    assert.equal(calls.patches.length, 1);
    reconciler.applySeen({ globalRev: 3 });
    assert.equal(reconciler.stats.lastGlobalRev, 4);
    assert.equal(calls.patches.length, 1);
  });

  test("after dispose nothing runs", async () => {
    const { clock, calls, reconciler, event } = setup();
    reconciler.connected({ epoch: "e1", resumed: false });
    reconciler.requestDelta("a");
    reconciler.requestDelta("b");
    reconciler.dispose();
    reconciler.handle(event(1, "x.y"));
    await clock.advance(5000);
    assert.equal(calls.deltas.length, 1);
    assert.equal(clock.pending, 0);
  });
});
