import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { OutputCoalescer } from "../../src/server/pty/outputCoalescer.js";

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
  // What tmux sends for one echoed key: the character and a cursor update around it.
  const echo = (ch: string) => Buffer.from(`\x1b[?25l${ch}\x1b[1;5H\x1b[?25h`);

  test("the first chunk after a quiet spell is sent at once", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("a"));
    assert.deepEqual(frames.map(String), ["a"]);
    advance(100);
    c.push(Buffer.from("b"));
    assert.deepEqual(frames.map(String), ["a", "b"]);
  });

  test("echoes tens of milliseconds apart go out at once (typing is never delayed)", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    for (const s of ["h", "e", "l", "l", "o"]) {
      c.push(Buffer.from(s));
      advance(40);
    }
    assert.deepEqual(frames.map(String), ["h", "e", "l", "l", "o"]);
  });

  for (const gap of [0, 1, 2, 5, 10, 16, 17, 33, 150]) {
    test(`the echo of a key goes out at once, keys ${gap} ms apart`, () => {
      const frames: Buffer[] = [];
      const c = new OutputCoalescer((f) => frames.push(f), { now });
      for (let i = 0; i < 200; i++) {
        const ch = "xyzw"[i % 4]!;
        c.noteInput();
        advance(1); // the round trip through tmux
        const before = frames.length;
        c.push(echo(ch));
        // Sent within push itself: no timer stands between the key and its echo.
        assert.equal(frames.length, before + 1, `key ${i}: echo held back`);
        assert.equal(frames.at(-1)!.toString(), echo(ch).toString());
        advance(gap);
      }
      assert.equal(c.pendingBytes, 0);
    });
  }

  test("an echo that arrives after the next key was typed still goes out at once", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.noteInput();
    advance(3);
    c.noteInput();
    advance(2);
    c.push(echo("x"));
    assert.equal(frames.length, 1);
    advance(1);
    c.push(echo("y"));
    assert.equal(frames.length, 2);
  });

  test("a redraw answering a key (several chunks) goes out at once, up to the echo allowance", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now, echoFrames: 3 });
    c.push(Buffer.from("prompt"));
    c.noteInput();
    advance(1);
    for (const s of ["r1", "r2", "r3", "r4"]) c.push(Buffer.from(s));
    // Three frames at once; the fourth chunk is more than an answer to one key: gathered.
    assert.deepEqual(frames.map(String), ["prompt", "r1", "r2", "r3"]);
    advance(17);
    assert.deepEqual(frames.map(String), ["prompt", "r1", "r2", "r3", "r4"]);
  });

  test("sustained output without input is gathered into one frame per interval, in order", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("1"));
    for (const s of ["2", "3", "4", "5"]) {
      advance(2);
      c.push(Buffer.from(s));
    }
    assert.deepEqual(frames.map(String), ["1"]);
    advance(9);
    assert.deepEqual(frames.map(String), ["1", "2345"]);
  });

  test("frames never exceed the size cap; full frames go out at once", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now, maxFrameBytes: 10 });
    c.push(Buffer.from("x"));
    c.push(Buffer.from("abcdefghijklmnopqrstuvwxy"));
    assert.ok(frames.every((f) => f.length <= 10));
    assert.equal(frames.length, 3);
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
    // 60 gathered frames a second, plus the first chunk (after quiet) and the trailing flush.
    assert.ok(frames.length <= 63, `${frames.length} frames in 1 s`);
    assert.equal(Buffer.concat(frames).toString(), sent);
  });

  test("a flood started by a typed command is coalesced after the answer to the key", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    const chunk = Buffer.alloc(1024, "a");
    let bytes = 0;
    c.noteInput(); // the Enter of `cat big-file`
    for (let ms = 0; ms < 1000; ms++) {
      // 2 KiB per millisecond in 1 KiB reads: 2,000 chunks, 2 MB.
      c.push(chunk);
      c.push(chunk);
      bytes += 2 * chunk.length;
      advance(1);
    }
    advance(20);
    assert.equal(Buffer.concat(frames).length, bytes);
    // Sent one read at a time that would be 2,000 frames; here: the 4 frames answering the key, full 64 KiB
    // frames (2 MB / 64 KiB = 32) and at most one gathered frame per ~16.7 ms.
    assert.ok(frames.length <= 4 + 32 + 61, `${frames.length} frames`);
    assert.ok(frames.every((f) => f.length <= 64 * 1024));
  });

  test("keys typed during a flood get their answer out without unpacing the flood", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    const chunk = Buffer.alloc(1024, "a");
    for (let ms = 0; ms < 1000; ms++) {
      if (ms % 50 === 0) c.noteInput(); // key repeat, 20 keys a second
      c.push(chunk);
      advance(1);
    }
    advance(20);
    // The first chunk (after quiet), up to 4 frames per key (80) and ~60 gathered frames a second.
    assert.ok(frames.length <= 1 + 80 + 61, `${frames.length} frames`);
    assert.equal(Buffer.concat(frames).length, 1000 * chunk.length);
  });

  test("with a slow reader output is gathered and what is held stays under one frame", () => {
    const frames: Buffer[] = [];
    let backlog = 0;
    const max = 64 * 1024;
    const c = new OutputCoalescer(
      (f) => {
        frames.push(f);
        backlog += f.length; // the socket never drains
      },
      { now, backlog: () => backlog },
    );
    const chunk = Buffer.alloc(4096, "b");
    let peakHeld = 0;
    for (let i = 0; i < 4096; i++) {
      if (i % 16 === 0) c.noteInput(); // even keys do not unpace a socket that is behind
      c.push(chunk);
      peakHeld = Math.max(peakHeld, c.pendingBytes);
      if (i % 4 === 0) advance(1);
    }
    advance(20);
    assert.ok(peakHeld < max, `held ${peakHeld} bytes`);
    assert.equal(backlog, 4096 * chunk.length);
    // 16 MiB in 64 KiB frames (256), a few frames before the backlog built up, and partial ones on the timer.
    assert.ok(frames.length <= 256 + 4 + 70, `${frames.length} frames`);
    assert.ok(frames.every((f) => f.length <= max));
  });

  test("a socket that is behind gathers even an echo; once it drained, echoes are immediate again", () => {
    const frames: Buffer[] = [];
    let backlog = 1024 * 1024;
    const c = new OutputCoalescer((f) => frames.push(f), { now, backlog: () => backlog });
    c.noteInput();
    c.push(echo("x"));
    assert.equal(frames.length, 0);
    advance(17);
    assert.equal(frames.length, 1);
    backlog = 0;
    c.noteInput();
    advance(1);
    c.push(echo("y"));
    assert.equal(frames.length, 2);
  });

  test("flush sends what is held at once", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("a"));
    c.push(Buffer.from("b"));
    c.push(Buffer.from("c"));
    c.flush();
    assert.deepEqual(frames.map(String), ["a", "bc"]);
    advance(100);
    assert.equal(frames.length, 2);
  });

  test("dispose cancels the pending timer", () => {
    const frames: Buffer[] = [];
    const c = new OutputCoalescer((f) => frames.push(f), { now });
    c.push(Buffer.from("a"));
    for (let i = 0; i < 8; i++) c.push(Buffer.from("b"));
    c.dispose();
    advance(100);
    assert.deepEqual(frames.map(String), ["a"]);
    c.push(Buffer.from("c"));
    assert.equal(frames.length, 1);
  });
});
