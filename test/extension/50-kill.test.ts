/// <reference types="mocha" />
// Killing a session is guarded (the server's default rule "Confirm session kill" answers 428): the extension asks
// with a modal confirmation, answered here through the test API's hook. No: the session stays. Yes: the call is
// retried with the confirmation, tmux loses the session and it leaves the tree.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { waitFor } from "./support/env.js";
import {
  findItem,
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  tmuxHasSession,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "doomed";

describe("kill session", () => {
  let api: SentinelTestApi | undefined;
  before(() => newTmuxSession(SESSION));
  after(async () => {
    api?.setConfirmAnswer(undefined);
    await killTmuxSession(SESSION);
  });

  it("asks for confirmation; declined, the session stays", async () => {
    api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    const asked = api.confirmations().length;
    api.setConfirmAnswer(false);
    const killed = await vscode.commands.executeCommand<boolean>("sentinel.killSession", SESSION);
    assert.equal(killed, false);
    const questions = api.confirmations().slice(asked);
    assert.equal(questions.length, 1, `confirmations: ${JSON.stringify(questions)}`);
    assert.match(questions[0]!, /Kill the tmux session "doomed"/);
    assert.match(questions[0]!, /Guardrail "Confirm session kill"/);
    assert.equal(await tmuxHasSession(SESSION), true);
    assert.ok(findItem(await api.treeSnapshot(), `session:${SESSION}`), "still in the tree");
  });

  it("confirmed, tmux loses the session and it leaves the tree", async () => {
    api = await runningSentinel();
    const asked = api.confirmations().length;
    api.setConfirmAnswer(true);
    const killed = await vscode.commands.executeCommand<boolean>("sentinel.killSession", SESSION);
    assert.equal(killed, true);
    assert.equal(api.confirmations().length, asked + 1);
    assert.equal(await tmuxHasSession(SESSION), false);
    await waitFor(
      async () => !findItem(await api!.treeSnapshot(), `session:${SESSION}`),
      "the killed session to leave the tree",
    );
    // The other sessions are untouched.
    assert.ok(findItem(await api.treeSnapshot(), "session:alpha"));
  });
});
