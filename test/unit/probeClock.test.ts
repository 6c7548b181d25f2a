// When the scan probe looks (src/server/watchtower/probeClock.ts, ADR 0023): the fast beat while tmux moves for
// someone else, the slow one once it has been still for PROBE_SETTLE_MS, the fast one again at the first move.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import {
  AWAKE_CHECK_PERIODS,
  AWAKE_LOOK_PERIODS,
  PROBE_SETTLE_MS,
  ProbeClock,
} from "../../src/server/watchtower/probeClock.js";

describe("probe clock", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setImmediate"] }));
  afterEach(() => mock.timers.reset());

  /** A clock whose looks are counted, on a virtual time that the test advances with `advance`. */
  function clock(fastMs: number, slowMs: number) {
    let now = 0;
    const looks: number[] = [];
    const c = new ProbeClock(
      fastMs,
      slowMs,
      () => looks.push(now),
      () => now,
    );
    const advance = (ms: number, step = 10) => {
      for (let t = 0; t < ms; t += step) {
        now += step;
        mock.timers.tick(step);
      }
    };
    return { c, looks, advance, time: () => now };
  }

  /** Our own terminal typing a key every `gapMs` for `ms`: the clock is told it is awake at each key. */
  function typing(t: ReturnType<typeof clock>, gapMs: number, ms: number) {
    for (let at = 0; at < ms; at += gapMs) {
      t.c.awake();
      t.advance(gapMs, 1);
    }
  }

  test("looks fast from the start, then slowly once tmux has been still for the settle time", () => {
    const { c, looks, advance } = clock(50, 200);
    c.start();
    assert.equal(c.period, 50);
    advance(PROBE_SETTLE_MS - 50);
    assert.equal(c.period, 50, "still fast before the settle time");
    assert.equal(looks.length, PROBE_SETTLE_MS / 50 - 1);
    advance(50);
    assert.equal(c.period, 200, "slow at the settle time");
    const before = looks.length;
    advance(2000);
    assert.equal(looks.length - before, 10, "five looks a second on the slow beat");
    c.close();
  });

  test("a move brings the fast beat back at once and restarts the settle time", () => {
    const { c, looks, advance } = clock(50, 200);
    c.start();
    advance(PROBE_SETTLE_MS + 100);
    assert.equal(c.period, 200);
    c.moved();
    assert.equal(c.period, 50);
    const before = looks.length;
    advance(1000);
    assert.equal(looks.length - before, 20, "twenty looks a second again");
    c.moved();
    advance(PROBE_SETTLE_MS - 50);
    assert.equal(c.period, 50, "a move restarts the settle time");
    advance(100);
    assert.equal(c.period, 200);
    c.close();
  });

  test("a slow beat no slower than the fast one never changes the period", () => {
    const { c, advance } = clock(50, 50);
    c.start();
    advance(PROBE_SETTLE_MS * 3);
    assert.equal(c.period, 50);
    c.close();
  });

  test("while our own terminal types, the looks ride on its keys, AWAKE_LOOK_PERIODS apart: no timed look", () => {
    const t = clock(50, 150);
    t.c.start();
    t.advance(PROBE_SETTLE_MS + 100);
    assert.equal(t.c.period, 150);
    const before = t.looks.length;
    const start = t.time();
    typing(t, 150, 3000);
    const n = t.looks.length - before;
    for (const at of t.looks.slice(before)) {
      assert.ok((at - start) % 150 <= 1, `the look at ${at - start} ms rode on a key (keys every 150 ms)`);
    }
    const spacing = 150 * AWAKE_LOOK_PERIODS;
    assert.ok(
      n >= Math.floor(3000 / spacing) - 1 && n <= Math.ceil(3000 / spacing),
      `keys 150 ms apart for 3 s: a look every ${spacing} ms (${n})`,
    );
    const fast = t.looks.length;
    typing(t, 33, 1980);
    const m = t.looks.length - fast;
    assert.ok(m >= 2 && m <= 4, `keys 33 ms apart for 2 s: a look every ${spacing} ms (${m})`);
    const idle = t.looks.length;
    t.advance(150 * AWAKE_CHECK_PERIODS + 1000);
    assert.ok(t.looks.length - idle >= 2, "typing stops: the timer looks again");
    t.c.close();
  });

  test("typing does not move the timer at each key: it is set once per check while the keys carry the looks", () => {
    // A timer moved later still wakes the server at its old time (Node keeps the earlier libuv timer), so the
    // count of timers set is the count of wake-ups the clock causes.
    const t = clock(50, 150);
    t.c.start();
    t.advance(PROBE_SETTLE_MS + 100);
    const before = t.c.timers;
    typing(t, 150, 6000);
    const set = t.c.timers - before;
    const checks = Math.ceil(6000 / (150 * AWAKE_CHECK_PERIODS));
    assert.ok(
      set <= checks + 1,
      `${set} timers set for 40 keys (a check every ${AWAKE_CHECK_PERIODS} periods: ${checks})`,
    );
    t.c.close();
  });

  test("once typing stops, the beat is back within the check's periods", () => {
    const t = clock(50, 150);
    t.c.start();
    t.advance(PROBE_SETTLE_MS + 100);
    for (const gap of [150, 33, 5]) {
      typing(t, gap, 2000);
      const stopped = t.looks.length;
      t.advance(150 * (AWAKE_CHECK_PERIODS + 1), 1);
      assert.ok(
        t.looks.length > stopped,
        `keys ${gap} ms apart: a timed look within ${AWAKE_CHECK_PERIODS + 1} periods`,
      );
      const resumed = t.looks.length;
      t.advance(1500, 1);
      assert.equal(
        t.looks.length - resumed,
        10,
        `keys ${gap} ms apart: then the slow beat, a look every 150 ms`,
      );
    }
    t.c.close();
  });

  test("a look while awake keeps the fast beat's timer when tmux moves for someone else", () => {
    // Keys sparser than the beat: the timer still looks on the beat between them.
    const t = clock(50, 150);
    t.c.start();
    t.advance(200);
    assert.equal(t.c.period, 50);
    const before = t.looks.length;
    for (let i = 0; i < 10; i++) {
      t.c.moved();
      t.c.awake();
      t.advance(150, 1);
    }
    const n = t.looks.length - before;
    assert.ok(n >= 25, `keys 150 ms apart on a 50 ms beat: ${n} looks in 1.5 s`);
    t.c.close();
  });

  test("close stops the looks, and a move after it starts nothing", () => {
    const { c, looks, advance } = clock(50, 200);
    c.start();
    advance(100);
    c.close();
    const before = looks.length;
    c.moved();
    advance(1000);
    assert.equal(looks.length, before);
    assert.equal(c.period, 0);
  });
});
