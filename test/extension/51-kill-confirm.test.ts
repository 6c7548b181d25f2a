/// <reference types="mocha" />
// Kill Pane and Kill Window ask first (issue 16): a modal confirmation, answered here through the test API's hook.
// Declined, tmux still has the pane; accepted, it is gone; with sentinel.confirmKill off, nothing is asked. A kill
// on a multiple selection asks once for all the selected rows. Checked with tmux itself, not only the tree.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { tmux } from "./support/env.js";
import {
  killTmuxSession,
  newTmuxSession,
  paneIds,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "confirm-kill";

async function windowIndexes(): Promise<number[]> {
  const out = await tmux("list-windows", "-t", `=${SESSION}`, "-F", "#{window_index}");
  return out.trim().split("\n").map(Number);
}

describe("kill confirmation (sentinel.confirmKill)", () => {
  let api: SentinelTestApi | undefined;
  const config = () => vscode.workspace.getConfiguration("sentinel");

  before(async () => {
    await newTmuxSession(SESSION);
    // Four panes in window 0, and windows 1 and 2 for the window kills.
    for (let i = 0; i < 3; i++) await tmux("split-window", "-d", "-t", `=${SESSION}:0`);
    await tmux("new-window", "-d", "-t", `=${SESSION}:1`);
    await tmux("new-window", "-d", "-t", `=${SESSION}:2`);
  });
  afterEach(() => api?.setConfirmAnswer(undefined));
  after(async () => {
    await config().update("confirmKill", undefined, vscode.ConfigurationTarget.Global);
    await killTmuxSession(SESSION);
  });

  it("Kill Pane asks; declined, tmux still has the pane", async () => {
    api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    const pane = (await paneIds(`=${SESSION}:0`))[1]!;
    const asked = api.confirmations().length;
    api.setConfirmAnswer(false);
    const killed = await vscode.commands.executeCommand<boolean>("sentinel.killPane", {
      session: SESSION,
      paneId: pane,
    });
    assert.equal(killed, false);
    const questions = api.confirmations().slice(asked);
    assert.equal(questions.length, 1, `confirmations: ${JSON.stringify(questions)}`);
    assert.match(questions[0]!, new RegExp(`Kill pane ${pane} of "${SESSION}"`));
    assert.ok((await paneIds(`=${SESSION}:0`)).includes(pane), "the declined pane is still there");
  });

  it("Kill Pane accepted: tmux loses the pane, the others stay", async () => {
    api = await runningSentinel();
    const before = await paneIds(`=${SESSION}:0`);
    const pane = before[1]!;
    const asked = api.confirmations().length;
    api.setConfirmAnswer(true);
    const killed = await vscode.commands.executeCommand<boolean>("sentinel.killPane", {
      session: SESSION,
      paneId: pane,
    });
    assert.equal(killed, true);
    assert.equal(api.confirmations().length, asked + 1, "asked once");
    assert.deepEqual(
      await paneIds(`=${SESSION}:0`),
      before.filter((p) => p !== pane),
    );
  });

  it("with sentinel.confirmKill off, Kill Pane does not ask", async () => {
    api = await runningSentinel();
    await config().update("confirmKill", false, vscode.ConfigurationTarget.Global);
    try {
      const before = await paneIds(`=${SESSION}:0`);
      const pane = before[1]!;
      const asked = api.confirmations().length;
      // A question would be answered "no" and the pane would stay: the kill shows it was not asked.
      api.setConfirmAnswer(false);
      const killed = await vscode.commands.executeCommand<boolean>("sentinel.killPane", {
        session: SESSION,
        paneId: pane,
      });
      assert.equal(killed, true);
      assert.equal(api.confirmations().length, asked, "no question");
      assert.deepEqual(
        await paneIds(`=${SESSION}:0`),
        before.filter((p) => p !== pane),
      );
    } finally {
      await config().update("confirmKill", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("Kill Window asks; declined, tmux still has the window", async () => {
    api = await runningSentinel();
    const asked = api.confirmations().length;
    api.setConfirmAnswer(false);
    const killed = await vscode.commands.executeCommand<boolean>("sentinel.killWindow", {
      session: SESSION,
      windowIndex: 2,
    });
    assert.equal(killed, false);
    const questions = api.confirmations().slice(asked);
    assert.equal(questions.length, 1, `confirmations: ${JSON.stringify(questions)}`);
    assert.match(questions[0]!, new RegExp(`Kill window 2 of "${SESSION}"`));
    assert.deepEqual(await windowIndexes(), [0, 1, 2]);
  });

  it("a multiple selection asks once for all its rows; declined, nothing goes; accepted, all go", async () => {
    api = await runningSentinel();
    const window1 = { kind: "window", session: SESSION, windowIndex: 1 };
    const window2 = { kind: "window", session: SESSION, windowIndex: 2 };
    const pane = (await paneIds(`=${SESSION}:0`))[1]!;
    const paneRow = { kind: "pane", session: SESSION, windowIndex: 0, paneId: pane };
    const panesBefore = await paneIds(`=${SESSION}:0`);

    // VS Code calls a row's command with the clicked row and the selected rows.
    let asked = api.confirmations().length;
    api.setConfirmAnswer(false);
    const none = await vscode.commands.executeCommand<number>("sentinel.killWindow", window1, [
      window1,
      paneRow,
      window2,
    ]);
    assert.equal(none, 0);
    let questions = api.confirmations().slice(asked);
    assert.equal(questions.length, 1, `confirmations: ${JSON.stringify(questions)}`);
    assert.match(questions[0]!, /Kill these 3 tmux items\?/);
    for (const row of ["window 1 of", "window 2 of", `pane ${pane} of`])
      assert.ok(questions[0]!.includes(row), `the question lists ${row}: ${questions[0]}`);
    assert.deepEqual(await windowIndexes(), [0, 1, 2]);
    assert.deepEqual(await paneIds(`=${SESSION}:0`), panesBefore);

    asked = api.confirmations().length;
    api.setConfirmAnswer(true);
    const killed = await vscode.commands.executeCommand<number>("sentinel.killWindow", window1, [
      window1,
      paneRow,
      window2,
    ]);
    assert.equal(killed, 3);
    questions = api.confirmations().slice(asked);
    assert.equal(questions.length, 1, `asked once: ${JSON.stringify(questions)}`);
    assert.deepEqual(await windowIndexes(), [0]);
    assert.deepEqual(
      await paneIds(`=${SESSION}:0`),
      panesBefore.filter((p) => p !== pane),
    );
  });
});
