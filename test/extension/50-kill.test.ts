/// <reference types="mocha" />
// Killing a session asks first (a modal confirmation, answered here through the test API's hook; setting
// sentinel.confirmKill). No: the session stays. Yes: the server's guardrail (default rule "Confirm session kill",
// 428) is answered with that same yes, not a second question; tmux loses the session and it leaves the tree. With
// the setting off, the extension does not ask but the guardrail still does.
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
    assert.equal(await tmuxHasSession(SESSION), true);
    assert.ok(findItem(await api.treeSnapshot(), `session:${SESSION}`), "still in the tree");
  });

  it("with sentinel.confirmKill off, only the server's guardrail asks", async () => {
    api = await runningSentinel();
    const config = vscode.workspace.getConfiguration("sentinel");
    await config.update("confirmKill", false, vscode.ConfigurationTarget.Global);
    try {
      const asked = api.confirmations().length;
      api.setConfirmAnswer(false);
      const killed = await vscode.commands.executeCommand<boolean>("sentinel.killSession", SESSION);
      assert.equal(killed, false);
      const questions = api.confirmations().slice(asked);
      assert.equal(questions.length, 1, `confirmations: ${JSON.stringify(questions)}`);
      assert.match(questions[0]!, /Guardrail "Confirm session kill"/);
      assert.equal(await tmuxHasSession(SESSION), true);
    } finally {
      await config.update("confirmKill", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("confirmed once, the guardrail takes that answer: tmux loses the session and it leaves the tree", async () => {
    api = await runningSentinel();
    const asked = api.confirmations().length;
    api.setConfirmAnswer(true);
    const killed = await vscode.commands.executeCommand<boolean>("sentinel.killSession", SESSION);
    assert.equal(killed, true);
    // One question: ours. The guardrail's 428 got the confirmation without asking again.
    const questions = api.confirmations().slice(asked);
    assert.equal(questions.length, 1, `confirmations: ${JSON.stringify(questions)}`);
    assert.doesNotMatch(questions[0]!, /Guardrail/);
    assert.equal(await tmuxHasSession(SESSION), false);
    await waitFor(
      async () => !findItem(await api!.treeSnapshot(), `session:${SESSION}`),
      "the killed session to leave the tree",
    );
    // The other sessions are untouched.
    assert.ok(findItem(await api.treeSnapshot(), "session:alpha"));
  });
});
