/// <reference types="mocha" />
// Recordings from the extension: record a fixture session with the command (the Sessions row and the status bar
// show it), type into it, add a marker, stop; the cast saved elsewhere passes the strict validator and holds what
// was typed and the marker; the player webview posts `ready` and loads the cast; the cast opens as a file. Play on
// the "recording saved" notification (clicked through the test API, as a user's click) opens the player.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RecordingInfo } from "../../src/protocol/recording.js";
import { validateCast } from "../fixtures/asciicast.js";
import { testEnv, tmux, waitFor } from "./support/env.js";
import {
  findItem,
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "taped";

describe("recordings", () => {
  let api: SentinelTestApi;
  let recording: RecordingInfo | undefined;
  let played: RecordingInfo | undefined;
  before(async () => {
    await newTmuxSession(SESSION);
    api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
  });
  after(async () => {
    if (recording) {
      await api.apiRequest("POST", `/api/recordings/${recording.id}/stop`).catch(() => undefined);
      await api.apiRequest("DELETE", `/api/recordings/${recording.id}`).catch(() => undefined);
    }
    if (played) {
      await api.apiRequest("POST", `/api/recordings/${played.id}/stop`).catch(() => undefined);
      await api.apiRequest("DELETE", `/api/recordings/${played.id}`).catch(() => undefined);
    }
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await killTmuxSession(SESSION);
  });

  it("records a session from the command; the row shows it until it stops", async function () {
    this.timeout(60_000);
    recording = await vscode.commands.executeCommand<RecordingInfo>("sentinel.recordSession", SESSION);
    assert.ok(recording?.id, "the command returns the recording");
    assert.equal(recording.status, "recording");
    const row = await waitForItem(api, `session:${SESSION}`, "the session row marked as recording", (item) =>
      /\.recording$/.test(item.contextValue),
    );
    assert.match(row.description, /^REC/);
    assert.equal(api.contextKeys()["sentinel.serverState"], "running");
    await waitFor(
      () => api.recordings().rows.find((r) => r.id === `recording:${recording!.id}`),
      "the recording in the Recordings view",
    );

    await tmux("send-keys", "-t", `=${SESSION}:`, "echo cast-check-$((6*7))", "Enter");
    await waitFor(
      async () => /cast-check-42/.test(await tmux("capture-pane", "-p", "-t", `=${SESSION}:`)),
      "the echo",
    );
    await new Promise((r) => setTimeout(r, 700)); // the recorder flushes at least every 250 ms
    await vscode.commands.executeCommand("sentinel.addRecordingMarker", recording.id, "after echo");

    const stopped = await vscode.commands.executeCommand<RecordingInfo>("sentinel.stopRecording", SESSION);
    assert.equal(stopped?.id, recording.id);
    assert.notEqual(stopped.status, "recording");
    await waitForItem(
      api,
      `session:${SESSION}`,
      "the recording mark to leave the row",
      (item) => !/\.recording/.test(item.contextValue),
    );
    assert.ok(!api.recordings().list.some((r) => r.status === "recording" && r.session === SESSION));
  });

  it("saves the cast elsewhere; it passes the strict validator", async () => {
    assert.ok(recording, "recorded by the previous test");
    const target = vscode.Uri.file(join(testEnv().root, "saved.cast"));
    const saved = await vscode.commands.executeCommand<vscode.Uri>("sentinel.saveCast", recording.id, target);
    assert.equal(saved?.fsPath, target.fsPath);
    const cast = validateCast(readFileSync(target.fsPath));
    assert.match(cast.output, /cast-check-42/);
    assert.ok(cast.markers.includes("after echo"), `markers: ${JSON.stringify(cast.markers)}`);
  });

  it("plays the cast in the player webview (ready, then loaded)", async function () {
    this.timeout(30_000);
    assert.ok(recording, "recorded by the previous test");
    await vscode.commands.executeCommand("sentinel.playRecording", recording.id);
    const player = await waitFor(
      () => api.players().find((p) => p.recordingId === recording!.id && p.ready && p.loaded),
      "the player's ready and loaded messages",
      20_000,
    );
    // The player has drawn its terminal (WASM under the CSP) without a refusal or a script error.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(api.players().find((p) => p.recordingId === recording!.id)?.error, undefined);
    assert.equal(player.messages[0], "ready");
    assert.ok(typeof player.duration === "number" && player.duration > 0, `duration ${player.duration}`);
    assert.ok(player.markers >= 1);
  });

  it("finds text in the cast and the player jumps to the moment it appeared", async () => {
    assert.ok(recording, "recorded by the previous test");
    const hits = api.playerSearch(recording.id, "cast-check-42");
    assert.ok(hits && hits.length >= 1, `hits: ${JSON.stringify(hits)}`);
    const player = await waitFor(
      () => api.players().find((p) => p.recordingId === recording!.id && p.lastSeek !== undefined),
      "the player to seek to the first hit",
    );
    assert.equal(player.lastSeek, hits[0]!.time);
    assert.ok(hits[0]!.time > 0 && hits[0]!.time <= (player.duration ?? 0) + 0.001);
    assert.match(hits[0]!.preview, /cast-check-42/);
    assert.deepEqual(api.playerSearch(recording.id, "no such text in this cast"), []);
  });

  it("opens the cast as a file", async () => {
    assert.ok(recording, "recorded by the previous test");
    const file = await vscode.commands.executeCommand<vscode.Uri>("sentinel.openCast", recording.id);
    assert.ok(file?.fsPath.endsWith(".cast"));
    await waitFor(
      () => vscode.window.activeTextEditor?.document.uri.fsPath === file.fsPath,
      "the cast in the active editor",
    );
    validateCast(vscode.window.activeTextEditor!.document.getText());
    assert.ok(findItem(await api.treeSnapshot(), `session:${SESSION}`));
  });

  it("Play on the 'recording saved' notification opens the player", async function () {
    this.timeout(60_000);
    played = await vscode.commands.executeCommand<RecordingInfo>("sentinel.recordSession", SESSION);
    assert.ok(played?.id, "the command returns the recording");
    await tmux("send-keys", "-t", `=${SESSION}:`, "echo played-$((5*5))", "Enter");
    await waitFor(
      async () => /played-25/.test(await tmux("capture-pane", "-p", "-t", `=${SESSION}:`)),
      "the echo",
    );
    await new Promise((r) => setTimeout(r, 700)); // the recorder flushes at least every 250 ms
    const stopped = await vscode.commands.executeCommand<RecordingInfo>("sentinel.stopRecording", played.id);
    assert.equal(stopped?.id, played.id);
    // The command has returned; the notification is still there with its Play button, as a user would see it.
    const text = `recording of ${SESSION} saved`;
    const notice = await waitFor(
      () => api.pendingNotifications().find((n) => n.message.includes(text)),
      "the 'recording saved' notification",
    );
    assert.deepEqual(notice.actions, ["Play"]);
    assert.ok(api.chooseNotification(text, "Play"), "Play clicked on the notification");
    const player = await waitFor(
      () => api.players().find((p) => p.recordingId === played!.id && p.ready && p.loaded),
      "the player of the stopped recording, ready and loaded",
      20_000,
    );
    assert.ok(typeof player.duration === "number" && player.duration > 0, `duration ${player.duration}`);
  });
});
