import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { OutputCoalescer } from "../../src/server/ws/outputCoalescer.js";

describe("OutputCoalescer", () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1000;
    mock.timers.enable({ apis: ["setTimeout"] });
  });
  afterEach(() => mock.timers.reset());
  const advance = (ms: number) => {
    clock += ms;
    mock.timers.tick(ms);
  };

  test("the first chunk after a quiet spell is sent at once", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("a"));
    assert.deepEqual(frames.map(String), ["a"]);
    advance(100);
    c.push(Buffer.from("b"));
    assert.deepEqual(frames.map(String), ["a", "b"]);
  });

  test("echoes a few milliseconds apart go out at once (typing is never delayed)", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    for (const s of ["h", "e", "l", "l", "o"]) {
      c.push(Buffer.from(s));
      advance(40);
    }
    assert.deepEqual(frames.map(String), ["h", "e", "l", "l", "o"]);
  });

  test("once the burst allowance is spent, output is gathered into one frame per interval, in order", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now, burstFrames: 2 });
    c.push(Buffer.from("1"));
    advance(1);
    c.push(Buffer.from("2"));
    for (const s of ["3", "4", "5"]) {
      advance(2);
      c.push(Buffer.from(s));
    }
    assert.deepEqual(frames.map(String), ["1", "2"]);
    advance(16);
    assert.deepEqual(frames.map(String), ["1", "2", "345"]);
  });

  test("frames never exceed the size cap; full frames go out at once", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now, maxFrameBytes: 10 });
    c.push(Buffer.from("x"));
    c.push(Buffer.from("abcdefghijklmnopqrstuvwxy"));
    assert.ok(frames.every((f) => f.length <= 10));
    advance(20);
    assert.equal(Buffer.concat(frames).toString(), "xabcdefghijklmnopqrstuvwxy");
    assert.equal(c.pendingBytes, 0);
  });

  test("under a flood of small chunks it sends at most ~60 frames a second", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    let sent = "";
    for (let i = 0; i < 1000; i++) {
      const s = `${i},`;
      sent += s;
      c.push(Buffer.from(s));
      advance(1);
    }
    advance(20);
    // 60 paced frames a second, plus the initial burst allowance and the trailing flush.
    assert.ok(frames.length <= 66, `${frames.length} frames in 1 s`);
    assert.equal(Buffer.concat(frames).toString(), sent);
  });

  test("dispose cancels the pending timer", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("a"));
    for (let i = 0; i < 8; i++) c.push(Buffer.from("b"));
    c.dispose();
    advance(100);
    assert.deepEqual(frames.map(String), ["a", "b", "b", "b"]);
    c.push(Buffer.from("c"));
    assert.equal(frames.length, 4);
  });
});
