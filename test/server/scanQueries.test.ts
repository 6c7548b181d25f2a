// The pieces of the watchtower's `scan` mode (ADR 0013) against a real tmux on a private socket: the one-call
// listing with its inline captures (only panes whose window had output since a second, a pane gone since the last
// listing skipped, captures equal to capture-pane's), and the output probe on the tmux server's read counter
// (moves on pane output, not on the watchtower's own listings once rebased; unknown for a pid that is not tmux).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { after, before, describe, type TestContext, test } from "node:test";
import { Tmux } from "../../src/server/tmux/adapter.js";
import { capturePane, capturePanes, type TmuxRunner, watchListing } from "../../src/server/tmux/queries.js";
import { OutputProbe } from "../../src/server/watchtower/outputProbe.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let fx: TmuxFixture;
let run: TmuxRunner;
const NONCE = "0123456789abcdef";

before(async () => {
  fx = await startTmux();
  await fx.newSession("a");
  await fx.tmux("split-window", "-d", "-t", "=a:0");
  await fx.newSession("b");
  // Pane ids past %2 too: display-message runs its text through strftime, where %3 is a conversion.
  await fx.tmux("split-window", "-d", "-t", "=b:0");
  await fx.tmux("split-window", "-d", "-t", "=b:0");
  const tmux = new Tmux({ socketPath: fx.socket });
  run = (args, timeoutMs) => tmux.run(args, timeoutMs);
});

after(async () => {
  await fx?.close();
});

const panesOf = async (target: string) =>
  (await fx.tmux("list-panes", "-t", target, "-F", "#{pane_id} #{pane_tty}"))
    .trim()
    .split("\n")
    .map((l) => {
      const [id, tty] = l.split(" ");
      return { id: id!, tty: tty! };
    });

/** Waits until no pane's screen moves (the same fingerprints 300 ms apart), so nothing is still being written. */
async function quiet(): Promise<void> {
  let last = "";
  await waitFor(
    async () => {
      const now = JSON.stringify((await watchListing(run)).panes.map((p) => [p.paneId, p.fingerprint]));
      const same = now === last;
      last = now;
      if (!same) await new Promise((r) => setTimeout(r, 300));
      return same;
    },
    8000,
    "every pane quiet",
  );
}

describe("one-call listing (ADR 0013)", () => {
  test("sessions, windows, panes, clients and the server pid in one call", async () => {
    const listing = await watchListing(run);
    assert.deepEqual(listing.sessions.map((s) => s.name).sort(), ["a", "b"]);
    assert.equal(listing.windows.length, 2);
    assert.equal(listing.panes.length, 5);
    const pid = Number((await fx.tmux("display-message", "-p", "#{pid}")).trim());
    assert.equal(listing.serverPid, pid);
    for (const p of listing.panes) {
      assert.match(p.paneId, /^%\d+$/);
      assert.ok(p.windowActivity > 1_600_000_000, "window_activity in epoch seconds");
      assert.equal(p.fingerprint.split(" ").length, 6);
    }
    assert.equal(listing.captures.size, 0);
  });

  test("inline captures: every pane when asked for all; only windows with output since a second otherwise", async () => {
    await quiet();
    const all = (await watchListing(run)).panes.map((p) => p.paneId);
    const everything = await watchListing(run, undefined, {
      panes: all,
      activeSince: undefined,
      lines: 20,
      nonce: NONCE,
    });
    assert.deepEqual([...everything.captures.keys()].sort(), [...all].sort());
    for (const id of all) assert.equal(everything.captures.get(id), await capturePane(run, id, 20), id);

    // Nothing written since a second from now: nothing captured.
    const later = Math.floor(Date.now() / 1000) + 5;
    const none = await watchListing(run, undefined, {
      panes: all,
      activeSince: later,
      lines: 20,
      nonce: NONCE,
    });
    assert.equal(none.captures.size, 0);

    // Output in session b's pane: b's window is active since now, a's is not.
    const since = Math.floor(Date.now() / 1000);
    await new Promise((r) => setTimeout(r, 1100));
    const [b] = await panesOf("=b:0");
    writeFileSync(b!.tty, "scan-marker-42\r\n");
    const some = await waitFor(
      async () => {
        const l = await watchListing(run, undefined, {
          panes: all,
          activeSince: since + 1,
          lines: 20,
          nonce: NONCE,
        });
        return l.captures.get(b!.id)?.includes("scan-marker-42") ? l : undefined;
      },
      5000,
      "b's capture",
    );
    assert.deepEqual(
      [...some!.captures.keys()].sort(),
      (await panesOf("=b:0")).map((p) => p.id).sort(),
      "only the panes of the window that had output",
    );
  });

  test("a pane gone since the last listing is skipped, not an error, and the rest are still captured", async () => {
    const all = (await watchListing(run)).panes.map((p) => p.paneId);
    const listing = await watchListing(run, undefined, {
      panes: ["%9999", ...all, "%9998"],
      activeSince: undefined,
      lines: 5,
      nonce: NONCE,
    });
    assert.deepEqual([...listing.captures.keys()].sort(), [...all].sort());
    assert.equal(listing.sessions.length, 2);
    // The capture-only call (new panes) is the same chain.
    const only = await capturePanes(run, ["%9999", ...all], 5, NONCE);
    assert.deepEqual([...only.keys()].sort(), [...all].sort());
    for (const id of all) assert.equal(only.get(id), await capturePane(run, id, 5), id);
  });
});

describe("an empty tmux server (exit-empty off)", () => {
  test('its listing is empty, not an error (list-windows -a there says "no current target")', async () => {
    const own = await startTmux();
    try {
      await own.newSession("only");
      await own.tmux("set-option", "-s", "exit-empty", "off");
      await own.tmux("kill-session", "-t", "=only");
      const tmux = new Tmux({ socketPath: own.socket });
      const listing = await watchListing((args, t) => tmux.run(args, t));
      assert.deepEqual([listing.sessions, listing.windows, listing.panes, listing.clients], [[], [], [], []]);
    } finally {
      await own.close();
    }
  });
});

const serverPid = async (tmux: TmuxFixture) =>
  Number((await tmux.tmux("display-message", "-p", "#{pid}")).trim());

/** A probe on `tmux`'s server, closed when the test ends; undefined (the test skipped) where /proc cannot tell. */
async function probeOn(tmux: TmuxFixture, t: TestContext): Promise<OutputProbe | undefined> {
  const probe = new OutputProbe();
  t.after(() => probe.close());
  probe.setServerPid(await serverPid(tmux));
  if (probe.available) return probe;
  t.skip("/proc/<tmux pid>/io is not readable here");
  return undefined;
}

/** After output, tmux's automatic-rename reads the pane's command line once more: wait until a look finds tmux still. */
const settle = (probe: OutputProbe) =>
  waitFor(
    async () => {
      probe.check();
      await new Promise((r) => setTimeout(r, 700));
      return probe.check() === "unchanged";
    },
    8000,
    "tmux still after the output",
  );

describe("output probe (ADR 0013)", () => {
  test("moves on pane output; the watchtower's own listing does not count once rebased", async (t) => {
    const probe = await probeOn(fx, t);
    if (!probe) return;
    await quiet();
    // A listing (pane_current_command reads /proc) then a rebase: no change seen.
    await watchListing(run);
    probe.rebase();
    assert.equal(probe.check(), "unchanged");
    const [a] = await panesOf("=a:0");
    writeFileSync(a!.tty, "probe-me\r\n");
    await waitFor(() => probe.check() === "changed", 3000, "the probe to see the output");
    // A change is reported once: looks settle back to "unchanged" (tmux's automatic-rename may still read the pane's
    // command line once or twice after output, which is a change of its own: let it pass rather than race it).
    await settle(probe);
  });

  test("footprint (ADR 0021): a listing's own reads are learned; output during the calls is told apart", async (t) => {
    const probe = await probeOn(fx, t);
    if (!probe) return;
    await quiet();
    probe.beginOwn();
    await watchListing(run);
    assert.equal(probe.endOwn(), "unknown", "the first footprint is only learned");
    const listing = async () => {
      probe.beginOwn();
      await watchListing(run);
      assert.equal(probe.check(), "unchanged", "the probe does not look inside the watchtower's own calls");
      return probe.endOwn();
    };
    const listingWithOutput = async (text: string) => {
      probe.beginOwn();
      await watchListing(run);
      writeFileSync(a!.tty, text);
      // tmux reads the pane's output within a moment; the calls' end is taken after it.
      await new Promise((r) => setTimeout(r, 300));
      return probe.endOwn();
    };
    const [a] = await panesOf("=a:0");
    assert.equal(
      await listing(),
      "recheck",
      "the first footprint may hold output: the second listing rechecks",
    );
    for (let i = 0; i < 3; i++)
      assert.equal(await listing(), 0, `listing ${i + 3}: nothing read beyond the listing's own footprint`);
    const extra = await listingWithOutput("footprint-me\r\n");
    assert.ok(typeof extra === "number" && extra > 0, `output during the calls read ${extra} bytes more`);
    assert.equal(probe.check(), "unchanged", "endOwn took the new baseline");
    // The footprint just learned holds that output: the same output again during the next calls is not hidden.
    assert.equal(await listingWithOutput("footprint-me\r\n"), "recheck", "same size again: recheck");
    await settle(probe);
    assert.equal(
      await listing(),
      "unknown",
      "back to the listing alone: smaller, a second change in a row: a confirming listing later",
    );
    assert.equal(await listing(), 0, "then trusted again");
    const again = await listingWithOutput("footprint-me\r\n");
    assert.ok(typeof again === "number" && again >= 14, `output again: its 14 bytes at least (${again})`);
    await settle(probe);
    assert.equal(await listing(), "recheck", "back to the listing alone: smaller, recheck");
    assert.equal(await listing(), 0, "trusted again");
  });

  test("keeps /proc/<pid>/io and its wake-up counters open for one pid; gives them back for a new pid, a dead server, close", async (t) => {
    const own = await startTmux();
    const openOn = (pid: number) =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`/proc/${pid}/`);
        } catch {
          return false;
        }
      }).length;
    try {
      await own.newSession("kept");
      const ownPid = await serverPid(own);
      const sharedPid = await serverPid(fx);
      const probe = await probeOn(own, t);
      if (!probe) return;
      // io, schedstat and status (its voluntary switches: how often tmux woke), or io and status alone.
      const files = existsSync(`/proc/${ownPid}/schedstat`) ? 3 : 2;
      assert.equal(openOn(ownPid), files, "io and the wake-up counters' files open after the first read");
      for (let i = 0; i < 5; i++) probe.check();
      assert.equal(openOn(ownPid), files, "looks reuse the open files");
      const [pane] = (await own.tmux("list-panes", "-t", "=kept", "-F", "#{pane_tty}")).trim().split("\n");
      probe.rebase();
      writeFileSync(pane!, "kept-open\r\n");
      await waitFor(() => probe.check() === "changed", 3000, "a reused file to show the new counters");

      // Count this probe's files only (another probe may look at the shared server too).
      const othersOnShared = openOn(sharedPid);
      probe.setServerPid(sharedPid);
      assert.equal(openOn(ownPid), 0, "a new pid gives the old files back");
      assert.equal(openOn(sharedPid), othersOnShared + files, "and opens the new pid's");
      probe.setServerPid(ownPid);
      await own.tmux("kill-server").catch(() => "");
      await waitFor(() => probe.check() === "unknown", 3000, "the probe to see its server gone");
      assert.equal(openOn(ownPid), 0, "a dead server's files are closed");
      probe.setServerPid(sharedPid);
      probe.close();
      assert.equal(openOn(sharedPid), othersOnShared, "close gives the files back");
      assert.equal(probe.check(), "unknown", "a closed probe sees nothing");
    } finally {
      await own.close();
    }
  });

  test("unknown for a pid that is not a tmux server, and after the server is gone", async () => {
    const probe = new OutputProbe();
    probe.setServerPid(process.pid);
    assert.equal(probe.available, false);
    assert.equal(probe.check(), "unknown");
    probe.setServerPid(undefined);
    assert.equal(probe.check(), "unknown");
  });
});
