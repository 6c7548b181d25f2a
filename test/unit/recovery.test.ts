// Recovery's pure parts (snapshot and hash, layouts, the restore plan, request normalisation) and its store and
// collect logic against a real SQLite file with a scripted tmux: unchanged snapshots are not stored, the bound per
// session, killed across a reboot or with a lost tmux server (and only then), jobs left unfinished.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  normalizeConflictPolicy,
  normalizeRestoreMode,
  type RecoveryJob,
  type SessionSnapshot,
  snapshotLimit,
} from "../../src/protocol/recovery.js";
import { collectOnce } from "../../src/server/recovery/collector.js";
import { layoutGeometry, layoutPaneCount, layoutSize } from "../../src/server/recovery/layout.js";
import {
  isShell,
  planRestore,
  renameCandidates,
  replayFor,
  unquote,
} from "../../src/server/recovery/plan.js";
import { buildSnapshot, type SnapshotSource, stateHash } from "../../src/server/recovery/snapshot.js";
import { Store } from "../../src/server/store/database.js";
import { ProjectionRepo } from "../../src/server/store/projectionRepo.js";
import { RecoveryKey, RecoveryRepo } from "../../src/server/store/recoveryRepo.js";
import type { Tmux, TmuxServerListing } from "../../src/server/tmux/adapter.js";
import { literalArg } from "../../src/server/tmux/args.js";
import { TmuxError } from "../../src/server/tmux/errors.js";
import { PANE_FIELDS, WINDOW_FIELDS } from "../../src/server/tmux/listing.js";

const LAYOUT = "95e4,120x40,0,0{60x40,0,0,0,59x40,61,0[59x20,61,0,1,59x19,61,21,2]}";

function source(overrides: Partial<SnapshotSource> = {}): SnapshotSource {
  return {
    sessionName: "dev",
    attached: 0,
    windows: [
      { index: 1, name: "logs", active: false, layout: "aaff,120x40,0,0,3" },
      { index: 0, name: "edit", active: true, layout: LAYOUT },
    ],
    panes: [
      pane("%3", 1, 0, false, "/var/log"),
      pane("%2", 0, 2, false, "/etc"),
      pane("%0", 0, 0, false, "/tmp"),
      pane("%1", 0, 1, true, "/usr"),
    ],
    ...overrides,
  };
}

function pane(paneId: string, windowIndex: number, paneIndex: number, active: boolean, cwd: string) {
  return {
    paneId,
    windowIndex,
    paneIndex,
    title: "host",
    active,
    currentPath: cwd,
    startCommand: "",
    currentCommand: "bash",
    lastContent: `tail of ${paneId}`,
  };
}

describe("snapshot", () => {
  test("sorts windows and panes, counts panes per window, finds the active window and pane", () => {
    const snap = buildSnapshot(source(), "boot", "2026-01-01T00:00:00Z");
    assert.deepEqual(
      snap.windows.map((w) => [w.index, w.panes]),
      [
        [0, 3],
        [1, 1],
      ],
    );
    assert.deepEqual(
      snap.panes.map((p) => `${p.windowIndex}.${p.paneIndex}`),
      ["0.0", "0.1", "0.2", "1.0"],
    );
    assert.equal(snap.activeWindow, 0);
    assert.equal(snap.activePaneId, "%1");
    assert.equal(snap.panes[0]?.lastContent, "tail of %0");
  });

  test("with no active window, the active pane's window; with neither, -1", () => {
    const s = source();
    s.windows = s.windows.map((w) => ({ ...w, active: false }));
    s.panes = s.panes.map((p) => ({ ...p, active: p.paneId === "%3" }));
    assert.equal(buildSnapshot(s, "b", "t").activeWindow, 1);
    s.panes = s.panes.map((p) => ({ ...p, active: false }));
    const none = buildSnapshot(s, "b", "t");
    assert.equal(none.activeWindow, -1);
    assert.equal(none.activePaneId, "");
  });

  test("the hash ignores time, boot id, content, window active flags and attached clients; not the layout", () => {
    const a = buildSnapshot(source(), "boot-a", "2026-01-01T00:00:00Z");
    const hash = stateHash(a);
    assert.match(hash, /^[0-9a-f]{16}$/);
    const other = source();
    other.panes = other.panes.map((p) => ({ ...p, lastContent: "something else" }));
    assert.equal(stateHash(buildSnapshot(other, "boot-b", "2027-01-01T00:00:00Z")), hash);
    assert.equal(stateHash(buildSnapshot(source({ attached: 2 }), "boot-a", "t")), hash);
    const resized = source();
    resized.windows = resized.windows.map((w) => (w.index === 1 ? { ...w, layout: "abcd,80x24,0,0,3" } : w));
    assert.notEqual(stateHash(buildSnapshot(resized, "boot-a", "t")), hash);
    const moved = source();
    moved.panes = moved.panes.map((p) => (p.paneId === "%0" ? { ...p, currentPath: "/srv" } : p));
    assert.notEqual(stateHash(buildSnapshot(moved, "boot-a", "t")), hash);
  });
});

describe("layout", () => {
  test("size, pane count and geometry without checksum and pane ids", () => {
    assert.deepEqual(layoutSize(LAYOUT), { width: 120, height: 40 });
    assert.equal(layoutSize("garbage"), undefined);
    assert.equal(layoutPaneCount(LAYOUT), 3);
    assert.equal(layoutPaneCount("aaff,120x40,0,0,3"), 1);
    assert.equal(layoutGeometry(LAYOUT), "120x40,0,0{60x40,0,0,59x40,61,0[59x20,61,0,59x19,61,21]}");
    const sameShapeOtherIds = "58e8,120x40,0,0{60x40,0,0,3,59x40,61,0[59x20,61,0,4,59x19,61,21,5]}";
    assert.equal(layoutGeometry(sameShapeOtherIds), layoutGeometry(LAYOUT));
  });
});

describe("restore plan", () => {
  const snap = buildSnapshot(source(), "b", "t");

  test("windows in index order with their panes; steps 1 + 2 per window + 1 per pane; the first layout's size", () => {
    const plan = planRestore(snap);
    assert.deepEqual(
      plan.windows.map((w) => [w.index, w.name, w.panes.map((p) => p.currentPath)]),
      [
        [0, "edit", ["/tmp", "/usr", "/etc"]],
        [1, "logs", ["/var/log"]],
      ],
    );
    assert.equal(plan.totalSteps, 1 + 2 * 2 + 4);
    assert.deepEqual(plan.size, { width: 120, height: 40 });
    assert.equal(plan.activeWindow, 0);
  });

  test("a window that lists fewer panes than it counts still gets them", () => {
    const odd: SessionSnapshot = { ...snap, windows: [{ ...snap.windows[1]!, panes: 2 }], panes: [] };
    const plan = planRestore(odd);
    assert.equal(plan.windows[0]?.panes.length, 2);
    assert.equal(plan.totalSteps, 1 + 2 + 2);
  });

  test("rename candidates are -restored-01..99", () => {
    const names = renameCandidates("dev");
    assert.equal(names.length, 99);
    assert.equal(names[0], "dev-restored-01");
    assert.equal(names[98], "dev-restored-99");
  });

  test("replay: nothing in safe, typed without Enter in confirm, with Enter in full; shells never", () => {
    const p = { ...snap.panes[0]!, startCommand: '"npm run dev"', currentCommand: "node" };
    assert.equal(replayFor(p, "safe"), undefined);
    assert.deepEqual(replayFor(p, "confirm"), { text: "npm run dev", enter: false });
    assert.deepEqual(replayFor(p, "full"), { text: "npm run dev", enter: true });
    assert.deepEqual(replayFor({ ...p, startCommand: "" }, "full"), { text: "node", enter: true });
    assert.equal(
      replayFor({ ...p, startCommand: '"bash --norc"', currentCommand: "bash" }, "full"),
      undefined,
    );
    assert.equal(replayFor({ ...p, startCommand: "", currentCommand: "-zsh" }, "full"), undefined);
    assert.ok(isShell("/usr/bin/fish -l"));
    assert.ok(!isShell("vim"));
    assert.equal(unquote("'a b'"), "a b");
    assert.equal(unquote('"a'), '"a');
  });
});

describe("tmux arguments", () => {
  test("a trailing ; is passed escaped (tmux would end the command there); a lone ; still separates", () => {
    assert.equal(literalArg("make test;"), "make test\\;");
    assert.equal(literalArg(";"), ";");
    assert.equal(literalArg("a;b"), "a;b");
    assert.equal(literalArg("already\\;"), "already\\;");
  });
});

describe("request normalisation", () => {
  test("mode and policy default to confirm and rename; known values case-insensitively", () => {
    assert.equal(normalizeRestoreMode(undefined), "confirm");
    assert.equal(normalizeRestoreMode("FULL "), "full");
    assert.equal(normalizeRestoreMode("bogus"), "confirm");
    assert.equal(normalizeConflictPolicy(""), "rename");
    assert.equal(normalizeConflictPolicy("Skip"), "skip");
    assert.equal(normalizeConflictPolicy("merge"), "rename");
  });

  test("snapshot list limit: 1..200, otherwise 20", () => {
    assert.equal(snapshotLimit(undefined), 20);
    assert.equal(snapshotLimit("5"), 5);
    assert.equal(snapshotLimit("200"), 200);
    assert.equal(snapshotLimit("201"), 20);
    assert.equal(snapshotLimit("0"), 20);
    assert.equal(snapshotLimit("-3"), 20);
    assert.equal(snapshotLimit("abc"), 20);
    assert.equal(snapshotLimit(["7", "9"]), 7);
  });
});

// Store and collect against a real SQLite file and a scripted tmux.
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openStore() {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-rec-"));
  dirs.push(dir);
  const store = Store.open(join(dir, "sentinel.db"));
  return { store, repo: new RecoveryRepo(store), projection: new ProjectionRepo(store) };
}

interface FakeSession {
  name: string;
  windows: Array<{ index: number; layout: string; panes: string[] }>;
}

/** A tmux that lists what `state` holds; counts its calls. */
function fakeTmux(state: { server: string; sessions: FakeSession[]; absent?: boolean }) {
  let calls = 0;
  const sep = "\x1f";
  const tmux = {
    async listSessionsWithServer(): Promise<TmuxServerListing> {
      calls++;
      if (state.absent) throw new TmuxError("TMUX_NOT_FOUND", "tmux binary not found");
      return {
        server: state.server,
        sessions: state.sessions.map((s) => ({
          name: s.name,
          attached: 0,
          createdAt: 1,
          windows: s.windows.length,
        })),
      };
    },
    async run(args: string[]): Promise<string> {
      calls++;
      // Rows in the order of the listing's own fields, so the fake follows the format tmux is asked for.
      const row = (fields: string[], values: Record<string, string | number>) =>
        fields.map((f) => values[f] ?? 0).join(sep);
      if (args[0] === "list-windows") {
        return state.sessions
          .flatMap((s) =>
            s.windows.map((w, i) =>
              row(WINDOW_FIELDS, {
                session_name: s.name,
                window_index: w.index,
                window_name: `w${w.index}`,
                window_active: i === 0 ? 1 : 0,
                window_panes: w.panes.length,
                window_layout: w.layout,
              }),
            ),
          )
          .join("\n");
      }
      if (args[0] === "list-panes") {
        return state.sessions
          .flatMap((s) =>
            s.windows.flatMap((w) =>
              w.panes.map((cwd, j) =>
                row(PANE_FIELDS, {
                  session_name: s.name,
                  window_index: w.index,
                  pane_index: j,
                  pane_id: `%${s.name}${w.index}${j}`,
                  pane_title: "t",
                  pane_active: j === 0 ? 1 : 0,
                  pane_tty: "tty",
                  pane_current_path: cwd,
                  pane_start_command: "",
                  pane_current_command: "bash",
                  window_activity: 1,
                }),
              ),
            ),
          )
          .join("\n");
      }
      throw new Error(`unexpected tmux ${args.join(" ")}`);
    },
  };
  return { tmux: tmux as unknown as Tmux, calls: () => calls };
}

describe("collect", () => {
  test("stores a snapshot only when the hash changes, bounded per session; live-set changes are reported", async () => {
    const { store, repo, projection } = openStore();
    const state = {
      server: "100:1",
      sessions: [{ name: "a", windows: [{ index: 0, layout: "x", panes: ["/tmp"] }] }],
    };
    const { tmux, calls } = fakeTmux(state);
    const deps = {
      store,
      repo,
      tmux,
      projection,
      projectionCurrent: () => false,
      readBootId: async () => "boot-1",
      maxSnapshots: 3,
    };
    const first = await collectOnce(deps, new Date("2026-01-01T00:00:00Z"));
    assert.deepEqual(first.changed, ["a"]);
    assert.equal(first.liveSetChanged, true);
    assert.equal(first.tmuxCalls, 3);
    assert.equal(calls(), 3);
    const again = await collectOnce(deps, new Date("2026-01-01T00:00:05Z"));
    assert.deepEqual(again.changed, []);
    assert.equal(again.liveSetChanged, false);
    assert.equal(repo.snapshots("a", 100).length, 1);
    assert.equal(repo.session("a")?.snapshotAt, "2026-01-01T00:00:05Z");
    for (let i = 0; i < 5; i++) {
      state.sessions[0]!.windows[0]!.panes[0] = `/dir${i}`;
      await collectOnce(deps, new Date(Date.UTC(2026, 0, 1, 0, 1, i)));
    }
    const kept = repo.snapshots("a", 100);
    assert.equal(kept.length, 3);
    assert.equal(kept[0]?.id, repo.session("a")?.latestSnapshotId);
    assert.equal(JSON.parse(kept[0]!.payloadJson).panes[0].currentPath, "/dir4");
    store.close();
  });

  test("a session that ends on its own stays running; a reboot or a lost tmux server marks it killed", async () => {
    const { store, repo, projection } = openStore();
    const win = (cwd: string) => [{ index: 0, layout: "x", panes: [cwd] }];
    const state = {
      server: "100:1",
      sessions: [
        { name: "a", windows: win("/a") },
        { name: "b", windows: win("/b") },
        { name: "c", windows: win("/c") },
      ],
    };
    let boot = "boot-1";
    const { tmux } = fakeTmux(state);
    const deps = {
      store,
      repo,
      tmux,
      projection,
      projectionCurrent: () => false,
      readBootId: async () => boot,
      maxSnapshots: 10,
    };
    await collectOnce(deps);
    state.sessions = state.sessions.filter((s) => s.name !== "a");
    const ended = await collectOnce(deps);
    assert.deepEqual(ended.killed, []);
    assert.equal(repo.session("a")?.state, "running");

    // The server dies with b and c; a ended before and is not claimed by the loss.
    state.server = "";
    state.sessions = [];
    const lost = await collectOnce(deps);
    assert.equal(lost.serverLost, true);
    assert.deepEqual(lost.killed.sort(), ["b", "c"]);
    assert.equal(repo.session("a")?.state, "running");
    assert.equal(repo.session("b")?.state, "killed");
    assert.ok(repo.session("b")?.killedAt);
    assert.ok(repo.get(RecoveryKey.LastServerLossAt));
    // Nothing more to lose while no server runs.
    assert.equal((await collectOnce(deps)).serverLost, false);

    // A reboot kills every running session that is not live (a included).
    boot = "boot-2";
    state.server = "200:5";
    state.sessions = [{ name: "b", windows: win("/b") }];
    const rebooted = await collectOnce(deps);
    assert.equal(rebooted.bootChanged, true);
    assert.deepEqual(rebooted.killed, ["a"]);
    assert.equal(repo.session("b")?.state, "running");
    assert.equal(repo.session("a")?.state, "killed");
    assert.deepEqual(
      repo
        .sessions(["killed", "restoring", "restored"])
        .map((r) => r.name)
        .sort(),
      ["a", "c"],
    );
    store.close();
  });

  test("a restarted tmux server (another identity) is a loss; no tmux binary is not", async () => {
    const { store, repo, projection } = openStore();
    const state = {
      server: "100:1",
      sessions: [{ name: "a", windows: [{ index: 0, layout: "x", panes: ["/a"] }] }],
      absent: false,
    };
    const { tmux } = fakeTmux(state);
    const deps = {
      store,
      repo,
      tmux,
      projection,
      projectionCurrent: () => false,
      readBootId: async () => "boot",
      maxSnapshots: 10,
    };
    await collectOnce(deps);
    state.absent = true;
    const absent = await collectOnce(deps);
    assert.equal(absent.serverLost, false);
    assert.equal(repo.session("a")?.state, "running");
    state.absent = false;
    state.server = "101:9";
    state.sessions = [];
    const restarted = await collectOnce(deps);
    assert.equal(restarted.serverLost, true);
    assert.deepEqual(restarted.killed, ["a"]);
    store.close();
  });
});

/** The watchtower's projection of session "a" (created at epoch second 1): one window, one pane with `tail`. */
function projectA(store: Store, projection: ProjectionRepo, tail: string): void {
  const now = new Date().toISOString();
  const created = new Date(1000).toISOString();
  store.transaction(() => {
    projection.upsertSession(
      {
        name: "a",
        attached: 0,
        windows: 1,
        panes: 1,
        createdAt: created,
        activityAt: now,
        lastPreview: "",
        lastPreviewAt: "",
        lastPreviewPaneId: "",
        unreadWindows: 0,
        unreadPanes: 0,
        rev: 1,
      },
      now,
    );
    projection.upsertWindow(
      {
        session: "a",
        index: 0,
        name: "w0",
        active: true,
        layout: "x",
        activityAt: now,
        unreadPanes: 0,
        hasUnread: false,
        rev: 1,
      },
      now,
    );
    projection.upsertPane(
      {
        paneId: "%a00",
        session: "a",
        windowIndex: 0,
        paneIndex: 0,
        title: "t",
        active: true,
        tty: "",
        currentPath: "/a",
        startCommand: "",
        currentCommand: "bash",
        tailHash: "",
        tailPreview: tail,
        tailCapturedAt: now,
        revision: 1,
        seenRevision: 1,
        changedAt: now,
      },
      now,
    );
  });
}

describe("collect from the watchtower projection", () => {
  test("one tmux call; the panes carry the watchtower's tail previews; a stale projection is not used", async () => {
    const { store, repo, projection } = openStore();
    const state = {
      server: "100:1",
      sessions: [{ name: "a", windows: [{ index: 0, layout: "x", panes: ["/a"] }] }],
    };
    const { tmux, calls } = fakeTmux(state);
    projectA(store, projection, "$ make\nok");
    const deps = {
      store,
      repo,
      tmux,
      projection,
      projectionCurrent: () => true,
      readBootId: async () => "boot",
      maxSnapshots: 10,
    };
    const result = await collectOnce(deps);
    assert.equal(result.tmuxCalls, 1);
    assert.equal(calls(), 1);
    assert.equal(result.fromProjection, 1);
    const payload = JSON.parse(repo.snapshots("a", 1)[0]!.payloadJson) as SessionSnapshot;
    assert.equal(payload.panes[0]?.lastContent, "$ make\nok");
    // The same name from another tmux session (another creation time): tmux is asked, the projection is not used.
    store.run("UPDATE wt_sessions SET session_created = ?", [new Date(5000).toISOString()]);
    const stale = await collectOnce(deps);
    assert.equal(stale.fromProjection, 0);
    assert.equal(stale.tmuxCalls, 3);
    // The same shape from either source is the same hash: nothing new stored.
    assert.deepEqual(stale.changed, []);
    store.close();
  });

  test("a collect whose boot id, watchtower listing, store and refresh are as the last one left them is skipped", async () => {
    const { store, repo, projection } = openStore();
    const { tmux, calls } = fakeTmux({ server: "", sessions: [] });
    projectA(store, projection, "");
    const listed = (): TmuxServerListing => ({
      server: "100:1",
      sessions: [{ name: "a", attached: 0, createdAt: 1, windows: 1 }],
    });
    let listing = listed();
    let boot = "boot-1";
    const base = {
      store,
      repo,
      tmux,
      projection,
      projectionCurrent: () => true,
      readBootId: async () => boot,
      maxSnapshots: 10,
      listing: async () => listing,
      refreshEveryMs: 60_000,
    };
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const at = (s: number) => new Date(t0 + s * 1000);
    let previous = (await collectOnce(base, at(0))).basis;
    const collect = async (s: number) => {
      const result = await collectOnce({ ...base, ...(previous ? { previous } : {}) }, at(s));
      previous = result.basis;
      return result;
    };
    assert.ok(previous, "all from the watchtower: a basis for the next collect");
    const writes = store.writes;
    const same = await collect(5);
    assert.deepEqual([same.reused, same.changed, same.liveSetChanged, same.liveCount], [true, [], false, 1]);
    assert.equal(same.collectedAt, "2026-01-01T00:00:05Z");
    assert.equal(store.writes, writes, "a skipped collect writes nothing");
    assert.equal(calls(), 0, "and calls no tmux");

    // Any write to the store (the watchtower projected a new directory): collected, the new shape stored.
    store.run("UPDATE wt_panes SET current_path = '/b'");
    const written = await collect(10);
    assert.deepEqual([written.reused, written.changed], [false, ["a"]]);
    assert.equal((await collect(15)).reused, true);
    // A new listing (the watchtower listed again), even with the same content: collected, nothing new.
    listing = listed();
    const relisted = await collect(20);
    assert.deepEqual([relisted.reused, relisted.changed], [false, []]);
    // Its refresh falls due 60 s after the collect time last written (at 10 s, with the new snapshot): collected
    // then, and the refresh written.
    assert.equal((await collect(69)).reused, true);
    const refresh = await collect(70);
    assert.equal(refresh.reused, false);
    assert.equal(repo.get(RecoveryKey.LastCollectAt), "2026-01-01T00:01:10Z");
    assert.equal((await collect(75)).reused, true);
    // A reboot (another boot id): collected.
    boot = "boot-2";
    const rebooted = await collect(80);
    assert.deepEqual([rebooted.reused, rebooted.bootChanged], [false, true]);
    // Part of a collect from tmux (no watchtower listing): no basis, the next one is not skipped.
    const own = await collectOnce({ ...base, listing: undefined, previous: previous! }, at(85));
    assert.equal(own.reused, false);
    assert.equal(own.basis, undefined);
    store.close();
  });
});

describe("jobs", () => {
  test("jobs left queued or running fail with the reason, and their restoring session goes back to killed", () => {
    const { store, repo } = openStore();
    repo.insertSnapshot(
      {
        sessionName: "s",
        bootId: "b",
        stateHash: "h",
        capturedAt: "2026-01-01T00:00:00Z",
        activeWindow: 0,
        activePaneId: "%0",
        windows: 1,
        panes: 1,
        payloadJson: "{}",
      },
      "2026-01-01T00:00:00Z",
    );
    const job = (id: string, status: RecoveryJob["status"]): RecoveryJob => ({
      id,
      sessionName: "s",
      targetSession: "s",
      snapshotId: 1,
      mode: "safe",
      conflictPolicy: "rename",
      status,
      totalSteps: 4,
      completedSteps: 0,
      currentStep: "",
      error: "",
      createdAt: `2026-01-01T00:00:0${id.length}Z`,
    });
    repo.createJob(job("a", "queued"));
    repo.createJob(job("bb", "running"));
    repo.createJob(job("ccc", "succeeded"));
    repo.markRestoring("s", "2026-01-01T00:00:00Z");
    const failed = repo.failUnfinishedJobs("interrupted", "2026-01-01T00:01:00Z");
    assert.deepEqual(failed.map((j) => j.id).sort(), ["a", "bb"]);
    assert.equal(repo.job("bb")?.status, "failed");
    assert.equal(repo.job("bb")?.error, "interrupted");
    assert.equal(repo.job("bb")?.finishedAt, "2026-01-01T00:01:00Z");
    assert.equal(repo.job("ccc")?.status, "succeeded");
    assert.equal(repo.session("s")?.state, "killed");
    assert.equal(repo.session("s")?.restoreError, "interrupted");
    assert.deepEqual(
      repo.jobs(["queued", "running", "failed", "partial"], 30).map((j) => j.id),
      ["bb", "a"],
    );
    store.close();
  });
});
