import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { Outbox, type OutboxOptions } from "../../src/server/events/outbox.js";

/** A socket stand-in whose congestion the test sets; it records what was sent. */
class Sink {
  bufferedAmount = 0;
  readonly sent: string[] = [];
  send(frame: Buffer) {
    this.sent.push(frame.toString("utf8"));
  }
}

const f = (s: string) => Buffer.from(s, "utf8");

describe("Outbox", () => {
  let sink: Sink;
  let lastEventId: number;
  const events: Array<[string, number]> = [];
  const make = (options: Partial<OutboxOptions> = {}, cursor = 0) =>
    new Outbox(
      sink,
      {
        maxQueued: 3,
        highWatermark: 100,
        drainPollMs: 10,
        overflowNotice: (since, dropped) => ({
          frame: f(`notice since=${since} dropped=${dropped} last=${lastEventId}`),
          lastEventId,
        }),
        onOverflow: (state, dropped) => events.push([state, dropped]),
        ...options,
      },
      cursor,
    );

  beforeEach(() => {
    sink = new Sink();
    lastEventId = 0;
    events.length = 0;
    mock.timers.enable({ apis: ["setTimeout"] });
  });
  afterEach(() => mock.timers.reset());

  test("sends at once while the socket keeps up, and moves the cursor", () => {
    const box = make({}, 7);
    assert.equal(box.cursor, 7);
    assert.equal(box.push(f("ready")), true);
    assert.equal(box.cursor, 7);
    assert.equal(box.push(f("e8"), 8), true);
    assert.deepEqual(sink.sent, ["ready", "e8"]);
    assert.equal(box.cursor, 8);
    assert.equal(box.queued, 0);
  });

  test("queues while the socket is congested and drains in order once it is not", () => {
    const box = make({ maxQueued: 5 });
    sink.bufferedAmount = 101;
    box.push(f("e1"), 1);
    box.push(f("ack"));
    box.push(f("e2"), 2);
    assert.deepEqual(sink.sent, []);
    assert.equal(box.queued, 3);
    assert.equal(box.cursor, 2);
    mock.timers.tick(10);
    assert.deepEqual(sink.sent, [], "still congested");
    sink.bufferedAmount = 0;
    // A frame pushed while others wait goes behind them, not ahead.
    box.push(f("e3"), 3);
    assert.deepEqual(sink.sent, []);
    mock.timers.tick(10);
    assert.deepEqual(sink.sent, ["e1", "ack", "e2", "e3"]);
    assert.equal(box.queued, 0);
    assert.equal(box.isOverflowing, false);
    box.push(f("e4"), 4);
    assert.equal(sink.sent.at(-1), "e4");
  });

  test("a full queue starts an overflow: events are dropped until it drains, then one notice, then live", () => {
    const box = make();
    sink.bufferedAmount = 1000;
    for (let id = 1; id <= 3; id++) assert.equal(box.push(f(`e${id}`), id), true);
    assert.equal(box.cursor, 3);
    assert.equal(box.push(f("e4"), 4), false);
    assert.equal(box.isOverflowing, true);
    assert.deepEqual(events, [["start", 0]]);
    // Once overflowing, even with room again, events keep being dropped: one gap, not many.
    sink.bufferedAmount = 0;
    assert.equal(box.push(f("e5"), 5), false);
    assert.equal(box.queued, 3);
    lastEventId = 6;
    assert.equal(box.push(f("e6"), 6), false);
    mock.timers.tick(10);
    assert.deepEqual(sink.sent, ["e1", "e2", "e3", "notice since=3 dropped=3 last=6"]);
    assert.equal(box.isOverflowing, false);
    assert.equal(box.cursor, 6);
    assert.deepEqual(events, [
      ["start", 0],
      ["end", 3],
    ]);
    assert.equal(box.push(f("e7"), 7), true);
    assert.equal(sink.sent.at(-1), "e7");
    assert.equal(box.dropped, 3);
  });

  test("the notice waits until the socket has room", () => {
    const box = make({ maxQueued: 1 });
    sink.bufferedAmount = 1000;
    box.push(f("e1"), 1);
    box.push(f("e2"), 2);
    sink.bufferedAmount = 50;
    mock.timers.tick(10);
    assert.deepEqual(sink.sent, ["e1", "notice since=1 dropped=1 last=0"]);
    // e1 went out, the socket filled up again before the notice could.
    const box2 = make({ maxQueued: 1 });
    sink.sent.length = 0;
    sink.bufferedAmount = 1000;
    box2.push(f("a1"), 1);
    box2.push(f("a2"), 2);
    const send = sink.send.bind(sink);
    sink.send = (frame) => {
      send(frame);
      sink.bufferedAmount = 1000;
    };
    sink.bufferedAmount = 0;
    mock.timers.tick(10);
    assert.deepEqual(sink.sent, ["a1"]);
    assert.equal(box2.isOverflowing, true);
    sink.bufferedAmount = 0;
    mock.timers.tick(10);
    assert.deepEqual(sink.sent, ["a1", "notice since=1 dropped=1 last=0"]);
  });

  test("replies are never counted as dropped events and do not start an overflow", () => {
    const box = make({ maxQueued: 1 });
    sink.bufferedAmount = 1000;
    assert.equal(box.push(f("r1")), true);
    assert.equal(box.push(f("r2")), false);
    assert.equal(box.droppedReplies, 1);
    assert.equal(box.dropped, 0);
    assert.equal(box.isOverflowing, false);
  });

  test("the queue never holds more than maxQueued frames, however many are pushed", () => {
    const box = make({ maxQueued: 50 });
    sink.bufferedAmount = 1000;
    for (let id = 1; id <= 10_000; id++) box.push(f(`e${id}`), id);
    assert.equal(box.queued, 50);
    assert.equal(box.dropped, 9950);
  });

  test("partial drains keep the order across many rounds", () => {
    const box = make({ maxQueued: 10 });
    let budget = 0;
    const send = sink.send.bind(sink);
    sink.send = (frame) => {
      send(frame);
      if (--budget <= 0) sink.bufferedAmount = 1000;
    };
    sink.bufferedAmount = 1000;
    let next = 1;
    for (let round = 0; round < 200; round++) {
      while (box.queued < 10) box.push(f(`e${next}`), next++);
      budget = 3;
      sink.bufferedAmount = 0;
      mock.timers.tick(10);
    }
    const got = sink.sent.map((s) => Number(s.slice(1)));
    assert.equal(got.length, 600);
    assert.deepEqual(
      got,
      got.map((_, i) => i + 1),
    );
  });

  test("kick drains at once, without waiting for the poll", () => {
    const box = make({ drainPollMs: 1000 });
    sink.bufferedAmount = 1000;
    box.push(f("e1"), 1);
    box.push(f("e2"), 2);
    box.kick();
    assert.deepEqual(sink.sent, [], "still congested");
    sink.bufferedAmount = 0;
    box.kick();
    assert.deepEqual(sink.sent, ["e1", "e2"]);
    box.kick();
    mock.timers.tick(1000);
    assert.deepEqual(sink.sent, ["e1", "e2"]);
  });

  test("dispose drops the queue and stops the timer", () => {
    const box = make();
    sink.bufferedAmount = 1000;
    box.push(f("e1"), 1);
    box.dispose();
    sink.bufferedAmount = 0;
    mock.timers.tick(100);
    assert.deepEqual(sink.sent, []);
    assert.equal(box.push(f("e2"), 2), false);
    assert.deepEqual(sink.sent, []);
  });
});
