/// <reference types="mocha" />
// Terminals: "Sentinel: Attach" opens a VS Code terminal on the session over /ws/tmux; text typed into it
// (Terminal.sendText goes through the Pseudoterminal's handleInput) reaches the tmux pane, and the shell's answer
// comes back to the terminal. When the session ends, the terminal says so, and Attach on a session of that name
// afterwards attaches anew instead of bringing back the dead terminal.
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

  /** The session's terminal, attached (opened here when an earlier test did not, e.g. under --grep). */
  async function attachedTerminal(api: SentinelTestApi): Promise<vscode.Terminal> {
    terminal ??= await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    await waitFor(() => terminalOf(api, SESSION)?.state === "attached", "the terminal to attach", 15_000);
    return terminal;
  }

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

  it("carries UTF-8 both ways: typed multi-byte text reaches the pane, multi-byte output arrives whole", async () => {
    const api = await runningSentinel();
    const terminal = await attachedTerminal(api);
    // In: the characters are typed; the shell echoes them back as its output line.
    terminal.sendText("echo 'héllo wörld 世界 🙂'");
    await waitFor(
      async () =>
        (await capturePane(`=${SESSION}:`)).split("\n").some((l) => l.trimEnd() === "héllo wörld 世界 🙂"),
      "the typed UTF-8 line echoed in the tmux pane",
    );
    // Out: the shell makes the bytes (octal escapes), so only a correct decode shows the characters.
    terminal.sendText("printf 'out-\\303\\251t\\303\\251-\\344\\270\\226\\347\\225\\214-%d\\n' 7");
    await waitFor(
      () => terminalOf(api, SESSION)?.output.includes("out-été-世界-7"),
      "the UTF-8 output decoded in the terminal",
    );
    assert.ok(!terminalOf(api, SESSION)!.output.includes("\ufffd"), "no replacement characters");
  });

  it("tells the terminal that its session has ended", async () => {
    const api = await runningSentinel();
    await attachedTerminal(api);
    await tmux("kill-session", "-t", `=${SESSION}`);
    await waitFor(() => terminalOf(api, SESSION)?.state === "ended", "the terminal to end");
    assert.match(terminalOf(api, SESSION)!.output, /the tmux session "typing" has ended/);
  });

  it("Attach after the session's terminal ended opens a working terminal, not the dead one", async function () {
    this.timeout(60_000);
    const api = await runningSentinel();
    if (terminalOf(api, SESSION)?.state !== "ended") {
      // Run alone (--grep): end a terminal of the session first.
      await waitForItem(api, `session:${SESSION}`, "the session in the tree");
      await attachedTerminal(api);
      await tmux("kill-session", "-t", `=${SESSION}`);
      await waitFor(() => terminalOf(api, SESSION)?.state === "ended", "the terminal to end");
    }
    const dead = terminal;
    // A session of the same name again (as on another server after a switch): the row is there to attach.
    await newTmuxSession(SESSION);
    await waitForItem(api, `session:${SESSION}`, "the new session in the tree");

    const fresh = await vscode.commands.executeCommand<vscode.Terminal>("sentinel.attach", SESSION);
    assert.ok(fresh, "sentinel.attach returned no terminal");
    assert.notEqual(fresh, dead, "Attach brought back the terminal whose session had ended");
    terminal = fresh;
    await waitFor(
      () => api.terminals().some((t) => t.session === SESSION && t.state === "attached"),
      "the new terminal to attach",
      15_000,
    );
    assert.deepEqual(
      api.terminals().filter((t) => t.session === SESSION && t.state === "ended"),
      [],
      "the ended terminal is closed",
    );
    fresh.sendText("echo fresh-$((20+1))");
    await waitFor(
      async () => (await capturePane(`=${SESSION}:`)).split("\n").some((l) => l.trimEnd() === "fresh-21"),
      "input in the new terminal to reach tmux",
    );
  });
});
