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

  test("a burst is gathered into one frame per interval, in order, nothing lost", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("1"));
    for (const s of ["2", "3", "4"]) {
      advance(2);
      c.push(Buffer.from(s));
    }
    assert.equal(frames.length, 1);
    advance(16);
    assert.deepEqual(frames.map(String), ["1", "234"]);
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
    assert.ok(frames.length <= 64, `${frames.length} frames in 1 s`);
    assert.equal(Buffer.concat(frames).toString(), sent);
  });

  test("dispose cancels the pending timer", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("a"));
    c.push(Buffer.from("b"));
    c.dispose();
    advance(100);
    assert.deepEqual(frames.map(String), ["a"]);
    c.push(Buffer.from("c"));
    assert.equal(frames.length, 1);
  });
});
