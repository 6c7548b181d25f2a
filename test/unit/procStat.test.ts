// The /proc/<pid>/stat fields the server reads (src/server/procStat.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseStat } from "../../src/server/procStat.js";

test("/proc/<pid>/stat is parsed after the last parenthesis", () => {
  const line = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100";
  assert.deepEqual(parseStat(line), { zombie: false, pgrp: 4242, tpgid: -1, startTime: 987654 });
  const zombie = "7 (z) Z 1 7 7 34816 7 4194560 100 0 0 0 0 0 0 0 20 0 1 0 42 1000 100";
  assert.deepEqual(parseStat(zombie), { zombie: true, pgrp: 7, tpgid: 7, startTime: 42 });
  assert.equal(parseStat("garbage"), undefined);
  assert.equal(parseStat("1 (x) S"), undefined);
});

test("this process's own stat: its process group", () => {
  const stat = parseStat(readFileSync("/proc/self/stat", "latin1"));
  assert.ok(stat);
  assert.equal(stat.zombie, false);
  assert.ok(stat.pgrp > 0 && stat.startTime > 0);
});
