/// <reference types="mocha" />
// A terminal per window or pane (ADR 0014): Attach on a window or pane row opens a terminal of its own, shown
// through a tmux session grouped with the user's, so the session's other client (here the session's own VS Code
// terminal) keeps its current window, and a pane's window keeps its active pane. Attach on the same row again
// shows the same terminal while it is attached; once it ended, a new one.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { capturePane, tmux, waitFor } from "./support/env.js";
import {
  killTmuxSession,
  newTmuxSession,
  paneIds,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "views";
const VIEW_PREFIX = "~sentinel-view-";

interface Client {
  session: string;
  window: number;
}

/** Terminal clients of the fixture tmux (not control-mode ones). */
async function clients(): Promise<Client[]> {
  const out = await tmux("list-clients", "-F", "#{client_control_mode}\t#{client_session}\t#{window_index}");
  return out
    .split("\n")
    .filter((line) => line.startsWith("0\t"))
    .map((line) => {
      const [, session, window] = line.split("\t");
      return { session: session!, window: Number(window) };
    });
}

const activePane = async (target: string) =>
  (await tmux("display-message", "-p", "-t", target, "#{pane_id}")).trim();

function attached(api: SentinelTestApi, name: string): Promise<unknown> {
  return waitFor(
    () => api.terminals().find((t) => t.name === name && t.state === "attached"),
    `terminal ${name} attached`,
    15_000,
  );
}

describe("terminals per window and pane", function () {
  // A loaded 2-core machine: a terminal's attach takes several seconds here.
  this.timeout(90_000);
  const opened: vscode.Terminal[] = [];
  before(async () => {
    await newTmuxSession(SESSION);
    await tmux("new-window", "-t", `=${SESSION}:1`);
    await tmux("new-window", "-t", `=${SESSION}:2`);
    await tmux("split-window", "-t", `=${SESSION}:1`);
    await tmux("select-window", "-t", `=${SESSION}:0`);
  });
  after(async () => {
    for (const t of opened) t.dispose();
    await killTmuxSession(SESSION);
  });

  it("Attach on a window row opens that window in its own terminal; the session's terminal stays on its window", async () => {
    const api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    const sessionTerminal = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    opened.push(sessionTerminal);
    await attached(api, `tmux: ${SESSION}`);
    await waitFor(async () => (await clients()).some((c) => c.session === SESSION), "the session's client");

    const windowTerminal = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", {
      kind: "window",
      session: SESSION,
      windowIndex: 2,
    });
    opened.push(windowTerminal);
    assert.equal(windowTerminal.name, `tmux: ${SESSION}:2`);
    await attached(api, `tmux: ${SESSION}:2`);
    const view = await waitFor(
      async () => (await clients()).find((c) => c.session.startsWith(VIEW_PREFIX)),
      "the view's client",
    );
    assert.equal(view.window, 2);

    windowTerminal.sendText("echo window-$((40+2))");
    await waitFor(
      async () => (await capturePane(`=${SESSION}:2`)).includes("window-42"),
      "the echo in window 2",
    );
    const own = (await clients()).find((c) => c.session === SESSION);
    assert.equal(own?.window, 0, "the session's own client did not move");
    assert.equal((await capturePane(`=${SESSION}:0`)).includes("window-42"), false);
    // Not a session in the tree.
    const tree = await api.treeSnapshot();
    assert.equal(JSON.stringify(tree).includes(VIEW_PREFIX), false);

    // The same row again: the same terminal.
    const again = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", {
      kind: "window",
      session: SESSION,
      windowIndex: 2,
    });
    assert.equal(again, windowTerminal);
  });

  it("Attach on a pane row types into that pane; its window's active pane does not change", async () => {
    const api = await runningSentinel();
    const active = await activePane(`=${SESSION}:1`);
    const other = (await paneIds(`=${SESSION}:1`)).find((p) => p !== active)!;
    const paneTerminal = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", {
      kind: "pane",
      session: SESSION,
      windowIndex: 1,
      paneId: other,
    });
    opened.push(paneTerminal);
    assert.equal(paneTerminal.name, `tmux: ${SESSION} ${other}`);
    await attached(api, `tmux: ${SESSION} ${other}`);
    paneTerminal.sendText("echo pane-$((40+2))");
    await waitFor(async () => (await capturePane(other)).includes("pane-42"), "the echo in the chosen pane");
    assert.equal((await capturePane(active)).includes("pane-42"), false);
    assert.equal(await activePane(`=${SESSION}:1`), active);
    assert.equal((await clients()).find((c) => c.session === SESSION)?.window, 0);
  });

  it("closing a view's terminal removes its tmux session; an ended view terminal is not reused", async () => {
    const api = await runningSentinel();
    const views = async () =>
      (await tmux("list-sessions", "-F", "#{session_name}"))
        .split("\n")
        .filter((n) => n.startsWith(VIEW_PREFIX));
    const before = (await views()).length;
    const t = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", {
      kind: "window",
      session: SESSION,
      windowIndex: 1,
    });
    await attached(api, `tmux: ${SESSION}:1`);
    await waitFor(async () => (await views()).length === before + 1, "one more view session");
    t.dispose();
    await waitFor(async () => (await views()).length === before, "the view session removed");

    // The session is killed: its view terminals end, and Attach afterwards opens a new terminal.
    await tmux("new-session", "-d", "-s", "views-b", "-x", "80", "-y", "24");
    await tmux("new-window", "-t", "=views-b:1");
    try {
      const first = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", {
        kind: "window",
        session: "views-b",
        windowIndex: 1,
      });
      opened.push(first);
      await attached(api, "tmux: views-b:1");
      await tmux("kill-session", "-t", "=views-b");
      await waitFor(
        () => api.terminals().find((x) => x.name === "tmux: views-b:1")?.state === "ended",
        "the view terminal ended",
        15_000,
      );
      await tmux("new-session", "-d", "-s", "views-b", "-x", "80", "-y", "24");
      await tmux("new-window", "-t", "=views-b:1");
      const second = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", {
        kind: "window",
        session: "views-b",
        windowIndex: 1,
      });
      opened.push(second);
      assert.notEqual(second, first);
      await attached(api, "tmux: views-b:1");
    } finally {
      await killTmuxSession("views-b");
    }
  });
});
