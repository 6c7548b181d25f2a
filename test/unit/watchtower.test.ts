// Pure watchtower logic (spec §4.1–§4.3): tail normalisation and hash, output markers, command lifecycle and the
// revision rules of one session's projection step.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import type { PaneRuntimeRow } from "../../src/server/store/paneRuntimeRepo.js";
import type { PaneRow, SessionRow, WindowRow } from "../../src/server/store/projectionRepo.js";
import { commandLifecycle, isShellLike, paneCommand } from "../../src/server/watchtower/lifecycle.js";
import { findMarker, markerSummary, truncateUtf8 } from "../../src/server/watchtower/markers.js";
import { monitorOwner, monitorTerm, removeOrphans } from "../../src/server/watchtower/monitors.js";
import { type LivePane, type ProjectInput, projectSession } from "../../src/server/watchtower/project.js";
import { normalizeTail, tailHash } from "../../src/server/watchtower/tail.js";
import { toRfc3339, toRfc3339OrZero } from "../../src/server/watchtower/time.js";

describe("tail normalisation and hash", () => {
  test("trims, drops blank lines, keeps the last 4 non-blank lines", () => {
    assert.equal(normalizeTail("\n\n  a  \n\nb\n c\n\n d \ne\n\n\n"), "b\nc\nd\ne");
    assert.equal(normalizeTail("one\n"), "one");
    assert.equal(normalizeTail("   \n\t\n"), "");
    assert.equal(normalizeTail("x\r\ny"), "x\ny");
  });

  test("16 hex characters of SHA-256, empty for an empty text", () => {
    assert.equal(tailHash("hello"), "2cf24dba5fb0a30e");
    assert.equal(tailHash(""), "");
    assert.match(tailHash("a\nb"), /^[0-9a-f]{16}$/);
  });

  test("a cursor move or a change above the last 4 lines does not change the hash", () => {
    const before = "old line\n1\n2\n3\n4\n$ ";
    const after = "changed above\n1\n2\n3\n4\n$ ";
    assert.equal(tailHash(normalizeTail(before)), tailHash(normalizeTail(after)));
    assert.notEqual(tailHash(normalizeTail(before)), tailHash(normalizeTail(`${before}x`)));
  });
});

describe("output markers", () => {
  test("error words first, in order, then warn words; plain substring", () => {
    assert.deepEqual(findMarker("all good"), undefined);
    assert.deepEqual(findMarker(""), undefined);
    assert.deepEqual(findMarker("Build FAILED with 3 errors"), { severity: "error", marker: "error" });
    assert.deepEqual(findMarker("panic: boom\nerror too"), { severity: "error", marker: "panic" });
    assert.deepEqual(findMarker("Segmentation Fault (core dumped)"), {
      severity: "error",
      marker: "segmentation fault",
    });
    assert.deepEqual(findMarker("it failed"), { severity: "error", marker: "failed" });
    assert.deepEqual(findMarker("WARNING: slow"), { severity: "warn", marker: "warning" });
    assert.deepEqual(findMarker("request timeout, will retry"), { severity: "warn", marker: "timeout" });
    assert.deepEqual(findMarker("deprecated api"), { severity: "warn", marker: "deprecated" });
  });

  test("the summary is the last line, at most 240 bytes, never a split character", () => {
    assert.equal(markerSummary("a\nb\nlast one"), "last one");
    assert.equal(markerSummary(""), "output marker detected");
    const long = "é".repeat(200);
    const cut = markerSummary(long);
    assert.equal(Buffer.byteLength(cut), 240);
    assert.equal(truncateUtf8("€€€", 7), "€€");
  });
});

describe("command lifecycle", () => {
  test("the command is current || start, and '-' is nothing", () => {
    assert.equal(paneCommand("vim", "bash"), "vim");
    assert.equal(paneCommand("", "npm start"), "npm start");
    assert.equal(paneCommand("-", ""), "");
    assert.ok(isShellLike("ZSH") && isShellLike(" bash ") && isShellLike("tmux") && !isShellLike("node"));
  });

  const t0 = "2026-02-15T12:00:00.000Z";
  const t1 = "2026-02-15T12:00:02.500Z";

  test("no row: started unless empty or shell-like", () => {
    assert.deepEqual(commandLifecycle(undefined, "node", t0), {
      events: [{ type: "command.started", command: "node" }],
      runtime: { command: "node", startedAt: t0 },
    });
    assert.deepEqual(commandLifecycle(undefined, "bash", t0).events, []);
    assert.deepEqual(commandLifecycle(undefined, "", t0).events, []);
  });

  test("a change finishes the old command with its duration and starts the new one", () => {
    assert.deepEqual(commandLifecycle({ command: "node", startedAt: t0 }, "bash", t1), {
      events: [{ type: "command.finished", command: "node", durationMs: 2500 }],
      runtime: { command: "bash", startedAt: t1 },
    });
    assert.deepEqual(commandLifecycle({ command: "bash", startedAt: t0 }, "vim", t1).events, [
      { type: "command.started", command: "vim" },
    ]);
    assert.deepEqual(commandLifecycle({ command: "vim", startedAt: t0 }, "vim", t1), {
      events: [],
      runtime: { command: "vim", startedAt: t0 },
    });
  });
});

describe("time formats", () => {
  test("stored ISO with ms is served as RFC 3339 seconds; zero is '' or Go's zero time", () => {
    assert.equal(toRfc3339("2026-02-15T12:00:00.789Z"), "2026-02-15T12:00:00Z");
    assert.equal(toRfc3339(""), "");
    assert.equal(toRfc3339OrZero(""), "0001-01-01T00:00:00Z");
  });
});

// --- projection step -------------------------------------------------------------------------------------

const T = (s: number) => new Date(Date.UTC(2026, 1, 15, 12, 0, s)).toISOString();

const pane = (id: string, over: Partial<LivePane> = {}): LivePane => ({
  paneId: id,
  windowIndex: 0,
  paneIndex: Number(id.slice(1)),
  title: `t${id}`,
  active: id === "%0",
  tty: `/dev/pts/${id.slice(1)}`,
  currentPath: "/home/u",
  startCommand: "",
  currentCommand: "bash",
  ...over,
});

interface State {
  session: SessionRow | undefined;
  windows: WindowRow[];
  panes: PaneRow[];
  runtime: Map<string, PaneRuntimeRow>;
}

const empty = (): State => ({ session: undefined, windows: [], panes: [], runtime: new Map() });

/** Runs one step and folds its writes into the state, like the collector does in SQLite. */
function step(
  state: State,
  panes: LivePane[],
  captures: Record<string, string>,
  now: string,
  opts: {
    focused?: string[];
    attached?: number;
    windows?: ProjectInput["windows"];
    firstSight?: ProjectInput["firstSight"];
  } = {},
) {
  const result = projectSession({
    session: { name: "dev", windows: 1, attached: opts.attached ?? 0, createdAt: T(0), activityAt: T(0) },
    windows: opts.windows ?? [{ index: 0, name: "main", active: true, layout: "l0" }],
    panes,
    captures: new Map(Object.entries(captures)),
    previous: state,
    focused: new Set(opts.focused ?? []),
    ...(opts.firstSight ? { firstSight: opts.firstSight } : {}),
    now,
  });
  const panesById = new Map(state.panes.map((p) => [p.paneId, p]));
  for (const p of result.upsertPanes) panesById.set(p.paneId, p);
  for (const id of result.deletePanes) panesById.delete(id);
  const windows = new Map(state.windows.map((w) => [w.index, w]));
  for (const w of result.upsertWindows) windows.set(w.index, w);
  for (const i of result.deleteWindows) windows.delete(i);
  const runtime = new Map(state.runtime);
  for (const r of result.upsertRuntime) runtime.set(r.paneId, r);
  for (const id of result.deletePanes) runtime.delete(id);
  const next: State = {
    session: result.changed ? result.session : state.session,
    windows: [...windows.values()],
    panes: [...panesById.values()],
    runtime,
  };
  return { result, next };
}

describe("projection step: revisions and unread (§4.1 steps 4–7, §4.2)", () => {
  test("a new pane with content gets revision 1 and is unread; an empty one stays at 0", () => {
    const { result, next } = step(
      empty(),
      [pane("%0"), pane("%1")],
      { "%0": "$ ls\nfoo\n", "%1": "\n\n" },
      T(1),
    );
    assert.equal(result.changed, true);
    const p0 = next.panes.find((p) => p.paneId === "%0")!;
    const p1 = next.panes.find((p) => p.paneId === "%1")!;
    assert.deepEqual([p0.revision, p0.seenRevision, p0.changedAt, p0.tailPreview], [1, 0, T(1), "$ ls\nfoo"]);
    assert.deepEqual([p1.revision, p1.changedAt, p1.tailHash], [0, "", ""]);
    assert.equal(next.session!.rev, 1);
    assert.deepEqual([next.session!.unreadPanes, next.session!.unreadWindows], [1, 1]);
    assert.deepEqual(
      [next.windows[0]!.rev, next.windows[0]!.unreadPanes, next.windows[0]!.hasUnread],
      [1, 1, true],
    );
    assert.equal(next.session!.lastPreview, "$ ls\nfoo");
    assert.equal(next.session!.lastPreviewPaneId, "%0");
  });

  test("first sight: output a pane had before the server first listed it is read, at tmux's time", () => {
    const firstSight = {
      preexisting: new Set(["%0", "%1", "%3"]),
      listedAt: T(0),
      outputAt: new Map([
        ["%0", T(-300)],
        ["%2", T(5)],
        ["%3", T(4)],
      ]),
    };
    // %1 is empty at first: its first output later is still not news (it was there before the server).
    let { next } = step(empty(), [pane("%0"), pane("%1")], { "%0": "$ make\nok", "%1": "" }, T(1), {
      firstSight,
    });
    const p0 = next.panes.find((p) => p.paneId === "%0")!;
    assert.deepEqual([p0.revision, p0.seenRevision, p0.changedAt], [1, 1, T(-300)]);
    assert.deepEqual([next.session!.unreadPanes, next.session!.activityAt], [0, T(-300)]);
    ({ next } = step(
      next,
      [pane("%0"), pane("%1"), pane("%2"), pane("%3")],
      { "%1": "$", "%2": "$ new", "%3": "$ late" },
      T(6),
      { firstSight },
    ));
    const p1 = next.panes.find((p) => p.paneId === "%1")!;
    const p2 = next.panes.find((p) => p.paneId === "%2")!;
    const p3 = next.panes.find((p) => p.paneId === "%3")!;
    // A pane that was there but first captured for output its window had after the first listing: news.
    assert.deepEqual([p3.revision, p3.seenRevision, p3.changedAt], [1, 0, T(4)]);
    assert.deepEqual([p1.revision, p1.seenRevision, p1.changedAt], [1, 1, T(6)]);
    // A pane made since: its output is news, at tmux's time (earlier than the collect).
    assert.deepEqual([p2.revision, p2.seenRevision, p2.changedAt], [1, 0, T(5)]);
    // Later output of a pane that was there is news as usual.
    ({ next } = step(
      next,
      [pane("%0"), pane("%1"), pane("%2"), pane("%3")],
      { "%0": "$ make\nfailed" },
      T(7),
      {
        firstSight,
      },
    ));
    const again = next.panes.find((p) => p.paneId === "%0")!;
    assert.deepEqual([again.revision, again.seenRevision, again.changedAt], [2, 1, T(7)]);
    assert.equal(next.session!.unreadPanes, 3);
  });

  test("same tail: nothing changes, no revision, no rev, nothing written", () => {
    let { next } = step(empty(), [pane("%0")], { "%0": "a\nb" }, T(1));
    const again = step(next, [pane("%0")], { "%0": "\n  a\nb  \n" }, T(2));
    assert.equal(again.result.changed, false);
    assert.deepEqual(again.result.upsertPanes, []);
    assert.deepEqual(again.result.upsertWindows, []);
    next = again.next;
    assert.equal(next.panes[0]!.revision, 1);
    assert.equal(next.session!.rev, 1);
  });

  test("a pane not captured keeps its tail (a failed or skipped capture is no change)", () => {
    const { next } = step(empty(), [pane("%0")], { "%0": "a" }, T(1));
    const again = step(next, [pane("%0")], {}, T(2));
    assert.equal(again.result.changed, false);
    assert.equal(again.next.panes[0]!.tailPreview, "a");
  });

  test("output in an unfocused pane raises its revision and the unread counts; a focused pane is read at once", () => {
    let s = step(empty(), [pane("%0"), pane("%1")], { "%0": "a", "%1": "b" }, T(1)).next;
    // Both were new (unread); mark them seen as the seen recompute would.
    s = { ...s, panes: s.panes.map((p) => ({ ...p, seenRevision: p.revision })) };
    s = { ...s, windows: s.windows.map((w) => ({ ...w, unreadPanes: 0, hasUnread: false })) };
    s = { ...s, session: { ...s.session!, unreadPanes: 0, unreadWindows: 0 } };
    const { result, next } = step(s, [pane("%0"), pane("%1")], { "%0": "a\nnew", "%1": "b\nnew" }, T(5), {
      focused: ["%1"],
    });
    assert.equal(result.changed, true);
    const p0 = next.panes.find((p) => p.paneId === "%0")!;
    const p1 = next.panes.find((p) => p.paneId === "%1")!;
    assert.deepEqual([p0.revision, p0.seenRevision], [2, 1]);
    assert.deepEqual([p1.revision, p1.seenRevision], [2, 2]);
    assert.deepEqual([next.session!.unreadPanes, next.session!.unreadWindows, next.session!.rev], [1, 1, 2]);
    assert.equal(next.windows[0]!.activityAt, T(5));
    assert.equal(next.session!.activityAt, T(5));
  });

  test("focus does not read panes that were unread before they were focused", () => {
    const s = step(empty(), [pane("%0")], { "%0": "a" }, T(1)).next;
    const { next } = step(s, [pane("%0")], { "%0": "a" }, T(2), { focused: ["%0"] });
    assert.deepEqual([next.panes[0]!.revision, next.panes[0]!.seenRevision], [1, 0]);
  });

  test("the best preview is the newest change later than the current one", () => {
    let s = step(empty(), [pane("%0"), pane("%1")], { "%0": "zero", "%1": "" }, T(1)).next;
    assert.equal(s.session!.lastPreviewPaneId, "%0");
    s = step(s, [pane("%0"), pane("%1")], { "%1": "one" }, T(3)).next;
    assert.deepEqual(
      [s.session!.lastPreview, s.session!.lastPreviewPaneId, s.session!.lastPreviewAt],
      ["one", "%1", T(3)],
    );
  });

  test("window and session revs move on any projected change, including metadata and deletions", () => {
    let s = step(empty(), [pane("%0"), pane("%1")], { "%0": "a", "%1": "b" }, T(1)).next;
    const renamed = step(s, [pane("%0"), pane("%1")], {}, T(2), {
      windows: [{ index: 0, name: "renamed", active: true, layout: "l0" }],
    });
    assert.equal(renamed.result.changed, true);
    assert.equal(renamed.next.windows[0]!.rev, 2);
    assert.equal(renamed.next.session!.rev, 2);
    s = renamed.next;
    const titled = step(s, [pane("%0", { title: "new title" }), pane("%1")], {}, T(3), {
      windows: [{ index: 0, name: "renamed", active: true, layout: "l0" }],
    });
    assert.equal(titled.result.changed, true);
    assert.equal(titled.next.windows[0]!.rev, 2, "a pane title is not a window field");
    assert.equal(titled.next.session!.rev, 3);
    s = titled.next;
    const killed = step(s, [pane("%0", { title: "new title" })], {}, T(4), {
      windows: [{ index: 0, name: "renamed", active: true, layout: "l1" }],
    });
    assert.deepEqual(killed.result.deletePanes, ["%1"]);
    assert.equal(killed.next.session!.panes, 1);
    assert.equal(killed.next.session!.rev, 4);
  });

  test("the attached count is a session field", () => {
    const s = step(empty(), [pane("%0")], { "%0": "a" }, T(1)).next;
    const { result, next } = step(s, [pane("%0")], {}, T(2), { attached: 1 });
    assert.equal(result.changed, true);
    assert.deepEqual([next.session!.attached, next.session!.rev], [1, 2]);
  });
});

describe("projection step: timeline events", () => {
  test("an output marker when a changed tail contains one, with its metadata", () => {
    const s = step(empty(), [pane("%0")], { "%0": "$ make" }, T(1)).next;
    const { result } = step(
      s,
      [pane("%0", { currentCommand: "make" })],
      { "%0": "$ make\nmake: *** Error 2" },
      T(2),
    );
    const marker = result.timeline.find((e) => e.eventType === "output.marker")!;
    assert.equal(marker.severity, "error");
    assert.equal(marker.marker, "error");
    assert.equal(marker.summary, "make: *** Error 2");
    assert.equal(marker.details, "$ make\nmake: *** Error 2");
    assert.equal(marker.command, "make");
    assert.equal(marker.cwd, "/home/u");
    assert.deepEqual(marker.metadata, {
      paneIndex: 0,
      title: "t%0",
      paneTitle: "t%0",
      windowName: "main",
      revision: 2,
    });
  });

  test("no marker when the tail did not change", () => {
    const s = step(empty(), [pane("%0")], { "%0": "fatal: x" }, T(1)).next;
    assert.equal(step(s, [pane("%0")], { "%0": "fatal: x" }, T(2)).result.timeline.length, 0);
  });

  test("command started and finished, shells skipped, with the duration", () => {
    let s = step(empty(), [pane("%0")], { "%0": "$" }, T(1)).next;
    const started = step(s, [pane("%0", { currentCommand: "sleep" })], {}, T(2));
    assert.deepEqual(
      started.result.timeline.map((e) => [e.eventType, e.summary, e.severity]),
      [["command.started", "command started: sleep", "info"]],
    );
    s = started.next;
    const finished = step(s, [pane("%0")], {}, T(7));
    assert.deepEqual(
      finished.result.timeline.map((e) => [e.eventType, e.summary, e.durationMs]),
      [["command.finished", "command finished: sleep", 5000]],
    );
  });
});

describe("watchtower client TERM and orphan removal (ADR 0004)", () => {
  test("the TERM names the server's pid, and only such a TERM names an owner", () => {
    assert.equal(monitorTerm(1234), "sentinel-watchtower-1234");
    assert.equal(monitorTerm(), `sentinel-watchtower-${process.pid}`);
    assert.equal(monitorOwner("sentinel-watchtower-1234"), 1234);
    for (const term of ["sentinel-watchtower", "sentinel-watchtower-", "sentinel-watchtower-12x", "xterm"])
      assert.equal(monitorOwner(term), undefined, term);
  });

  // Without /proc (macOS) a pid tmux reports is trusted to be its client's; the check needs Linux.
  test("kills nothing but tmux clients whose server is gone", {
    skip: !existsSync("/proc/self/comm"),
  }, async () => {
    const gone = spawn("true");
    await once(gone, "exit");
    // A live process that is not tmux, listed as the client of a dead server: never killed.
    const bystander = spawn("sleep", ["30"]);
    await new Promise((r) => setTimeout(r, 50));
    try {
      const removed = removeOrphans([
        { term: monitorTerm(gone.pid), pid: bystander.pid! },
        { term: monitorTerm(), pid: bystander.pid! },
        { term: monitorTerm(process.ppid), pid: bystander.pid! },
        { term: "xterm-256color", pid: bystander.pid! },
        { term: monitorTerm(gone.pid), pid: 0 },
      ]);
      assert.equal(removed, 0);
      assert.equal(bystander.exitCode, null);
      assert.equal(bystander.signalCode, null);
    } finally {
      bystander.kill();
    }
  });
});
