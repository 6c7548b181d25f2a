/// <reference types="mocha" />
// The Sessions tree shows the fixture's sessions › windows › panes as tmux has them, and follows changes made
// outside VS Code (events, no manual refresh).
import * as assert from "node:assert/strict";
import type { RenderedItem } from "../../src/extension/views/sessionsView.js";
import { recordMetric, tmux, waitFor } from "./support/env.js";
import { findItem, isUnread, runningSentinel } from "./support/sentinel.js";

async function paneIds(target: string): Promise<string[]> {
  return (await tmux("list-panes", "-t", target, "-F", "#{pane_id}")).trim().split("\n");
}

describe("Sessions tree", () => {
  it("shows the fixture's sessions, windows and panes", async () => {
    const api = await runningSentinel();
    const tree = await waitFor(async () => {
      const items = await api.treeSnapshot();
      return findItem(items, "session:alpha") && findItem(items, "session:beta") ? items : undefined;
    }, "alpha and beta in the tree");
    const alpha = findItem(tree, "session:alpha")!;
    assert.deepEqual(
      alpha.children?.map((w) => [w.id, w.label]),
      [
        ["window:alpha:0", "0: editor"],
        ["window:alpha:1", "1: logs"],
      ],
    );
    const editorPanes = findItem(tree, "window:alpha:0")!.children ?? [];
    assert.deepEqual(
      editorPanes.map((p) => p.id),
      (await paneIds("=alpha:editor")).map((id) => `pane:alpha:${id}`),
    );
    assert.equal(editorPanes.length, 2);
    assert.equal(findItem(tree, "window:alpha:1")!.children?.length, 1);
    const beta = findItem(tree, "session:beta")!;
    assert.deepEqual(
      beta.children?.map((w) => w.label),
      ["0: main"],
    );
    assert.match(alpha.contextValue, /^sentinel\.session/);
    assert.match(editorPanes[0]!.contextValue, /^sentinel\.pane/);
  });

  it("a fresh open shows no unread for output that was there before (issue 16, ADR 0004)", async () => {
    // The fixture's sessions were made, and their shells printed their prompts, before VS Code started: old
    // output is read at first sight, so nothing of alpha or beta is unread.
    const api = await runningSentinel();
    const fixture = /^(session|window|pane):(alpha|beta)(:|$)/;
    const unread: string[] = [];
    const seen: string[] = [];
    const walk = (items: RenderedItem[]) => {
      for (const item of items) {
        if (fixture.test(item.id)) seen.push(item.id);
        if (fixture.test(item.id) && isUnread(item)) unread.push(item.id);
        walk(item.children ?? []);
      }
    };
    const tree = await api.treeSnapshot();
    walk(tree);
    // alpha, its two windows and three panes; beta, its window and pane.
    assert.ok(seen.length >= 9, `the fixture's rows are in the tree: ${seen.join(", ")}`);
    assert.deepEqual(unread, [], "no fixture row is unread after a fresh open");
  });

  it("follows a session created and killed outside VS Code", async () => {
    const api = await runningSentinel();
    const t0 = performance.now();
    await tmux("new-session", "-d", "-s", "outside", "-x", "100", "-y", "30");
    await waitFor(
      async () => findItem(await api.treeSnapshot(), "session:outside"),
      "the new session in the tree",
    );
    recordMetric({
      metric: "tmux_new_session_to_tree",
      value: Math.round(performance.now() - t0),
      unit: "ms",
    });
    await tmux("kill-session", "-t", "=outside");
    await waitFor(
      async () => !findItem(await api.treeSnapshot(), "session:outside"),
      "the killed session to leave the tree",
    );
  });

  it("follows windows and panes added outside VS Code", async () => {
    const api = await runningSentinel();
    await tmux("new-window", "-d", "-t", "=beta", "-n", "extra");
    await tmux("split-window", "-d", "-t", "=beta:extra");
    const ids = (await paneIds("=beta:extra")).map((id) => `pane:beta:${id}`);
    await waitFor(async () => {
      const window = findItem(await api.treeSnapshot(), "window:beta:1");
      return window?.label === "1: extra" && ids.every((id) => findItem(window.children, id));
    }, "beta's new window with its two panes");
    await tmux("kill-window", "-t", "=beta:extra");
    await waitFor(
      async () => !findItem(await api.treeSnapshot(), "window:beta:1"),
      "the killed window to leave the tree",
    );
  });
});
