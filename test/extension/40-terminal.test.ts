/// <reference types="mocha" />
// Terminals: "Sentinel: Attach" opens a VS Code terminal on the session over /ws/tmux; text typed into it
// (Terminal.sendText goes through the Pseudoterminal's handleInput) reaches the tmux pane, and the shell's answer
// comes back to the terminal. When the session ends, the terminal says so.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { capturePane, recordMetric, tmux, waitFor } from "./support/env.js";
import {
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "typing";

function terminalOf(api: SentinelTestApi, session: string) {
  return api.terminals().find((t) => t.session === session);
}

describe("terminals", () => {
  let terminal: vscode.Terminal | undefined;
  before(() => newTmuxSession(SESSION));
  after(async () => {
    terminal?.dispose();
    await killTmuxSession(SESSION);
  });

  it("attach opens a terminal; typed text reaches tmux and the echo comes back", async () => {
    const api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    const screens = api.metrics().attachToFirstScreenMs.length;

    terminal = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    assert.ok(terminal, "sentinel.attach returned no terminal");
    assert.equal(terminal.name, `tmux: ${SESSION}`);
    await waitFor(() => terminalOf(api, SESSION)?.state === "attached", "the terminal to attach", 15_000);
    const firstScreen = await waitFor(
      () => api.metrics().attachToFirstScreenMs[screens],
      "the first screen of the attach",
    );
    recordMetric({ metric: "attach_to_first_screen", value: firstScreen, unit: "ms" });
    // tmux counts the terminal's client; the session row says "attached".
    await waitForItem(api, `session:${SESSION}`, "the session attached", (s) =>
      /\.attached\b/.test(s.contextValue),
    );

    // The shell computes the answer: "typed-42" is only on the screen if the keystrokes ran there.
    terminal.sendText("echo typed-$((40+2))");
    const lines = await waitFor(async () => {
      const screen = (await capturePane(`=${SESSION}:`)).split("\n").map((l) => l.trimEnd());
      return screen.includes("typed-42") ? screen : undefined;
    }, "the typed command's output in the tmux pane");
    assert.ok(
      lines.some((l) => l.endsWith("echo typed-$((40+2))")),
      `typed command line on screen:\n${lines.join("\n")}`,
    );
    await waitFor(
      () => terminalOf(api, SESSION)?.output.includes("typed-42"),
      "the echo in the terminal's output",
    );
  });

  it("tells the terminal that its session has ended", async () => {
    const api = await runningSentinel();
    assert.equal(terminalOf(api, SESSION)?.state, "attached");
    await tmux("kill-session", "-t", `=${SESSION}`);
    await waitFor(() => terminalOf(api, SESSION)?.state === "ended", "the terminal to end");
    assert.match(terminalOf(api, SESSION)!.output, /the tmux session "typing" has ended/);
  });
});
