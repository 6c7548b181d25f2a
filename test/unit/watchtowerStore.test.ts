// The watchtower's store side against a real SQLite file: one collect applied in one transaction, the seen
// recompute of §4.4, presence expiry, journal and timeline retention, the purge of vanished panes' runtime rows.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Store } from "../../src/server/store/database.js";
import { ProjectionRepo } from "../../src/server/store/projectionRepo.js";
import { openTmuxRepos, type TmuxRepos } from "../../src/server/store/repositories.js";
import type { TimelineRepo } from "../../src/server/store/timelineRepo.js";
import { applyCollect, type Snapshot } from "../../src/server/watchtower/collector.js";
import type { LivePane } from "../../src/server/watchtower/project.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function open(): TmuxRepos & { path: string } {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-wt-"));
  dirs.push(dir);
  const path = join(dir, "sentinel.db");
  return { path, ...openTmuxRepos(Store.open(path)) };
}

const T = (s: number) => new Date(Date.UTC(2026, 1, 15, 12, 0, s)).toISOString();

const pane = (id: string, windowIndex = 0, currentCommand = "bash"): LivePane => ({
  paneId: id,
  windowIndex,
  paneIndex: 0,
  title: "",
  active: true,
  tty: "",
  currentPath: "/",
  startCommand: "",
  currentCommand,
});

function snapshot(sessions: Record<string, LivePane[]>): Snapshot {
  const names = Object.keys(sessions);
  return {
    sessions: names.map((name) => ({ name, windows: 2, attached: 0, createdAt: T(0), activityAt: T(0) })),
    windows: new Map(
      names.map((n) => [
        n,
        [
          { index: 0, name: "w0", active: true, layout: "" },
          { index: 1, name: "w1", active: false, layout: "" },
        ],
      ]),
    ),
    panes: new Map(Object.entries(sessions)),
  };
}

function collect(r: TmuxRepos, snap: Snapshot | undefined, captures: Record<string, string>, now: string) {
  return applyCollect(
    r,
    {
      snapshot: snap,
      captures: new Map(Object.entries(captures)),
      process: new Set(snap?.sessions.map((s) => s.name) ?? []),
      purgeRuntime: true,
      now,
      startedAt: Date.parse(now),
    },
    { journalRows: 5000, timelineRows: 20000 },
  );
}

describe("applyCollect", () => {
  test("projects, journals changed sessions with consecutive global revisions, and counts the collect", () => {
    const r = open();
    const out = collect(
      r,
      snapshot({ a: [pane("%1"), pane("%2", 1)], b: [pane("%3")] }),
      { "%1": "x", "%3": "y" },
      T(1),
    );
    assert.deepEqual(out.changed, ["a", "b"]);
    assert.equal(out.globalRev, 2);
    assert.deepEqual(
      r.journal.since(0, 10).map((j) => [j.globalRev, j.session, j.changeKind, j.entityType, j.windowIndex]),
      [
        [1, "a", "activity", "session", -1],
        [2, "b", "activity", "session", -1],
      ],
    );
    assert.deepEqual(
      r.projection.sessions().map((s) => [s.name, s.panes, s.unreadPanes, s.unreadWindows, s.rev]),
      [
        ["a", 2, 1, 1, 1],
        ["b", 1, 1, 1, 1],
      ],
    );
    assert.equal(r.runtime.int("collect_total"), 1);
    assert.equal(r.runtime.get("last_collect_changed_sessions"), "2");
    // Nothing changed: no journal row, the revision stays.
    const again = collect(
      r,
      snapshot({ a: [pane("%1"), pane("%2", 1)], b: [pane("%3")] }),
      { "%1": "x" },
      T(2),
    );
    assert.deepEqual(again.changed, []);
    assert.equal(again.globalRev, 2);
    assert.equal(r.runtime.int("collect_total"), 2);
  });

  test("no tmux: projections kept, counted as a success with 0 sessions", () => {
    const r = open();
    collect(r, snapshot({ a: [pane("%1")] }), { "%1": "x" }, T(1));
    const out = collect(r, undefined, {}, T(2));
    assert.deepEqual([out.changed, out.vanished], [[], []]);
    assert.equal(r.projection.sessions().length, 1);
    assert.equal(r.runtime.get("last_collect_sessions"), "0");
    assert.equal(r.runtime.get("last_collect_error"), "");
    assert.equal(r.runtime.int("collect_errors_total"), 0);
  });

  test("a vanished session is dropped with its panes, windows and runtime rows, and journalled as delete", () => {
    const r = open();
    collect(r, snapshot({ a: [pane("%1", 0, "vim")], b: [pane("%2")] }), { "%1": "x", "%2": "y" }, T(1));
    assert.equal(r.paneRuntime.forSession("a").size, 1);
    const out = collect(r, snapshot({ b: [pane("%2")] }), {}, T(2));
    assert.deepEqual(out.vanished, ["a"]);
    assert.deepEqual(
      r.projection.sessions().map((s) => s.name),
      ["b"],
    );
    assert.deepEqual(r.projection.windows("a"), []);
    assert.deepEqual(r.projection.panes("a"), []);
    assert.equal(r.paneRuntime.forSession("a").size, 0, "runtime rows of vanished sessions are purged");
    assert.deepEqual(
      r.journal.since(2, 10).map((j) => [j.session, j.changeKind]),
      [["a", "delete"]],
    );
  });

  test("a failure inside the collect rolls everything back", () => {
    const r = open();
    collect(r, snapshot({ a: [pane("%1")] }), { "%1": "x" }, T(1));
    const broken = {
      ...r,
      timeline: {
        ...r.timeline,
        insert: () => {
          throw new Error("disk full");
        },
        retain: () => 0,
      },
    };
    assert.throws(() =>
      collect(broken as unknown as TmuxRepos, snapshot({ a: [pane("%1")] }), { "%1": "panic: x" }, T(2)),
    );
    assert.equal(r.projection.panes("a")[0]!.revision, 1);
    assert.equal(r.journal.globalRev(), 1);
    assert.equal(r.runtime.int("collect_total"), 1);
  });

  test("journal and timeline keep their newest rows", () => {
    const r = open();
    let text = "";
    for (let i = 0; i < 30; i++) {
      text = `${text}\nerror ${i}`;
      applyCollect(
        r,
        {
          snapshot: snapshot({ a: [pane("%1")] }),
          captures: new Map([["%1", text]]),
          process: new Set(["a"]),
          purgeRuntime: false,
          now: T(i + 1),
          startedAt: Date.parse(T(i + 1)),
        },
        { journalRows: 10, timelineRows: 7 },
      );
    }
    const rows = r.journal.since(0, 100);
    assert.equal(rows.length, 10);
    assert.deepEqual([rows[0]!.globalRev, rows.at(-1)!.globalRev], [21, 30]);
    assert.equal(r.journal.oldestRev(), 21);
    assert.equal(r.timeline.count(), 7);
    const { events, hasMore } = r.timeline.search({ limit: 3 });
    assert.equal(hasMore, true);
    assert.deepEqual(
      events.map((e) => e.summary),
      ["error 29", "error 28", "error 27"],
    );
  });
});

describe("seen (§3.5, §4.4)", () => {
  function seeded() {
    const r = open();
    collect(
      r,
      snapshot({ a: [pane("%1"), pane("%2"), pane("%3", 1)] }),
      { "%1": "one", "%2": "two", "%3": "three" },
      T(1),
    );
    return r;
  }
  const seen = (r: TmuxRepos, scope: "pane" | "window" | "session", windowIndex: number, paneId: string) =>
    r.store.transaction(() => {
      const n = r.projection.markSeen("a", scope, windowIndex, paneId, T(5));
      if (n > 0) r.projection.recomputeUnread("a", T(5));
      return n;
    });

  test("pane, window, session: only unread panes change, counters and revs follow", () => {
    const r = seeded();
    assert.deepEqual(r.projection.session("a")!.unreadPanes, 3);
    assert.equal(seen(r, "pane", 0, "%1"), 1);
    assert.equal(seen(r, "pane", 0, "%1"), 0, "already seen");
    let s = r.projection.session("a")!;
    assert.deepEqual([s.unreadPanes, s.unreadWindows, s.rev], [2, 2, 2]);
    assert.equal(r.projection.windows("a")[0]!.rev, 2);
    assert.equal(seen(r, "window", 0, ""), 1);
    s = r.projection.session("a")!;
    assert.deepEqual([s.unreadPanes, s.unreadWindows, s.rev], [1, 1, 3]);
    const [w0, w1] = r.projection.windows("a");
    assert.deepEqual([w0!.hasUnread, w0!.rev, w1!.hasUnread, w1!.rev], [false, 3, true, 1]);
    assert.equal(seen(r, "session", -1, ""), 1);
    s = r.projection.session("a")!;
    assert.deepEqual([s.unreadPanes, s.unreadWindows, s.rev], [0, 0, 4]);
    assert.equal(seen(r, "session", -1, ""), 0);
    assert.equal(r.projection.session("a")!.rev, 4, "no change, no rev");
    assert.equal(r.journal.globalRev(), 1, "seen never bumps the global revision");
  });

  test("unread state survives closing and reopening the file", () => {
    const r = seeded();
    seen(r, "pane", 0, "%1");
    r.store.close();
    const store = Store.open(r.path);
    const projection = new ProjectionRepo(store);
    assert.deepEqual(
      projection.panes("a").map((p) => [p.paneId, p.revision, p.seenRevision]),
      [
        ["%1", 1, 1],
        ["%2", 1, 0],
        ["%3", 1, 0],
      ],
    );
    store.close();
  });
});

describe("presence and focus", () => {
  test("expired rows are pruned; only visible, focused, unexpired rows with a pane focus", () => {
    const r = open();
    const base = { session: "a", windowIndex: 0, visible: true, focused: true };
    r.presence.upsert({ ...base, terminalId: "t1", paneId: "%1", expiresAt: T(30) }, T(0));
    r.presence.upsert({ ...base, terminalId: "t2", paneId: "%2", expiresAt: T(10) }, T(0));
    r.presence.upsert({ ...base, terminalId: "t3", paneId: "%3", focused: false, expiresAt: T(30) }, T(0));
    r.presence.upsert({ ...base, terminalId: "t4", paneId: "", expiresAt: T(30) }, T(0));
    assert.deepEqual([...(r.presence.focusedPanes(T(5)).get("a") ?? [])].sort(), ["%1", "%2"]);
    assert.deepEqual([...(r.presence.focusedPanes(T(11)).get("a") ?? [])], ["%1"]);
    assert.equal(r.presence.prune(T(11)), 1);
    assert.equal(r.presence.count(), 3);
    // An upsert replaces the terminal's row.
    r.presence.upsert({ ...base, terminalId: "t1", paneId: "%9", expiresAt: T(60) }, T(20));
    assert.deepEqual([...(r.presence.focusedPanes(T(40)).get("a") ?? [])], ["%9"]);
  });
});

describe("timeline search", () => {
  test("filters by scope, text, severity, type and time; newest first", () => {
    const r = open();
    const add = (i: number, over: Record<string, unknown>) =>
      r.timeline.insert({
        session: "a",
        windowIndex: 0,
        paneId: "%1",
        eventType: "output.marker",
        severity: "error",
        command: "make",
        cwd: "/src",
        durationMs: 0,
        summary: `s${i}`,
        details: "",
        marker: "error",
        metadata: { i },
        createdAt: T(i),
        ...over,
      });
    add(1, {});
    add(2, { session: "b", severity: "warn", marker: "warn" });
    add(3, {
      eventType: "command.started",
      severity: "info",
      summary: "command started: 100%_done",
      marker: "",
    });
    add(4, { windowIndex: 1, paneId: "%2", cwd: "/Home/Repo" });
    const ids = (f: Parameters<TimelineRepo["search"]>[0]) =>
      r.timeline.search(f).events.map((e) => e.summary);
    assert.deepEqual(ids({ limit: 10 }), ["s4", "command started: 100%_done", "s2", "s1"]);
    assert.deepEqual(ids({ limit: 10, session: "b" }), ["s2"]);
    assert.deepEqual(ids({ limit: 10, windowIndex: 1 }), ["s4"]);
    assert.deepEqual(ids({ limit: 10, paneId: "%1", severity: "error" }), ["s1"]);
    assert.deepEqual(ids({ limit: 10, q: "home/repo" }), ["s4"], "case-insensitive, over cwd too");
    assert.deepEqual(ids({ limit: 10, q: "100%_" }), ["command started: 100%_done"], "% and _ are literal");
    assert.deepEqual(ids({ limit: 10, eventType: "command.started" }), ["command started: 100%_done"]);
    assert.deepEqual(ids({ limit: 10, since: T(2), until: T(3) }), ["command started: 100%_done", "s2"]);
    assert.deepEqual(r.timeline.search({ limit: 1 }).events[0]!.metadata, { i: 4 });
  });
});
