/// <reference types="mocha" />
// The session, window and pane commands as the tree's actions call them (a node or a session name as the
// argument; names given, so no input boxes): new session in a folder, rename, new window, split, select window.
// Each is checked in tmux itself and in the tree. None of them is guarded by the default rules: a confirmation
// asked here would be declined and fail the test.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { tmux, waitFor } from "./support/env.js";
import {
  findItem,
  killTmuxSession,
  paneIds,
  runningSentinel,
  type SentinelTestApi,
  tmuxHasSession,
  waitForItem,
} from "./support/sentinel.js";

const FIRST = "cmd-made";
const RENAMED = "cmd-renamed";

async function windows(session: string): Promise<string[]> {
  return (
    await tmux("list-windows", "-t", `=${session}`, "-F", "#{window_index}:#{window_name}:#{window_active}")
  )
    .trim()
    .split("\n");
}

describe("session, window and pane commands", () => {
  let api: SentinelTestApi | undefined;
  after(async () => {
    api?.setConfirmAnswer(undefined);
    await killTmuxSession(FIRST);
    await killTmuxSession(RENAMED);
  });

  it("new session in a folder, rename, new window, split and select window reach tmux and the tree", async () => {
    api = await runningSentinel();
    api.setConfirmAnswer(false);
    const asked = api.confirmations().length;
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;

    const created = await vscode.commands.executeCommand<string>("sentinel.newSession", {
      name: FIRST,
      cwd: folder,
      attach: false,
    });
    assert.equal(created, FIRST);
    assert.equal(await tmuxHasSession(FIRST), true);
    const [pane] = await paneIds(`=${FIRST}:`);
    assert.equal((await tmux("display-message", "-p", "-t", pane!, "#{pane_current_path}")).trim(), folder);
    await waitForItem(api, `session:${FIRST}`, "the new session in the tree");

    await vscode.commands.executeCommand("sentinel.renameSession", FIRST, RENAMED);
    assert.equal(await tmuxHasSession(RENAMED), true);
    assert.equal(await tmuxHasSession(FIRST), false);
    await waitFor(async () => {
      const tree = await api!.treeSnapshot();
      return findItem(tree, `session:${RENAMED}`) && !findItem(tree, `session:${FIRST}`);
    }, "the renamed session in the tree under its new name only");

    await vscode.commands.executeCommand("sentinel.newWindow", { kind: "session", session: RENAMED });
    await waitFor(async () => (await windows(RENAMED)).length === 2, "a second window in tmux");
    await waitForItem(api, `window:${RENAMED}:1`, "the new window in the tree");

    await vscode.commands.executeCommand("sentinel.splitPaneRight", {
      kind: "window",
      session: RENAMED,
      windowIndex: 1,
    });
    const split = await waitFor(async () => {
      const ids = await paneIds(`=${RENAMED}:1`);
      return ids.length === 2 ? ids : undefined;
    }, "two panes in window 1");
    await waitFor(async () => {
      const window = findItem(await api!.treeSnapshot(), `window:${RENAMED}:1`);
      return split.every((id) => findItem(window?.children, `pane:${RENAMED}:${id}`));
    }, "both panes of window 1 in the tree");

    // Select the window that is not active now.
    const target = (await windows(RENAMED)).find((w) => w.endsWith(":0"))!.split(":")[0]!;
    await vscode.commands.executeCommand("sentinel.selectWindow", {
      kind: "window",
      session: RENAMED,
      windowIndex: Number(target),
    });
    await waitFor(
      async () => (await windows(RENAMED)).some((w) => w.startsWith(`${target}:`) && w.endsWith(":1")),
      `window ${target} active in tmux`,
    );
    await waitForItem(api, `window:${RENAMED}:${target}`, `window ${target} active in the tree`, (w) =>
      /\.active\b/.test(w.contextValue),
    );

    assert.deepEqual(api.confirmations().slice(asked), [], "no command asked for a confirmation");
  });
});
