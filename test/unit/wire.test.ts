// The one mapping of sessions to the wire (src/server/model/wire.ts): the tmux path and the projection path give
// the same shape, times as RFC 3339 with seconds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toSessionPatch, toWireSession } from "../../src/server/model/wire.js";

const meta = { command: "vim", hash: "abc", lastContent: "$ ls", icon: "bot" };

describe("sessions to the wire", () => {
  test("tmux path: no state, zero counters, times with seconds", () => {
    const s = toWireSession(
      { name: "dev", windows: 2, attached: 1, createdAt: "2026-01-02T03:04:05.000Z", activityAt: "" },
      3,
      meta,
      undefined,
    );
    assert.deepEqual(
      s,
      {
        name: "dev",
        windows: 2,
        panes: 3,
        attached: 1,
        createdAt: "2026-01-02T03:04:05Z",
        activityAt: "0001-01-01T00:00:00Z",
        command: "vim",
        hash: "abc",
        lastContent: "$ ls",
        icon: "bot",
        unreadWindows: 0,
        unreadPanes: 0,
        rev: 0,
      },
      "the session object of §1.2",
    );
  });

  test("projection path: the state's counters; the patch leaves an unknown time empty", () => {
    const row = {
      name: "dev",
      windows: 1,
      attached: 0,
      createdAt: "2026-01-02T03:04:05.123Z",
      activityAt: "",
      panes: 1,
      lastPreview: "done",
      unreadWindows: 1,
      unreadPanes: 2,
      rev: 7,
    };
    const s = toWireSession(row, row.panes, meta, row);
    assert.equal(s.rev, 7, "the revision is the projection's");
    assert.equal(s.unreadPanes, 2, "unread panes are the projection's");
    const patch = toSessionPatch(row);
    assert.equal(patch.activityAt, "", "a patch's unknown time is empty");
    assert.equal(patch.lastContent, "done", "a patch's last content is the preview");
  });
});
