// The output probe's reading of /proc (ADR 0013, ADR 0022) on files laid out like the kernel's: `rchar` from io
// and the wake-up count from schedstat's third field, or from status's voluntary_ctxt_switches where there is no
// schedstat; a file that does not read as expected makes the probe say "unknown", never a wrong number.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { OutputProbe } from "../../src/server/watchtower/outputProbe.js";

const PID = 4242;

function fakeProc(files: Record<string, string>): { root: string; write(name: string, text: string): void } {
  const root = mkdtempSync(join(tmpdir(), "sentinel-proc-"));
  mkdirSync(join(root, String(PID)));
  const write = (name: string, text: string) => writeFileSync(join(root, String(PID), name), text);
  write("comm", "tmux: server\n");
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { root, write };
}

/** A probe on a fake /proc holding `files`, set to its pid; both removed after the test. */
function probeOver(t: TestContext, files: Record<string, string>) {
  const proc = fakeProc(files);
  t.after(() => rmSync(proc.root, { recursive: true, force: true }));
  const probe = new OutputProbe(proc.root);
  t.after(() => probe.close());
  probe.setServerPid(PID);
  return { proc, probe };
}

const io = (rchar: number) =>
  `rchar: ${rchar}\nwchar: 1076\nsyscr: 120\nsyscw: 33\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n`;
const status = (switches: number) =>
  `Name:\ttmux: server\nState:\tS (sleeping)\nPid:\t${PID}\nvoluntary_ctxt_switches:\t${switches}\nnonvoluntary_ctxt_switches:\t7\n`;
const schedstat = (runs: number) => `7596311 811508 ${runs}\n`;

test("reads rchar and schedstat's run count; a move in either is a change, with the bytes read", (t) => {
  const { proc, probe } = probeOver(t, { io: io(18269), schedstat: schedstat(8), status: status(99) });
  assert.equal(probe.available, true);
  assert.equal(probe.check(), "unchanged");
  proc.write("schedstat", schedstat(9));
  assert.equal(probe.check(), "changed", "tmux woke (a CLI command)");
  assert.equal(probe.readBytes, 0);
  // A shorter text than before: the stale bytes after it are never read.
  proc.write("io", io(18300).replace("wchar: 1076\n", ""));
  proc.write("schedstat", "7596999 811508 9\n");
  assert.equal(probe.check(), "changed");
  assert.equal(probe.readBytes, 31);
  proc.write("status", status(100));
  assert.equal(probe.check(), "unchanged", "status is not read while schedstat is there");
});

test("how often tmux woke: its sleeps (voluntary switches), not schedstat's runs, which count preemptions", (t) => {
  const { proc, probe } = probeOver(t, { io: io(700), schedstat: schedstat(20), status: status(50) });
  const before = Date.now();
  // One wake-up preempted once: two runs, one sleep.
  proc.write("schedstat", schedstat(22));
  proc.write("status", status(51));
  assert.equal(probe.check(), "changed");
  assert.equal(probe.wakes, 1);
  assert.ok(
    probe.since >= before - 1 && probe.since <= Date.now(),
    "since: when the counters before were read",
  );
  // A look that saw nothing is the next one's start.
  assert.equal(probe.check(), "unchanged");
  const still = Date.now();
  proc.write("schedstat", schedstat(25));
  proc.write("status", status(54));
  assert.equal(probe.check(), "changed");
  assert.equal(probe.wakes, 3);
  assert.ok(probe.since >= still - 1, "since: the unchanged look");
  // A move that read bytes does not count the sleeps (status is not read for it): unknown, not a tick…
  proc.write("schedstat", schedstat(27));
  proc.write("status", status(56));
  proc.write("io", io(740));
  assert.equal(probe.check(), "changed");
  assert.ok(Number.isNaN(probe.wakes));
  // …and the next move right after it neither; a still look in between counts them again.
  proc.write("schedstat", schedstat(28));
  proc.write("status", status(57));
  assert.equal(probe.check(), "changed");
  assert.ok(Number.isNaN(probe.wakes));
  assert.equal(probe.check(), "unchanged");
  proc.write("schedstat", schedstat(29));
  proc.write("status", status(58));
  assert.equal(probe.check(), "changed");
  assert.equal(probe.wakes, 1);
});

test("while tmux has not run (schedstat still), io is not read: it cannot have read anything", (t) => {
  const { proc, probe } = probeOver(t, { io: io(900), schedstat: schedstat(5), status: status(5) });
  proc.write("io", io(950));
  assert.equal(probe.check(), "unchanged");
  // It ran (its time on a CPU moved, the runs not: it never slept): io is read.
  proc.write("schedstat", "7596999 811508 5\n");
  assert.equal(probe.check(), "changed");
  assert.equal(probe.readBytes, 50);
});

test("without schedstat, status's voluntary_ctxt_switches counts the wake-ups", (t) => {
  const { proc, probe } = probeOver(t, { io: io(500), status: status(10) });
  assert.equal(probe.available, true);
  proc.write("status", status(11));
  assert.equal(probe.check(), "changed");
  assert.equal(probe.wakes, 1);
  assert.equal(probe.check(), "unchanged");
});

test("files that do not read as expected make the probe unknown", (t) => {
  for (const files of <Record<string, string>[]>[
    { io: "wchar: 5\n", schedstat: schedstat(1) },
    { io: io(1), schedstat: "7596311 811508\n" },
    { io: io(1), status: "Name:\ttmux\n" },
    { io: "", schedstat: "" },
  ]) {
    const proc = fakeProc(files);
    t.after(() => rmSync(proc.root, { recursive: true, force: true }));
    const probe = new OutputProbe(proc.root);
    probe.setServerPid(PID);
    assert.equal(probe.available, false, JSON.stringify(files));
    assert.equal(probe.check(), "unknown");
    probe.close();
  }
});
