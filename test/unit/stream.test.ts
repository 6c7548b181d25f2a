// The terminal stream endpoint's framing and client messages (the second source document), without a server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeStreamFrame } from "../../src/protocol/recording.js";
import { parseStreamMessage, streamFrame, utf8Pieces } from "../../src/server/ws/streamSocket.js";

/** The document's own encoder, as written there. */
function documentEncode(text: string): ArrayBuffer {
  const data = new TextEncoder().encode(text);
  const buffer = new ArrayBuffer(5 + data.length);
  const view = new DataView(buffer);
  view.setUint8(0, 0xbf);
  view.setUint32(1, data.length, false);
  new Uint8Array(buffer, 5).set(data);
  return buffer;
}

describe("stream frames", () => {
  const samples = [
    "",
    "a",
    "$ ls -la\r\n",
    "日本語 🙂 \u001b[31mred\u001b[0m",
    "x".repeat(70_000),
    "🙂".repeat(300),
  ];
  test("byte for byte what the document's encoder makes (server and protocol encoders)", () => {
    for (const text of samples) {
      const expected = Buffer.from(documentEncode(text));
      assert.deepEqual(streamFrame(Buffer.from(text)), expected);
      assert.deepEqual(Buffer.from(encodeStreamFrame(new TextEncoder().encode(text))), expected);
    }
  });

  test("the length is big-endian over 4 bytes", () => {
    const frame = streamFrame(Buffer.alloc(0x01_02_03, 0x61));
    assert.deepEqual([...frame.subarray(0, 5)], [0xbf, 0x00, 0x01, 0x02, 0x03]);
  });
});

describe("stream client messages", () => {
  test("input, resize and ping are understood", () => {
    assert.deepEqual(parseStreamMessage('{"type":"input","data":"ls -la\\n"}'), {
      type: "input",
      data: "ls -la\n",
    });
    assert.deepEqual(parseStreamMessage('{"type":"resize","cols":120,"rows":40}'), {
      type: "resize",
      cols: 120,
      rows: 40,
    });
    assert.deepEqual(parseStreamMessage('{"type":"ping"}'), { type: "ping" });
  });

  test("anything else is unsupported data", () => {
    for (const text of [
      "not json",
      "null",
      "[]",
      '"input"',
      '{"type":"input"}',
      '{"type":"input","data":42}',
      '{"type":"resize","cols":0,"rows":10}',
      '{"type":"resize","cols":1.5,"rows":10}',
      '{"type":"resize","cols":"80","rows":24}',
      '{"type":"pong"}',
      '{"data":"x"}',
    ]) {
      assert.equal(parseStreamMessage(text).type, "invalid", text);
    }
  });
});

describe("stream frame payloads", () => {
  test("pieces stay within the frame limit and never split a character", () => {
    // 3 held-back bytes of a previous read put in front of a full 64 KiB read: 65,539 bytes.
    const text = `${"é".repeat(10)}${"語🙂a".repeat(9000)}`;
    const bytes = Buffer.from(text);
    const pieces = [...utf8Pieces(bytes, 1000)];
    assert.ok(pieces.every((p) => p.length <= 1000));
    assert.ok(
      pieces.slice(0, -1).every((p) => p.length > 996),
      "cut at most 3 bytes early",
    );
    assert.equal(Buffer.concat(pieces).toString("utf8"), text);
    assert.ok(
      pieces.every((p) => Buffer.from(p.toString("utf8")).equals(p)),
      "each piece is whole UTF-8",
    );
    const small = Buffer.from("abc");
    assert.deepEqual([...utf8Pieces(small)], [small]);
    assert.deepEqual([...utf8Pieces(Buffer.alloc(0))], []);
  });
});
