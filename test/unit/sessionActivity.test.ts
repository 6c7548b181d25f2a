// session.activity ops timeline entries (issue 14 item 2, spec §4.1 step 11, §8): the recorder turns the
// watchtower's `tmux.timeline.updated {sessions}` into ops timeline rows, at most one per session per interval,
// with what came during an interval written once when it ends. Real EventHub, real OpsTimeline on a real store.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { EventHub } from "../../src/server/events/hub.js";
import { SessionActivityRecorder } from "../../src/server/ops/timeline/sessionActivity.js";
import { OpsTimeline } from "../../src/server/ops/timeline/timeline.js";
import { Store } from "../../src/server/store/database.js";

const dirs: string[] = [];
const stores: Store[] = [];
after(() => {
  for (const s of stores) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(intervalMs: number) {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-activity-"));
  dirs.push(dir);
  const store = Store.open(join(dir, "sentinel.db"));
  stores.push(store);
  const events = new EventHub();
  const timeline = new OpsTimeline(store, events);
  const recorder = new SessionActivityRecorder(events, timeline, { intervalMs });
  const entries = (resource?: string) =>
    timeline.search({ eventType: "session.activity", ...(resource ? { resource } : {}), limit: 500 }).events;
  return { events, timeline, recorder, entries };
}

const waitFor = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("SessionActivityRecorder", () => {
  test("one entry per session in tmux.timeline.updated, shaped as the Go server writes it, no event of its own", () => {
    const { events, recorder, entries } = setup(60_000);
    const before = events.lastEventId;
    events.publish("tmux.timeline.updated", { sessions: ["a", "b", " ", ""] });
    assert.equal(
      events.lastEventId,
      before + 1,
      "no ops.timeline.updated per entry (the Go server sends none)",
    );
    const a = entries("a");
    assert.equal(a.length, 1);
    assert.equal(a[0]!.source, "watchtower");
    assert.equal(a[0]!.severity, "info");
    assert.equal(a[0]!.resource, "a");
    assert.equal(a[0]!.message, "Terminal activity detected in a");
    assert.equal(a[0]!.details, "");
    assert.equal(entries("b").length, 1);
    assert.equal(entries().length, 2, "blank names are skipped");
    assert.equal(events.subscriberCount, 0, "the recorder is not an event subscriber");
    recorder.close();
    events.publish("tmux.timeline.updated", { sessions: ["c"] });
    assert.equal(entries("c").length, 0, "nothing after close");
  });

  test("debounced: activity within the interval adds no entry; other sessions are not held back", () => {
    const { events, recorder, entries } = setup(60_000);
    for (let i = 0; i < 20; i++) events.publish("tmux.timeline.updated", { sessions: ["busy"] });
    events.publish("tmux.timeline.updated", { sessions: ["busy", "other"] });
    assert.equal(entries("busy").length, 1);
    assert.equal(entries("other").length, 1);
    recorder.close();
  });

  test("what came during an interval is written once when it ends", async () => {
    const { events, recorder, entries } = setup(1000);
    events.publish("tmux.timeline.updated", { sessions: ["s"] });
    for (let i = 0; i < 5; i++) events.publish("tmux.timeline.updated", { sessions: ["s"] });
    // Inside the interval (or at least no more than the leading entry plus one trailing one).
    assert.ok(entries("s").length <= 2);
    await waitFor(() => entries("s").length === 2, "the trailing entry");
    // Nothing further without new activity.
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(entries("s").length, 2);
    recorder.close();
  });

  test("interval 0: every collect's sessions are written, like the Go server's one per tick", () => {
    const { events, recorder, entries } = setup(0);
    for (let i = 0; i < 3; i++) events.publish("tmux.timeline.updated", { sessions: ["x"] });
    assert.equal(entries("x").length, 3);
    recorder.close();
  });
});
