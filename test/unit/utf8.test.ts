// UTF-8 of terminal output across PTY read boundaries (src/server/pty/utf8.ts): the streaming decoder that
// recordings write cast events with, and the byte-level chunker and repair the stream endpoint frames with.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Utf8Chunker, Utf8StreamDecoder, utf8CompleteLength, wellFormed } from "../../src/server/pty/utf8.js";

const SAMPLE = "ASCII é ñ 日本語 中文 🙂🚀 👩‍💻 \u001b[31mred\u001b[0m \r\n tab\t end";

function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** `bytes` cut into random chunks of 1 to 5 bytes. */
function randomSplit(bytes: Buffer, next: () => number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(next() * 5);
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  return parts;
}

/** Every split of `bytes` into two chunks, and a few random multi-way splits. */
function* splits(bytes: Buffer): Generator<Buffer[]> {
  for (let i = 0; i <= bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
  const next = random(7);
  for (let round = 0; round < 200; round++) yield randomSplit(bytes, next);
}

/** No lone surrogate: what a cast line (JSON) needs. */
const noLoneSurrogate = (text: string) => !/\p{Cs}/u.test(text);

const decodeAll = (parts: Buffer[]) => {
  const decoder = new Utf8StreamDecoder();
  return parts.map((p) => decoder.write(p)).join("") + decoder.end();
};

describe("UTF-8 across chunk edges", () => {
  test("utf8CompleteLength holds back exactly an incomplete last character", () => {
    const emoji = Buffer.from("🙂"); // 4 bytes
    const cjk = Buffer.from("日"); // 3 bytes
    for (const char of [emoji, cjk, Buffer.from("é")]) {
      for (let cut = 1; cut < char.length; cut++) {
        const bytes = Buffer.concat([Buffer.from("ab"), char.subarray(0, cut)]);
        assert.equal(utf8CompleteLength(bytes), 2, `${char.toString()} cut after ${cut}`);
      }
      assert.equal(utf8CompleteLength(Buffer.concat([Buffer.from("ab"), char])), 2 + char.length);
    }
    assert.equal(utf8CompleteLength(Buffer.from("plain")), 5);
    assert.equal(utf8CompleteLength(Buffer.alloc(0)), 0);
    // Stray continuation bytes are not held back forever: they are complete (invalid) data.
    assert.equal(utf8CompleteLength(Buffer.from([0x41, 0x80, 0x80, 0x80])), 4);
  });

  test("the streaming decoder gives back the text exactly, however the bytes are cut", () => {
    const bytes = Buffer.from(SAMPLE);
    for (const parts of splits(bytes)) {
      const decoder = new Utf8StreamDecoder();
      const out = parts.map((p) => decoder.write(p));
      assert.equal(out.join("") + decoder.end(), SAMPLE);
      // Each event's text is whole characters: nothing is replaced, nothing is split.
      assert.ok(out.every((text) => !text.includes("\ufffd") && noLoneSurrogate(text)));
    }
  });

  test("an incomplete character at the very end becomes U+FFFD at end(); invalid bytes too", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.write(Buffer.from([0x61, 0xf0, 0x9f])), "a");
    assert.equal(decoder.end(), "\ufffd");
    assert.equal(decoder.end(), "", "empty after end()");
    assert.equal(new Utf8StreamDecoder().write(Buffer.from([0x61, 0xff, 0x62])), "a\ufffdb");
  });

  test("a byte order mark at the start is output like any other character", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.write(Buffer.from("\ufeffa")), "\ufeffa");
  });

  test("any bytes, valid or not, cut anywhere: the same text as decoding them whole, without lone surrogates", () => {
    // Lead bytes of every length, continuation bytes, bytes never valid in UTF-8 (C0, C1, F5-FF), surrogates' ED A0.
    const pool = [0x41, 0x0a, 0x1b, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc3, 0xdf, 0xe0, 0xe6, 0xed, 0xf0];
    pool.push(0xf4, 0xf5, 0xff);
    const next = random(11);
    for (let round = 0; round < 5000; round++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(next() * 16) }, () => pool[Math.floor(next() * pool.length)]!),
      );
      const text = decodeAll(randomSplit(bytes, next));
      assert.equal(text, bytes.toString("utf8"), bytes.toString("hex"));
      assert.ok(noLoneSurrogate(text));
    }
  });

  test("the chunker cuts only between characters and passes the bytes through unchanged", () => {
    const bytes = Buffer.from(SAMPLE);
    const strict = new TextDecoder("utf-8", { fatal: true });
    for (const parts of splits(bytes)) {
      const chunker = new Utf8Chunker();
      const out = parts.map((p) => chunker.push(p));
      out.push(chunker.end());
      for (const chunk of out) strict.decode(chunk); // throws on a split character
      assert.deepEqual(Buffer.concat(out), bytes);
    }
  });

  test("wellFormed: valid UTF-8 passes unchanged (same buffer); invalid sequences become U+FFFD", () => {
    const valid = Buffer.from("日本語 🙂 \u001b[0m");
    assert.equal(wellFormed(valid), valid);
    const cut = Buffer.concat([Buffer.from("ab"), Buffer.from("語").subarray(0, 2), Buffer.from("\u001b[K")]);
    assert.equal(wellFormed(cut).toString("utf8"), "ab\ufffd\u001b[K");
  });
});
