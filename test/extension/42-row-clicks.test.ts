/// <reference types="mocha" />
// Enter or a double-click on a Sessions row attaches (issue 16; views/rowClicks.ts). The workbench's clicks and
// key presses are out of the extension host's reach, so the test does what they do: a click runs the row's own
// command (read from the TreeItem the view renders) with its own arguments — once: nothing opens; twice within
// the double-click time: the row's terminal opens and works; Enter runs the manifest's keybinding command on the
// view's selection — a window row selected through the TreeView: that window's terminal opens.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { EXTENSION_ID, waitFor } from "./support/env.js";
import {
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "clicks";

describe("row clicks", () => {
  let api: SentinelTestApi;
  before(async () => {
    await newTmuxSession(SESSION);
    api = await runningSentinel();
  });
  after(async () => {
    for (const t of vscode.window.terminals) if (t.name.startsWith(`tmux: ${SESSION}`)) t.dispose();
    await killTmuxSession(SESSION);
  });

  const sessionTerminal = () => api.terminals().find((t) => t.session === SESSION && !t.view);

  it("a single click does not attach; a double-click on a session row attaches it", async function () {
    this.timeout(30_000);
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    const click = await api.sessionRowCommand(`session:${SESSION}`);
    assert.ok(click, "the row has a command");
    assert.equal(click.command, "sentinel.rowClicked");
    await vscode.commands.executeCommand(click.command, ...click.arguments);
    // Past the double-click time: a second click now is a first click again.
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(sessionTerminal(), undefined, "one click opened a terminal");
    await vscode.commands.executeCommand(click.command, ...click.arguments);
    assert.equal(sessionTerminal(), undefined, "a click after the double-click time opened a terminal");
    await new Promise((r) => setTimeout(r, 700));

    await vscode.commands.executeCommand(click.command, ...click.arguments);
    await vscode.commands.executeCommand(click.command, ...click.arguments);
    await waitFor(
      () => sessionTerminal()?.state === "attached",
      "the double-clicked session to attach",
      15_000,
    );
    const terminal = vscode.window.terminals.find((t) => t.name === `tmux: ${SESSION}`);
    assert.ok(terminal, "a terminal named after the session");
    terminal.sendText("echo clicked-$((40+2))");
    await waitFor(() => sessionTerminal()?.output.includes("clicked-42"), "the echo in the terminal", 15_000);
  });

  it("Enter on a selected window row attaches that window", async function () {
    this.timeout(30_000);
    const keybindings: Array<{ command: string; key: string; when?: string }> =
      vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.keybindings;
    const enter = keybindings.find((k) => k.key === "enter");
    assert.equal(enter?.command, "sentinel.attachSelected", "Enter runs Attach Selected");
    assert.match(enter?.when ?? "", /focusedView == sentinel\.sessions/, "only in the Sessions view");
    assert.match(enter?.when ?? "", /!inputFocus/, "not while typing in an input");

    const window = await waitForItem(api, `window:${SESSION}:0`, "the session's first window");
    const selected = await api.selectSessionRow(window.id);
    assert.deepEqual(selected, [window.id], "the window row is selected");
    await vscode.commands.executeCommand(enter!.command);
    await waitFor(
      () =>
        api
          .terminals()
          .some((t) => t.session === SESSION && t.view && "window" in t.view && t.state === "attached"),
      "the window's own terminal to attach",
      15_000,
    );
  });
});
