// Name and title rules shared by server and clients (src/protocol/validate.ts, spec §0.6 plus issue 14 item 4):
// nothing tmux would read as a flag, nothing it cannot take.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  hasControlCharacter,
  isPaneTitle,
  isSessionName,
  isWindowName,
} from "../../src/protocol/validate.js";

test("window names: the spec's pattern, not beginning with '-'", () => {
  for (const ok of ["win-1", "build x", "a.b_c-d", "x -t"]) assert.ok(isWindowName(ok), ok);
  for (const bad of ["-kill-server", "-t", "-", "", "a\u0000b", "tab\tx", "a".repeat(65), "ünï"]) {
    assert.ok(!isWindowName(bad), JSON.stringify(bad));
  }
});

test("session names: the spec's pattern, not beginning with '-'", () => {
  assert.ok(isSessionName("dev-2"));
  for (const bad of ["-t", "-kill-server", "a b", "a\u0000"])
    assert.ok(!isSessionName(bad), JSON.stringify(bad));
});

test("pane titles: 1-128 code points, no control characters", () => {
  for (const ok of ["-kill-server", "✎ build 🚀", "x".repeat(128), "🚀".repeat(128)])
    assert.ok(isPaneTitle(ok), ok);
  for (const bad of [
    "",
    "a\u0000b",
    "a\nb",
    "a\rb",
    "\u001b[31m",
    "bell\u0007",
    "del\u007f",
    "c1\u009b",
    "x".repeat(129),
  ]) {
    assert.ok(!isPaneTitle(bad), JSON.stringify(bad));
  }
  assert.ok(hasControlCharacter("\u0085"));
  assert.ok(!hasControlCharacter("\u00a0é"));
});
