// What a confined terminal types into its pane (src/server/ws/paneInput.ts): keys as they are, terminal replies
// and mouse/focus reports dropped.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { typedBytes } from "../../src/server/ws/paneInput.js";

const typed = (s: string) => typedBytes(Buffer.from(s, "latin1")).toString("latin1");

describe("typedBytes", () => {
  test("keys pass byte for byte: text, control keys, cursor and function keys, Alt, NUL, 8-bit", () => {
    for (const keys of [
      "echo hi\r",
      "\x02)\x02:\x03\x04\x00",
      "\x1b[A\x1b[1;5C\x1bOA\x1b[15~\x1b[1;2R",
      "\x1bx\x1b[\x1b]",
      "\xff\xfe",
    ]) {
      assert.equal(typed(keys), keys, JSON.stringify(keys));
    }
    const utf8 = Buffer.from("\x1b[<0;1;1M€日🙂", "utf8");
    assert.deepEqual(typedBytes(utf8), Buffer.from("€日🙂", "utf8"));
  });

  test("replies to tmux's queries, focus and mouse reports are dropped, the keys around them kept", () => {
    const cases: Array<[string, string]> = [
      ["a\x1b[>0;276;0cb", "ab"],
      ["\x1b[?1;2c", ""],
      ["\x1b[?2004;1$y", ""],
      ["\x1bP>|xterm.js(5.5.0)\x1b\\x", "x"],
      ["\x1b]11;rgb:0000/0000/0000\x1b\\", ""],
      ["\x1b]52;c;aGVsbG8=\x07", ""],
      ["\x1b[I\x1b[Ok", "k"],
      ["\x1b[<2;5;5M\x1b[<2;5;5m", ""],
      ["\x1b[<64;10;3M", ""],
      ["\x1b[M #!z", "z"],
    ];
    for (const [input, out] of cases) assert.equal(typed(input), out, JSON.stringify(input));
  });
});
