import assert from "node:assert/strict";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { framePayload, textFrame } from "../../src/server/events/frame.js";
import { EventHub, type PublishedEvent } from "../../src/server/events/hub.js";

const ids = (events: PublishedEvent[]) => events.map((e) => e.eventId);

describe("EventHub", () => {
  test("eventIds start at 1 and grow by one; the envelope omits a missing payload", () => {
    const hub = new EventHub();
    assert.equal(hub.lastEventId, 0);
    const a = hub.publish("tmux.sessions.updated", { session: "dev", action: "icon" });
    const b = hub.publish("custom.thing");
    assert.equal(a.eventId, 1);
    assert.equal(b.eventId, 2);
    assert.equal(hub.lastEventId, 2);
    assert.match(a.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(Object.keys(a), ["eventId", "type", "timestamp", "payload"]);
    assert.deepEqual(Object.keys(b), ["eventId", "type", "timestamp"]);
  });

  test("every subscriber gets the same frame, serialised once; a throwing one does not stop the others", () => {
    const hub = new EventHub();
    const got: PublishedEvent[][] = [[], [], []];
    const envelopes: unknown[] = [];
    hub.subscribe((e, envelope) => {
      got[0]!.push(e);
      envelopes.push(envelope);
    });
    hub.subscribe(() => {
      throw new Error("boom");
    });
    hub.subscribe((e) => got[1]!.push(e));
    const envelope = hub.publish("tmux.inspector.updated", {
      session: "s",
      action: "select-window",
      index: 2,
    });
    assert.equal(got[0]!.length, 1);
    assert.equal(got[0]![0], got[1]![0]);
    assert.equal(envelopes[0], envelope);
    assert.equal(got[0]![0]!.eventId, 1);
    assert.equal(got[0]![0]!.type, "tmux.inspector.updated");
    assert.equal(framePayload(got[0]![0]!.frame).toString("utf8"), JSON.stringify(envelope));
    assert.deepEqual(JSON.parse(framePayload(got[0]![0]!.frame).toString("utf8")).payload, {
      session: "s",
      action: "select-window",
      index: 2,
    });
  });

  test("whileSubscribed: the work runs from the first subscriber to the last one leaving, once at a time", () => {
    const hub = new EventHub();
    const log: string[] = [];
    const remove = hub.whileSubscribed(() => {
      log.push("start");
      return () => log.push("stop");
    });
    assert.deepEqual(log, [], "nobody listens: not started");
    const a = hub.subscribe(() => undefined);
    const b = hub.subscribe(() => undefined);
    assert.deepEqual(log, ["start"], "the first subscriber starts it, the second does not again");
    a.unsubscribe();
    assert.deepEqual(log, ["start"], "one still listens");
    b.unsubscribe();
    b.unsubscribe();
    assert.deepEqual(log, ["start", "stop"], "the last one leaving stops it, once");
    const c = hub.subscribe(() => undefined);
    assert.deepEqual(log, ["start", "stop", "start"]);
    // Added while someone listens: started at once; removed while running: stopped.
    const late: string[] = [];
    const removeLate = hub.whileSubscribed(() => {
      late.push("start");
      return () => late.push("stop");
    });
    assert.deepEqual(late, ["start"]);
    removeLate();
    assert.deepEqual(late, ["start", "stop"]);
    remove();
    assert.deepEqual(log, ["start", "stop", "start", "stop"]);
    c.unsubscribe();
    assert.deepEqual(log, ["start", "stop", "start", "stop"], "removed: not stopped twice");
    assert.deepEqual(late, ["start", "stop"]);
  });

  test("unsubscribe stops delivery", () => {
    const hub = new EventHub();
    const got: number[] = [];
    const sub = hub.subscribe((e) => got.push(e.eventId));
    hub.publish("a");
    sub.unsubscribe();
    sub.unsubscribe();
    hub.publish("b");
    assert.deepEqual(got, [1]);
    assert.equal(hub.subscriberCount, 0);
  });

  describe("since", () => {
    const filled = (n: number, options?: ConstructorParameters<typeof EventHub>[0]) => {
      const hub = new EventHub(options);
      for (let i = 0; i < n; i++) hub.publish("e", { i });
      return hub;
    };

    test("without since: live events only", () => {
      assert.deepEqual(filled(3).subscribe(() => undefined).resume, { replay: [] });
    });

    test("since = lastEventId: nothing missed", () => {
      assert.deepEqual(filled(3).subscribe(() => undefined, { since: 3 }).resume, { replay: [] });
      assert.deepEqual(filled(0).subscribe(() => undefined, { since: 0 }).resume, { replay: [] });
    });

    test("since inside the ring: the missed events, oldest first", () => {
      const { resume } = filled(5).subscribe(() => undefined, { since: 2 });
      assert.ok("replay" in resume);
      assert.deepEqual(ids(resume.replay), [3, 4, 5]);
      const all = filled(5).subscribe(() => undefined, { since: 0 }).resume;
      assert.ok("replay" in all);
      assert.deepEqual(ids(all.replay), [1, 2, 3, 4, 5]);
    });

    test("since older than the ring: reconcile (evicted)", () => {
      const hub = filled(10, { ringEvents: 4 });
      assert.equal(hub.stats().oldestEventId, 7);
      const ok = hub.subscribe(() => undefined, { since: 6 }).resume;
      assert.ok("replay" in ok);
      assert.deepEqual(ids(ok.replay), [7, 8, 9, 10]);
      assert.deepEqual(hub.subscribe(() => undefined, { since: 5 }).resume, {
        reconcile: { reason: "evicted", since: 5, lastEventId: 10 },
      });
    });

    test("since ahead of the newest id (a restarted server): reconcile (restarted)", () => {
      assert.deepEqual(filled(2).subscribe(() => undefined, { since: 40 }).resume, {
        reconcile: { reason: "restarted", since: 40, lastEventId: 2 },
      });
      assert.deepEqual(filled(0).subscribe(() => undefined, { since: 1 }).resume, {
        reconcile: { reason: "restarted", since: 1, lastEventId: 0 },
      });
    });

    test("an epoch other than this hub's means another process: reconcile (restarted), whatever the id", () => {
      const hub = filled(5);
      const other = new EventHub();
      assert.match(hub.epoch, /^[0-9a-f]{16}$/);
      assert.notEqual(hub.epoch, other.epoch);
      assert.deepEqual(hub.subscribe(() => undefined, { since: 2, epoch: other.epoch }).resume, {
        reconcile: { reason: "restarted", since: 2, lastEventId: 5 },
      });
      const same = hub.subscribe(() => undefined, { since: 2, epoch: hub.epoch }).resume;
      assert.ok("replay" in same);
      assert.deepEqual(ids(same.replay), [3, 4, 5]);
    });

    test("the ring is bounded by bytes too, and keeps the newest event however large", () => {
      const hub = new EventHub({ ringEvents: 100, ringBytes: 1000 });
      for (let i = 0; i < 50; i++) hub.publish("e", { pad: "x".repeat(100) });
      const stats = hub.stats();
      assert.ok(stats.ringBytes <= 1000, `${stats.ringBytes}`);
      assert.ok(stats.ringEvents >= 5 && stats.ringEvents < 10, `${stats.ringEvents}`);
      assert.equal(stats.oldestEventId, 50 - stats.ringEvents + 1);
      hub.publish("big", { pad: "y".repeat(5000) });
      assert.equal(hub.stats().ringEvents, 1);
      assert.equal(hub.stats().oldestEventId, 51);
    });

    test("the ring wraps around and stays ordered", () => {
      const hub = filled(1000, { ringEvents: 7 });
      const { resume } = hub.subscribe(() => undefined, { since: 995 });
      assert.ok("replay" in resume);
      assert.deepEqual(ids(resume.replay), [996, 997, 998, 999, 1000]);
      assert.equal(hub.stats().ringEvents, 7);
    });
  });

  test("stats add up the subscribers' queues and keep the drops of closed ones", () => {
    const hub = new EventHub();
    const a = hub.subscribe(() => undefined, {
      stats: () => ({ queued: 3, buffered: 900, dropped: 5, overflowing: true }),
    });
    hub.subscribe(() => undefined, {
      stats: () => ({ queued: 7, buffered: 10, dropped: 1, overflowing: false }),
    });
    hub.subscribe(() => undefined);
    assert.deepEqual(
      { ...hub.stats(), ringBytes: 0 },
      {
        subscribers: 3,
        lastEventId: 0,
        ringEvents: 0,
        ringBytes: 0,
        oldestEventId: 0,
        dropped: 6,
        overflowing: 1,
        maxQueued: 7,
        maxBuffered: 900,
      },
    );
    a.unsubscribe();
    assert.equal(hub.stats().dropped, 6);
    assert.equal(hub.stats().overflowing, 0);
    assert.equal(hub.stats().subscribers, 2);
  });
});

// ws's frame parser; exported at runtime, not in @types/ws.
type FrameReceiver = {
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  write(chunk: Buffer): void;
};
const { Receiver } = WebSocket as unknown as {
  Receiver: new (options: { isServer: boolean }) => FrameReceiver;
};

describe("textFrame", () => {
  /** Decodes with ws's own Receiver (client side: server frames arrive unmasked). */
  const decode = (frame: Buffer) =>
    new Promise<{ text: string; isBinary: boolean }>((resolve, reject) => {
      const receiver = new Receiver({ isServer: false });
      receiver.on("message", (data: Buffer, isBinary: boolean) =>
        resolve({ text: data.toString("utf8"), isBinary }),
      );
      receiver.on("error", reject);
      receiver.write(frame);
    });

  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
    test(`a ${length}-byte payload is one unmasked text frame ws decodes`, async () => {
      const text = "é".repeat(Math.floor(length / 2)) + "x".repeat(length % 2);
      assert.equal(Buffer.byteLength(text), length);
      const frame = textFrame(text);
      const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
      assert.equal(frame.length, header + length);
      assert.equal(frame[0], 0x81);
      assert.equal(frame[1]! & 0x80, 0, "not masked");
      assert.equal(framePayload(frame).toString("utf8"), text);
      assert.deepEqual(await decode(frame), { text, isBinary: false });
    });
  }
});
