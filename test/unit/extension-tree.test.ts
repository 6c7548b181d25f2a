// The extension's model of tmux (sessions + inspectors, fed by lists and patches) and the tree rows made from it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ModelChange, SessionsModel } from "../../src/extension/client/sessionsModel.js";
import {
  displayCommand,
  nodeId,
  paneView,
  relativeTime,
  sessionView,
  windowView,
} from "../../src/extension/views/treeNodes.js";
import type { Pane, Session, Window } from "../../src/protocol/api.js";

const session = (name: string, extra: Partial<Session> = {}): Session => ({
  name,
  windows: 1,
  panes: 1,
  attached: 0,
  createdAt: "2026-02-15T11:00:00Z",
  activityAt: "2026-02-15T12:00:00Z",
  command: "",
  hash: "47bb9a80cd8e",
  lastContent: "",
  icon: "",
  unreadWindows: 0,
  unreadPanes: 0,
  rev: 1,
  ...extra,
});

const win = (s: string, index: number, extra: Partial<Window> = {}): Window => ({
  session: s,
  index,
  name: `win-${index}`,
  active: index === 0,
  panes: 1,
  unreadPanes: 0,
  hasUnread: false,
  rev: 1,
  ...extra,
});

const pane = (
  s: string,
  windowIndex: number,
  paneIndex: number,
  id: number,
  extra: Partial<Pane> = {},
): Pane => ({
  session: s,
  windowIndex,
  paneIndex,
  paneId: `%${id}`,
  title: `pan-${id}`,
  active: paneIndex === 0,
  tty: `/dev/pts/${id}`,
  currentCommand: "zsh",
  currentPath: "/home/u/project",
  revision: 1,
  seenRevision: 1,
  hasUnread: false,
  ...extra,
});

function recorder(model: SessionsModel) {
  const changes: ModelChange[] = [];
  model.onDidChange((c) => changes.push({ structure: c.structure, sessions: new Set(c.sessions) }));
  return changes;
}

describe("SessionsModel", () => {
  test("a full list replaces the set, sorted by name; the first load is a structural change", () => {
    const model = new SessionsModel();
    const changes = recorder(model);
    assert.equal(model.loaded, false);
    model.replaceSessions([session("beta"), session("alpha")]);
    assert.equal(model.loaded, true);
    assert.deepEqual(
      model.sessions().map((s) => s.name),
      ["alpha", "beta"],
    );
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.structure, true);
    model.replaceSessions([session("beta"), session("alpha")]);
    assert.equal(changes.length, 1, "the same list changes nothing");
    model.replaceSessions([session("alpha", { attached: 1 })]);
    assert.equal(changes.length, 2);
    assert.equal(changes[1]!.structure, true, "beta is gone");
  });

  test("an empty list after loading still counts as loaded (the 'no sessions' state)", () => {
    const model = new SessionsModel();
    const changes = recorder(model);
    model.replaceSessions([]);
    assert.equal(model.loaded, true);
    assert.equal(changes.length, 1);
  });

  test("session patches update the projection and keep what patches do not carry", () => {
    const model = new SessionsModel();
    model.replaceSessions([session("dev", { icon: "bolt", command: "node" })]);
    const changes = recorder(model);
    model.applySessionPatches([
      {
        name: "dev",
        attached: 1,
        windows: 2,
        panes: 3,
        activityAt: "2026-02-15T12:05:00Z",
        lastContent: "done",
        unreadWindows: 1,
        unreadPanes: 2,
        rev: 7,
      },
    ]);
    const s = model.session("dev")!;
    assert.deepEqual(
      [s.icon, s.command, s.hash, s.unreadPanes, s.rev, s.windows],
      ["bolt", "node", "47bb9a80cd8e", 2, 7, 2],
    );
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.structure, false);
    assert.deepEqual([...changes[0]!.sessions], ["dev"]);
    assert.deepEqual(model.totals(), { panes: 2, windows: 1, sessions: 1 });
  });

  test("a patch for an unknown session adds it (structural)", () => {
    const model = new SessionsModel();
    model.replaceSessions([]);
    const changes = recorder(model);
    model.applySessionPatches([
      {
        name: "new",
        attached: 0,
        windows: 1,
        panes: 1,
        activityAt: "",
        lastContent: "",
        unreadWindows: 0,
        unreadPanes: 0,
        rev: 1,
      },
    ]);
    assert.equal(model.session("new")?.name, "new");
    assert.equal(changes[0]!.structure, true);
  });

  test("inspector patches replace windows and panes, sorted", () => {
    const model = new SessionsModel();
    model.replaceSessions([session("dev")]);
    const changes = recorder(model);
    model.applyInspectorPatches([
      {
        session: "dev",
        windows: [win("dev", 1, { hasUnread: true, unreadPanes: 1 }), win("dev", 0)],
        panes: [pane("dev", 1, 0, 3, { hasUnread: true }), pane("dev", 0, 1, 2), pane("dev", 0, 0, 1)],
      },
    ]);
    assert.deepEqual(
      model.windows("dev").map((w) => w.index),
      [0, 1],
    );
    assert.deepEqual(
      model.panes("dev").map((p) => p.paneId),
      ["%1", "%2", "%3"],
    );
    assert.deepEqual(
      model.panes("dev", 0).map((p) => p.paneId),
      ["%1", "%2"],
    );
    assert.equal(model.activePane("dev")?.paneId, "%1");
    assert.equal(changes.length, 1);
    assert.deepEqual([...changes[0]!.sessions], ["dev"]);
  });

  test("batch groups changes into one notification", () => {
    const model = new SessionsModel();
    model.replaceSessions([session("a"), session("b")]);
    const changes = recorder(model);
    model.batch(() => {
      model.applySessionPatches([
        {
          name: "a",
          attached: 1,
          windows: 1,
          panes: 1,
          activityAt: "",
          lastContent: "",
          unreadWindows: 0,
          unreadPanes: 0,
          rev: 2,
        },
      ]);
      model.setInspector("b", { windows: [win("b", 0)], panes: [pane("b", 0, 0, 9)] });
    });
    assert.equal(changes.length, 1);
    assert.deepEqual([...changes[0]!.sessions].sort(), ["a", "b"]);
  });

  test("rename moves the session and its inspector; remove drops both", () => {
    const model = new SessionsModel();
    model.replaceSessions([session("old")]);
    model.setInspector("old", { windows: [win("old", 0)], panes: [pane("old", 0, 0, 1)] });
    model.renameSession("old", "new");
    assert.equal(model.session("old"), undefined);
    assert.equal(model.session("new")?.name, "new");
    assert.equal(model.windows("new")[0]?.session, "new");
    assert.equal(model.panes("new")[0]?.session, "new");
    model.removeSession("new");
    assert.deepEqual(model.sessions(), []);
    assert.equal(model.inspector("new"), undefined);
  });

  test("snapshot is plain data with windows and panes once loaded", () => {
    const model = new SessionsModel();
    model.replaceSessions([session("a"), session("b")]);
    model.setInspector("a", { windows: [win("a", 0)], panes: [pane("a", 0, 0, 1)] });
    const snap = model.snapshot();
    assert.equal(snap[0]!.inspector?.[0]?.panes[0]?.paneId, "%1");
    assert.equal(snap[1]!.inspector, undefined);
  });
});

describe("tree rows", () => {
  const now = Date.parse("2026-02-15T12:03:00Z");

  test("ids are stable and distinct per level", () => {
    assert.equal(nodeId({ kind: "session", session: "dev" }), "session:dev");
    assert.equal(nodeId({ kind: "window", session: "dev", windowIndex: 2 }), "window:dev:2");
    assert.equal(nodeId({ kind: "pane", session: "dev", paneId: "%4" }), "pane:dev:%4");
  });

  test("a session row: unread mark and count, the running command, the activity time", () => {
    const inspector = {
      windows: [win("dev", 0)],
      panes: [pane("dev", 0, 0, 1, { currentCommand: "node", startCommand: "npx vite" })],
    };
    const v = sessionView(session("dev", { unreadPanes: 2, unreadWindows: 1, attached: 1 }), inspector, now);
    assert.equal(v.id, "session:dev");
    assert.equal(v.label, "dev");
    assert.equal(v.description, "● 2 · node · 3m ago");
    assert.equal(v.contextValue, "sentinel.session.attached.unread");
    assert.equal(v.unread, true);
    assert.match(v.tooltip, /2 unread panes in 1 window/);
    assert.match(v.tooltip, /Running: `node`/);
  });

  test("a quiet session: no mark, a shell is not a 'running command'", () => {
    const v = sessionView(session("dev", { command: "zsh" }), undefined, now);
    assert.equal(v.description, "3m ago");
    assert.equal(v.contextValue, "sentinel.session");
    assert.equal(v.unread, false);
  });

  test("window and pane rows", () => {
    const inspector = {
      windows: [win("dev", 0, { hasUnread: true, unreadPanes: 1, activityAt: "2026-02-15T12:02:50Z" })],
      panes: [
        pane("dev", 0, 0, 1, {
          hasUnread: true,
          currentCommand: "python3",
          changedAt: "2026-02-15T12:02:00Z",
        }),
      ],
    };
    const w = windowView(inspector.windows[0]!, inspector, now);
    assert.equal(w.label, "0: win-0");
    assert.equal(w.description, "● · active · python3 · 10s ago");
    assert.equal(w.contextValue, "sentinel.window.active.unread");
    const p = paneView(inspector.panes[0]!, now);
    assert.equal(p.id, "pane:dev:%1");
    assert.equal(p.label, "0: python3");
    assert.equal(p.description, "● · active · project · 1m ago");
    assert.equal(p.contextValue, "sentinel.pane.active.unread");
    assert.equal(p.collapsible, false);
  });

  test("relative times; the Go zero time and garbage are blank", () => {
    assert.equal(relativeTime("2026-02-15T12:02:58Z", now), "now");
    assert.equal(relativeTime("2026-02-15T12:02:00Z", now), "1m ago");
    assert.equal(relativeTime("2026-02-15T09:03:00Z", now), "3h ago");
    assert.equal(relativeTime("2026-02-10T12:03:00Z", now), "5d ago");
    assert.equal(relativeTime("0001-01-01T00:00:00Z", now), "");
    assert.equal(relativeTime("", now), "");
    assert.equal(relativeTime("yesterday", now), "");
  });

  test("command display follows the spec's inferCommand examples", () => {
    const cases: Array<[string, string]> = [
      ["npx codex --full-auto", "codex"],
      ["NODE_ENV=prod claude", "claude"],
      ["/usr/local/bin/claude", "claude"],
      ["env KEY=val node server.js", "node"],
      ["sudo python3 script.py", "python3"],
      ["'quoted command'", "quoted"],
      ["--flag-only", ""],
      ["KEY=val", ""],
    ];
    for (const [input, expected] of cases) assert.equal(displayCommand(input), expected, input);
  });
});
