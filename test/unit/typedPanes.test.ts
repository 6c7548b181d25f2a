// What tmux reads for a typed pane (src/server/watchtower/typedPanes.ts), read from /proc of real processes on a
// real terminal: the terminal's foreground process group, what its leader wrote, and its command line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { spawn } from "@lydell/node-pty";
import {
  cmdlineBytes,
  foregroundGroup,
  NAME_INTERVAL_MS,
  TypedPanes,
  writtenBytes,
} from "../../src/server/watchtower/typedPanes.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("a cat on a terminal: its group, its writes since the last look, its command line once per name check", async () => {
  // cat runs as the terminal's foreground process (its own group): each line typed is echoed by the terminal
  // (not cat's writes) and written back by cat (6 bytes for "hello\n").
  const pty = spawn("cat", [], { cols: 80, rows: 24, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  let output = "";
  pty.onData((d) => {
    output += d;
  });
  try {
    const pid = pty.pid;
    await until(() => foregroundGroup(pid) === pid, "cat to lead the terminal's foreground group");
    assert.equal(cmdlineBytes(pid), "cat\0".length);
    const before = writtenBytes(pid);
    assert.equal(typeof before, "number");

    const meter = new TypedPanes();
    // The first look has no baseline for the process: nothing written counts yet; one name check.
    assert.deepEqual(meter.readSince([pid], 0), { written: 0, names: 4 });
    pty.write("hello\r");
    await until(() => output.split("hello").length === 3, "the echo and cat's copy");
    await until(() => writtenBytes(pid) === (before ?? 0) + 6, "cat's write counted");
    // 600 ms: a name check then, and one that may have been under way.
    assert.deepEqual(meter.readSince([pid], NAME_INTERVAL_MS + 100), { written: 6, names: 8 });
    // Nothing written since; a pane listed twice counts once.
    assert.deepEqual(meter.readSince([pid, pid], 100), { written: 0, names: 4 });
  } finally {
    pty.kill();
  }
});

test("what /proc cannot say counts as nothing", () => {
  const gone = 2 ** 22 + 12_345; // above pid_max's default: no such process
  assert.equal(foregroundGroup(gone), 0);
  assert.equal(foregroundGroup(0), 0);
  assert.equal(foregroundGroup(-1), 0);
  assert.equal(writtenBytes(gone), undefined);
  assert.equal(cmdlineBytes(gone), 0);
  assert.deepEqual(new TypedPanes().readSince([gone, 0], 2000), { written: 0, names: 0 });
});
