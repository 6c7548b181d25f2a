// The extension's backoff (server restarts, socket reconnects).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "../../src/extension/util/backoff.js";

test("grows by the factor up to the ceiling, without jitter", () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
  assert.deepEqual(
    Array.from({ length: 6 }, () => b.next()),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(b.attempts, 6);
});

test("reset starts again from the first delay", () => {
  const b = new Backoff({ initialMs: 50, maxMs: 10_000, jitter: 0, factor: 3 });
  b.next();
  b.next();
  b.reset();
  assert.equal(b.attempts, 0);
  assert.equal(b.next(), 50);
  assert.equal(b.next(), 150);
});

test("jitter only shortens a delay, by at most its fraction", () => {
  const low = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 1 });
  const high = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0 });
  assert.equal(low.next(), 500);
  assert.equal(high.next(), 1000);
  const real = new Backoff({ initialMs: 1000, maxMs: 1000 });
  for (let i = 0; i < 100; i++) {
    const d = real.next();
    assert.ok(d >= 800 && d <= 1000, `${d}`);
  }
});
