import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SeenResult } from "../../src/protocol/activity.js";
import {
  parseClientMessage,
  presenceError,
  type SeenMessage,
  seenAck,
  seenFailure,
} from "../../src/protocol/eventMessages.js";

const parse = (value: unknown) =>
  parseClientMessage(typeof value === "string" ? value : JSON.stringify(value));

describe("parseClientMessage", () => {
  test("presence, with Go's zero values for missing fields", () => {
    assert.deepEqual(
      parse({
        type: "presence",
        terminalId: "t-1",
        session: "dev",
        windowIndex: 1,
        paneId: "%4",
        visible: true,
        focused: true,
      }),
      {
        type: "presence",
        terminalId: "t-1",
        session: "dev",
        windowIndex: 1,
        paneId: "%4",
        visible: true,
        focused: true,
      },
    );
    assert.deepEqual(parse({ type: "presence", terminalId: "t" }), {
      type: "presence",
      terminalId: "t",
      session: "",
      windowIndex: 0,
      paneId: "",
      visible: false,
      focused: false,
    });
  });

  test("seen: type trimmed and case-insensitive, missing windowIndex is 0, values kept as sent", () => {
    assert.deepEqual(
      parse({ type: "  SeEn\t", requestId: "r-1", session: "dev", scope: " Pane ", paneId: "%4" }),
      {
        type: "seen",
        requestId: "r-1",
        session: "dev",
        scope: " Pane ",
        windowIndex: 0,
        paneId: "%4",
      },
    );
    assert.deepEqual(parse({ type: "seen" }), {
      type: "seen",
      requestId: "",
      session: "",
      scope: "",
      windowIndex: 0,
      paneId: "",
    });
  });

  test("keys match exactly, else case-insensitively (Go's decoder); unknown keys and null are ignored", () => {
    assert.deepEqual(
      parse({
        TYPE: "seen",
        RequestID: "r",
        SESSION: "dev",
        scope: "window",
        windowindex: 3,
        paneId: null,
        x: [1],
      }),
      { type: "seen", requestId: "r", session: "dev", scope: "window", windowIndex: 3, paneId: "" },
    );
  });

  test("fields of the other message's struct are not type-checked", () => {
    assert.equal(parse({ type: "seen", visible: "yes", terminalId: 5 })?.type, "seen");
    assert.equal(parse({ type: "presence", terminalId: "t", scope: 7, requestId: {} })?.type, "presence");
  });

  test("anything else is ignored: bad JSON, non-objects, unknown or non-string types, wrong field types", () => {
    const ignored: unknown[] = [
      "not json",
      "{",
      "",
      "[]",
      '"seen"',
      "42",
      "null",
      { type: "resize", cols: 1 },
      { type: "" },
      {},
      { type: 5 },
      { type: ["seen"] },
      { type: "seen", requestId: 12 },
      { type: "seen", session: true },
      { type: "seen", windowIndex: "1" },
      { type: "seen", windowIndex: 1.5 },
      { type: "seen", windowIndex: 1e300 },
      { type: "seen", scope: ["pane"] },
      { type: "presence", terminalId: 1 },
      { type: "presence", terminalId: "t", visible: "true" },
      { type: "presence", terminalId: "t", focused: 1 },
      { type: "presence", terminalId: "t", windowIndex: "0" },
    ];
    for (const value of ignored) assert.equal(parse(value), undefined, JSON.stringify(value));
  });
});

describe("presenceError", () => {
  const ok = { terminalId: "t", session: "dev", windowIndex: 1, paneId: "%4", visible: true, focused: false };
  test("the checks of PUT /api/tmux/presence, in order", () => {
    assert.equal(presenceError(ok), undefined);
    assert.equal(presenceError({ ...ok, session: "", paneId: "", windowIndex: -1 }), undefined);
    assert.equal(presenceError({ ...ok, terminalId: "  " }), "terminalId is required");
    assert.equal(presenceError({ ...ok, terminalId: "", session: "bad name" }), "terminalId is required");
    assert.equal(presenceError({ ...ok, session: "bad name" }), "invalid session name");
    assert.equal(presenceError({ ...ok, windowIndex: -2 }), "windowIndex must be >= -1");
    assert.equal(presenceError({ ...ok, paneId: "4" }), "paneId must start with %");
  });
});

describe("seenAck", () => {
  const message: SeenMessage = {
    type: "seen",
    requestId: "seen-123",
    session: "dev",
    scope: "Pane",
    windowIndex: 1,
    paneId: "%4",
  };
  const sessionPatch = {
    name: "dev",
    attached: 1,
    windows: 2,
    panes: 3,
    activityAt: "",
    lastContent: "",
    unreadWindows: 0,
    unreadPanes: 0,
    rev: 7,
  };
  const inspectorPatch = { session: "dev", windows: [], panes: [] };

  test("the exact shape and key order of §3.5", () => {
    const result: SeenResult = {
      session: "dev",
      scope: "pane",
      acked: true,
      globalRev: 12,
      sessionPatches: [sessionPatch],
      inspectorPatches: [inspectorPatch],
    };
    const ack = seenAck(message, result);
    assert.deepEqual(ack, {
      type: "tmux.seen.ack",
      requestId: "seen-123",
      session: "dev",
      scope: "pane",
      acked: true,
      globalRev: 12,
      paneId: "%4",
      windowIndex: 1,
      sessionPatches: [sessionPatch],
      inspectorPatches: [inspectorPatch],
    });
    assert.deepEqual(Object.keys(ack), [
      "type",
      "requestId",
      "session",
      "scope",
      "acked",
      "globalRev",
      "paneId",
      "windowIndex",
      "sessionPatches",
      "inspectorPatches",
    ]);
  });

  test("paneId only when non-empty; windowIndex only when >= 0 (a missing one decoded as 0 is there)", () => {
    const result: SeenResult = { session: "dev", scope: "session", acked: false, globalRev: 3 };
    assert.deepEqual(seenAck({ ...message, paneId: "", windowIndex: 0 }, result), {
      type: "tmux.seen.ack",
      requestId: "seen-123",
      session: "dev",
      scope: "session",
      acked: false,
      globalRev: 3,
      windowIndex: 0,
    });
    assert.equal("windowIndex" in seenAck({ ...message, windowIndex: -1 }, result), false);
  });

  test("a validation error: no patches, the error last", () => {
    const result: SeenResult = {
      session: "dev",
      scope: "pane",
      acked: false,
      globalRev: 0,
      error: "windowIndex must be >= 0",
      sessionPatches: [sessionPatch],
    };
    const ack = seenAck({ ...message, windowIndex: -2 }, result);
    assert.deepEqual(ack, {
      type: "tmux.seen.ack",
      requestId: "seen-123",
      session: "dev",
      scope: "pane",
      acked: false,
      globalRev: 0,
      paneId: "%4",
      error: "windowIndex must be >= 0",
    });
  });

  test("empty patch lists are left out; a tracker that could not be asked answers 'failed to mark seen'", () => {
    const ack = seenAck(message, {
      session: "dev",
      scope: "pane",
      acked: false,
      globalRev: 2,
      sessionPatches: [],
      inspectorPatches: [],
    });
    assert.equal("sessionPatches" in ack || "inspectorPatches" in ack, false);
    assert.deepEqual(seenAck(message, seenFailure(message)), {
      type: "tmux.seen.ack",
      requestId: "seen-123",
      session: "dev",
      scope: "pane",
      acked: false,
      globalRev: 0,
      paneId: "%4",
      windowIndex: 1,
      error: "failed to mark seen",
    });
  });
});
