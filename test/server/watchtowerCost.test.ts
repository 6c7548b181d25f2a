// What the watchtower costs (issue 17, ADR 0019), against the real server and a real tmux on a private socket:
// typing in a terminal this server attaches costs no collect per key (the user sees the echo already), and the
// projection follows once the typing pauses, while output elsewhere during the typing is still seen at once; an
// idle server wakes tmux for nothing (no listing, no recovery call) and writes nothing to its store, and a rename
// with the tmux CLI is still seen at once; a pane that keeps printing the same line is collected at the slower pace.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { CLEAN_SHELL, startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
let tmuxPid: number;

before(async () => {
  tmux = await startTmux();
  for (const name of ["typed", "other", "idle"]) await tmux.newSession(name);
  tmuxPid = Number((await tmux.tmux("display-message", "-p", "#{pid}")).trim());
  server = await startServer({
    tmuxSocket: tmux.socket,
    // No full collect during the test (it writes its counters); recovery collects often: it must take the
    // watchtower's listing, not call tmux, and write nothing new.
    env: { SENTINEL_RECOVERY_SNAPSHOT_INTERVAL: "300ms", SENTINEL_WATCHTOWER_SAFETY_INTERVAL: "1h" },
  });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Committed write transactions of the store (the SQLite file's change counter, header bytes 24-27). */
const commits = () => readFileSync(join(server.dataDir, "sentinel.db")).readUInt32BE(24);
/** How often the tmux server woke up (a CLI call wakes it several times; an idle server with no client never). */
const tmuxWakeups = () =>
  Number(/^voluntary_ctxt_switches:\s*(\d+)$/m.exec(readFileSync(`/proc/${tmuxPid}/status`, "latin1"))![1]);

async function get<T>(path: string): Promise<T> {
  const res = await server.api(path);
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

const engine = async () =>
  (await get<{ engine: { collects: number; statusTicks: number } }>("/api/tmux/activity/stats")).engine;
const collects = async () => (await engine()).collects;
const preview = async (session: string) =>
  (await get<{ panes: Array<{ tailPreview: string }> }>(`/api/tmux/sessions/${session}/panes`)).panes
    .map((p) => p.tailPreview)
    .join("\n");
const sessionNames = async () =>
  (await get<{ sessions: Array<{ name: string }> }>("/api/tmux/sessions")).sessions.map((s) => s.name);

/** Waits until the watchtower ran no collect for `quietMs` (its follow-up listings done). */
async function quiet(quietMs: number, timeoutMs = 30_000) {
  await waitFor(
    async () => {
      const before = await collects();
      await sleep(quietMs);
      return (await collects()) === before;
    },
    timeoutMs,
    `no collect for ${quietMs} ms`,
  );
}

function attach(session: string): Promise<{ ws: WebSocket; output: () => string }> {
  const ws = new WebSocket(
    `${server.url.replace("http", "ws")}/ws/tmux?session=${session}`,
    ["sentinel.v1"],
    {
      headers: { authorization: `Bearer ${server.token}` },
    },
  );
  const chunks: Buffer[] = [];
  ws.on("message", (data, isBinary) => {
    if (isBinary) chunks.push(data as Buffer);
  });
  ws.on("error", () => undefined);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, output: () => Buffer.concat(chunks).toString("utf8") }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe("watchtower cost", () => {
  test("typing in an own terminal: no collect per key, output elsewhere seen at once, projection after", async () => {
    await waitFor(async () => (await sessionNames()).length === 3, 10_000, "the three sessions listed");
    const term = await attach("typed");
    // Keys typed before the client drew the shell's prompt may reach bash before it reads the terminal.
    await waitFor(() => term.output().includes("$ "), 5000, "the prompt drawn");
    term.ws.send(Buffer.from("echo ready-$((2*3))\r"));
    await waitFor(() => term.output().includes("ready-6"), 5000, "the attached terminal's echo");
    await waitFor(
      async () => (await preview("typed")).includes("ready-6"),
      5000,
      "the first command projected",
    );
    await quiet(1500);

    const before = await collects();
    const word = "sentineltypingcheck";
    const typing = (async () => {
      for (let i = 0; i < 40; i++) {
        term.ws.send(Buffer.from(word[i % word.length]!));
        await sleep(80);
      }
    })();
    // Halfway through, another pane prints: more than the typed echo (and its slack), so it is collected at once,
    // while the typing goes on (it ends ~1.7 s later, and the typed pane's collect waits 1 s more).
    await sleep(1500);
    const typedCollects = (await collects()) - before;
    const printedAt = Date.now();
    await tmux.tmux("send-keys", "-t", "=other:", "seq 1 60; echo other-$((3*4))", "Enter");
    await waitFor(async () => (await preview("other")).includes("other-12"), 5000, "the other pane's output");
    const otherSeenAfter = Date.now() - printedAt;
    await typing;
    const during = (await collects()) - before;
    // The old pace was a collect a second of typing (3+ in the 3.2 s); the other pane's output costs one or two.
    assert.ok(typedCollects <= 1, `${typedCollects} collects in 1.5 s of typing`);
    assert.ok(during <= 4, `${during} collects in 3.2 s of typing with one other output`);
    assert.ok(otherSeenAfter < 1200, `the other pane's output took ${otherSeenAfter} ms`);
    // Once the typing pauses, the projection follows: the typed text is in the pane's preview.
    await waitFor(
      async () => (await preview("typed")).includes(word.slice(0, 12)),
      5000,
      "the typed text projected after the typing paused",
    );
    term.ws.close(1000);
  });

  test("typing into a program that redraws more than tmux draws, with a long command line: no collect per key", async () => {
    // Like vim: each key makes the program rewrite a status line (~90 bytes tmux reads, a few it draws), and its
    // long command line is what tmux reads to name the window. Before, every look while typing took that for output
    // elsewhere and collected (42 collects for 200 keys in vim against 6 at a `cat`).
    const program =
      "exec sh -c 'stty -icanon -echo min 1; while c=$(dd bs=1 count=1 2>/dev/null); do " +
      'printf "\\033[1;1H%s\\033[K\\033[20;1Hstatus: a full-screen program redraws more than what changed %s" "$c" "$c"; ' +
      "done' sentinel-program with a command line as long as the path of a file an editor edits";
    await tmux.tmux("new-session", "-d", "-s", "program", "-x", "120", "-y", "40", program);
    try {
      await waitFor(
        async () => (await sessionNames()).includes("program"),
        10_000,
        "the program's session listed",
      );
      const term = await attach("program");
      await sleep(500);
      term.ws.send(Buffer.from("a"));
      await waitFor(
        () => term.output().includes("redraws more than what changed a"),
        5000,
        "the program's redraw",
      );
      await quiet(1500);

      const before = await collects();
      for (let i = 0; i < 30; i++) {
        term.ws.send(Buffer.from("xzyw"[i % 4]!));
        await sleep(150);
      }
      const during = (await collects()) - before;
      // Looks come every 3-4 keys: ~8 collects without the program's writes and command line counted as the echo.
      assert.ok(during <= 2, `${during} collects in 4.5 s of typing into the program`);
      await waitFor(
        () => term.output().endsWith("changed w") || term.output().includes("changed w"),
        3000,
        "the last key drawn",
      );
      term.ws.close(1000);
    } finally {
      await tmux.tmux("kill-session", "-t", "=program").catch(() => undefined);
    }
  });

  test("idle: tmux is not woken and nothing is written; a rename with the tmux CLI is seen at once", async () => {
    await quiet(6000, 60_000);
    const [writes, wakeups, ran] = [commits(), tmuxWakeups(), await collects()];
    const overview = async () =>
      (await get<{ overview: { lastCollectAt: string } }>("/api/recovery/overview")).overview;
    const recoveryBefore = (await overview()).lastCollectAt;
    await sleep(6000);
    assert.equal(tmuxWakeups(), wakeups, "the idle tmux server was woken (a listing or a recovery call)");
    assert.equal(commits(), writes, "the idle server committed a write");
    assert.equal(await collects(), ran, "the idle watchtower collected");
    assert.notEqual((await overview()).lastCollectAt, recoveryBefore, "recovery kept collecting");

    const renamedAt = Date.now();
    await tmux.tmux("rename-session", "-t", "=idle", "idle-renamed");
    await waitFor(async () => (await sessionNames()).includes("idle-renamed"), 3000, "the rename seen");
    assert.ok(Date.now() - renamedAt < 3000, "the rename took long");
  });

  /**
   * Runs `loop` as the first pane of `other` (respawn-pane -k: the previous loop is gone for sure, where a C-c and
   * keys typed into its shell could race), and counts the collects over 4 s once it has run `warmMs`; `tail` is
   * the pane's last line then (it says which loop ran). The pane gets its shell back after.
   */
  async function collectsWhilePrinting(loop: string, warmMs: number) {
    await tmux.tmux("respawn-pane", "-k", "-t", "=other:0.0", loop);
    await sleep(warmMs);
    const before = await collects();
    const started = Date.now();
    await sleep(4000);
    const ran = (await collects()) - before;
    const elapsed = Date.now() - started;
    const tail = (await tmux.tmux("capture-pane", "-p", "-t", "=other:0.0")).trim().split("\n").pop();
    await tmux.tmux("respawn-pane", "-k", "-t", "=other:0.0", CLEAN_SHELL);
    assert.ok(ran >= 1, `the printing pane was collected (${ran} collects)`);
    return { ran, elapsed, tail };
  }

  test("a pane redrawing the same text is output that keeps coming: collected at the slower pace", async () => {
    // Once the screen is full of the same line, a capture shows nothing new, but tmux still reads the output:
    // the probe's bytes keep the pace at the minimum interval (250 ms), not the 100 ms one for fresh activity.
    // A clock among four quiet panes of its window: 29 collects in 4 s before the fix, 16 after.
    for (let i = 0; i < 4; i++) await tmux.tmux("split-window", "-d", "-t", "=other:0");
    await tmux.tmux("select-layout", "-t", "=other:0", "tiled");
    const { ran, elapsed, tail } = await collectsWhilePrinting("while :; do date; sleep 0.05; done", 1500);
    // 250 ms apart at the least: elapsed / 250 collects, and one for the ones that were already due.
    assert.ok(
      ran <= Math.ceil(elapsed / 250) + 1,
      `${ran} collects in ${elapsed} ms while one pane repeats a line (its last line: ${tail})`,
    );
  });

  test("a pane printing in volume (a flood, ~6 KB/s) is collected at the flood pace, 500 ms apart", async () => {
    const { ran, elapsed, tail } = await collectsWhilePrinting(
      "while :; do seq 1 100; sleep 0.05; done",
      2000,
    );
    assert.ok(
      ran <= Math.ceil(elapsed / 500) + 1,
      `${ran} collects in ${elapsed} ms of a flood (its last line: ${tail})`,
    );
    // The projection still follows the flood.
    await tmux.tmux("send-keys", "-t", "=other:0.1", "echo after-$((6*7))", "Enter");
    await waitFor(async () => (await preview("other")).includes("after-42"), 3000, "output after the flood");
  });

  test("an attached client's status line: its timer's ticks cost no listing; a CLI rename is seen at once at any phase", async () => {
    // tmux redraws an attached client's status line every `status-interval` (1 s here, 15 s by default): a
    // wake-up that reads nothing, like a command from the CLI. Unrecognised, each cost a listing and a
    // confirming one 5 s later (ADR 0025).
    await tmux.newSession("ticked");
    await tmux.tmux("set-option", "-t", "ticked", "status-interval", "1");
    await waitFor(async () => (await sessionNames()).includes("ticked"), 5000, "the session listed");
    const term = await attach("ticked");
    await waitFor(() => term.output().includes("$ "), 5000, "the prompt drawn");
    // The first ticks are learnt (each starts a train; the next one a period later is recognised); the listing
    // that confirms the last collect for an unrecognised one comes 5 s later.
    await waitFor(async () => (await engine()).statusTicks >= 2, 10_000, "ticks recognised");
    await quiet(6000, 30_000);

    const before = await engine();
    const wakeups = tmuxWakeups();
    await sleep(5000);
    const after = await engine();
    assert.ok(tmuxWakeups() - wakeups >= 4, `tmux woke ${tmuxWakeups() - wakeups} times in 5 s`);
    assert.ok(
      after.statusTicks - before.statusTicks >= 4,
      `${after.statusTicks - before.statusTicks} ticks seen`,
    );
    // Unrecognised, these ticks cost a collect each and a confirming one. A tick that a loaded machine delays
    // beyond its window is learnt again at the cost of one.
    assert.ok(
      after.collects - before.collects <= 1,
      `the watchtower collected ${after.collects - before.collects} times for ${after.statusTicks - before.statusTicks} ticks`,
    );

    // Renames 1,125 ms apart land at every eighth of the timer's period: each is a command, seen at once.
    const names = async () =>
      (await get<{ windows: Array<{ name: string }> }>("/api/tmux/sessions/ticked/windows")).windows.map(
        (w) => w.name,
      );
    const took: number[] = [];
    for (let i = 0; i < 8; i++) {
      await sleep(1125);
      const renamedAt = Date.now();
      await tmux.tmux("rename-window", "-t", "=ticked:0", `phase-${i}`);
      await waitFor(async () => (await names()).includes(`phase-${i}`), 3000, `rename ${i} seen`);
      took.push(Date.now() - renamedAt);
    }
    assert.ok(Math.max(...took) < 1500, `renames seen after ${took.join(", ")} ms`);
    term.ws.close(1000);
    await tmux.tmux("kill-session", "-t", "=ticked");
  });
});
