// What tmux reads beyond our own terminals' echo while they type (src/server/watchtower/echoEnvelope.ts, ADR 0027).
// The residuals below are the ones measured with a real tmux 3.3a, keys 150 ms apart and looks 600 ms apart.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  EchoEnvelope,
  ENVELOPE_LOOKS,
  ENVELOPE_MARGIN,
  ENVELOPE_MIN_LOOKS,
} from "../../src/server/watchtower/echoEnvelope.js";

/** Feeds residuals in turn; the indexes of those that stood out. */
function standing(envelope: EchoEnvelope, residuals: number[]): number[] {
  return residuals.flatMap((r, i) => (envelope.standsOut(r) ? [i] : []));
}

describe("echo envelope", () => {
  test("nothing stands out before ENVELOPE_MIN_LOOKS looks are learned", () => {
    const e = new EchoEnvelope();
    assert.deepEqual(standing(e, Array(ENVELOPE_MIN_LOOKS).fill(5000)), []);
    assert.equal(ENVELOPE_MIN_LOOKS, 4);
  });

  test("a bash prompt: its levels (0, ~24, ~48 with two cmdline reads) never stand out", () => {
    const e = new EchoEnvelope();
    // Measured: mostly 0 or 23-25, now and then 47-49 (one look that holds two of automatic-rename's reads).
    const bash = [
      20, 1, 23, 1, 25, -1, 23, 1, 24, 24, 24, 23, 48, 16, 24, 24, 24, 48, 23, 24, 24, 0, 47, 22, 49,
    ];
    assert.deepEqual(standing(e, [...bash, ...bash, ...bash]), []);
  });

  test("a short line printed elsewhere stands out, at a bash prompt and in cat", () => {
    const bash = new EchoEnvelope();
    standing(bash, [24, 0, 24, 1, 25, 0, 24]);
    // A 13-byte line elsewhere and that pane's own 25-byte cmdline read, with or without the typed pane's.
    assert.equal(bash.standsOut(24 + 13 + 25), true);
    assert.equal(bash.standsOut(13 + 25 + 24 + 1), true);
    const cat = new EchoEnvelope();
    standing(cat, [4, 0, 5, 8, 3, 9, 4]);
    assert.equal(cat.standsOut(13 + 25), true);
    assert.equal(cat.standsOut(9), false);
  });

  test("what stands out is not learned: the next line elsewhere stands out too", () => {
    const e = new EchoEnvelope();
    standing(e, [4, 0, 5, 8, 3, 9]);
    assert.deepEqual(standing(e, [40, 4, 5, 41, 3, 42, 4]), [0, 3, 5]);
  });

  test("the echo's level is the largest of the last ENVELOPE_LOOKS learned: an old high one ages out", () => {
    const e = new EchoEnvelope();
    standing(e, [30, 0, 0, 0]);
    // Up to 2 x 30 + margin: the echo (a second cmdline read), not learned.
    assert.equal(e.standsOut(2 * 30 + ENVELOPE_MARGIN), false);
    assert.equal(e.standsOut(2 * 30 + ENVELOPE_MARGIN + 1), true);
    standing(e, Array(ENVELOPE_LOOKS).fill(2));
    // 30 has aged out: the level is 2 now.
    assert.equal(e.standsOut(2 * 2 + ENVELOPE_MARGIN + 1), true);
    assert.equal(e.standsOut(2 + ENVELOPE_MARGIN), false);
  });

  test("a level above the learned one but within twice it is taken as the echo without raising the level", () => {
    const e = new EchoEnvelope();
    standing(e, [24, 24, 24, 24]);
    // 48 is within 2 x 24 + margin; if it were learned, 2 x 48 + margin would let a 13-byte line through.
    assert.deepEqual(standing(e, [48, 48, 48]), []);
    assert.equal(e.standsOut(24 + 13 + 25 + 8), true);
  });

  test("negative residuals (tmux drew more than it read) leave a level of 0: a cmdline read alone stands out", () => {
    const e = new EchoEnvelope();
    standing(e, [-3, -1, -7, -2]);
    assert.equal(e.standsOut(ENVELOPE_MARGIN), false);
    assert.equal(e.standsOut(ENVELOPE_MARGIN + 1), true);
  });

  test("reset: the next stretch of typing learns afresh", () => {
    const e = new EchoEnvelope();
    standing(e, [0, 0, 0, 0]);
    assert.equal(e.standsOut(40), true);
    e.reset();
    assert.deepEqual(standing(e, [40, 40, 40, 40, 40]), []);
  });
});
