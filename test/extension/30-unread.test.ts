/// <reference types="mocha" />
// Unread marks: output in a pane that no terminal has focused raises the pane's mark and its window's and
// session's; "Sentinel: Mark Seen" on the pane clears them. Real watchtower, real tmux output.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { capturePane, recordMetric, tmux, waitFor } from "./support/env.js";
import {
  isUnread,
  killTmuxSession,
  newTmuxSession,
  paneIds,
  runningSentinel,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "unread";

describe("unread marks", () => {
  before(async () => {
    await newTmuxSession(SESSION);
    await tmux("split-window", "-d", "-t", `=${SESSION}:0`);
  });
  after(() => killTmuxSession(SESSION));

  it("output in an unfocused pane marks it unread; mark seen on the pane clears it", async () => {
    const api = await runningSentinel();
    const [quiet, noisy] = await paneIds(`=${SESSION}:0`);
    assert.ok(quiet && noisy);
    // Wait until the watchtower has both panes' first screen (the shell's prompt), so that no late prompt undoes
    // the mark seen below. (It is unread only for panes made after the server first listed tmux.)
    await waitFor(async () => {
      const { panes } = await api.apiRequest<{ panes: Array<{ tailPreview?: string }> }>(
        "GET",
        `/api/tmux/sessions/${SESSION}/panes`,
      );
      return panes.length === 2 && panes.every((p) => p.tailPreview);
    }, "both panes' prompts in the projection");

    // Start from nothing unread.
    await vscode.commands.executeCommand("sentinel.markSeen", SESSION);
    await waitForItem(api, `session:${SESSION}`, "the session read after mark seen", (s) => !isUnread(s));

    const t0 = performance.now();
    await tmux("send-keys", "-t", noisy, "echo unread-$((40+2))", "Enter");
    const pane = await waitForItem(api, `pane:${SESSION}:${noisy}`, "the pane's unread mark", isUnread);
    recordMetric({
      metric: "pane_output_to_unread_mark",
      value: Math.round(performance.now() - t0),
      unit: "ms",
    });
    assert.match(pane.description, /●/);
    assert.ok((await capturePane(noisy)).includes("unread-42"));
    const session = await waitForItem(api, `session:${SESSION}`, "the session's unread mark", isUnread);
    assert.match(session.description, /● 1\b/, `session row: ${session.description}`);
    const tree = await api.treeSnapshot();
    const window = tree.find((s) => s.id === `session:${SESSION}`)?.children?.[0];
    assert.ok(isUnread(window), `window row: ${JSON.stringify(window)}`);
    const other = window?.children?.find((p) => p.id === `pane:${SESSION}:${quiet}`);
    assert.ok(other && !isUnread(other), "the quiet pane stays read");
    assert.ok(
      (api.sessionsSnapshot().find((s) => s.name === SESSION)?.unreadPanes ?? 0) >= 1,
      "the model counts the unread pane",
    );

    // Mark seen, as the pane row's inline action does (the tree node is the argument).
    await vscode.commands.executeCommand("sentinel.markSeen", {
      kind: "pane",
      session: SESSION,
      paneId: noisy,
    });
    await waitForItem(api, `pane:${SESSION}:${noisy}`, "the pane read after mark seen", (p) => !isUnread(p));
    const cleared = await waitForItem(api, `session:${SESSION}`, "the session read", (s) => !isUnread(s));
    assert.doesNotMatch(cleared.description, /●/);
  });
});
