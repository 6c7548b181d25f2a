/// <reference types="mocha" />
// A server that already has a recording: the Recordings view lists it once the server is up — after activation,
// whose first reload runs before the server is there, and after a restart whose reload again runs with no server
// (issue 15: that early reload used to leave a settled promise that every later reload returned, so the view
// said "No recordings yet" for good). The recording is made over HTTP, not with this window's commands.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { RecordingInfo, RecordingResponse } from "../../src/protocol/recording.js";
import { waitFor } from "./support/env.js";
import {
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  type SentinelTestApi,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "archived";

describe("recordings reload", () => {
  let api: SentinelTestApi;
  let recording: RecordingInfo | undefined;
  before(async () => {
    await newTmuxSession(SESSION);
    api = await runningSentinel();
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
  });
  after(async () => {
    await api.waitForState("running", 30_000).catch(() => undefined);
    if (recording) await api.apiRequest("DELETE", `/api/recordings/${recording.id}`).catch(() => undefined);
    await killTmuxSession(SESSION);
  });

  const listed = (id: string) => api.recordings().rows.some((r) => r.id === `recording:${id}`);

  it("lists a recording the server already has, after activation and after a server restart", async function () {
    this.timeout(60_000);
    // After activation the list was loaded from the server, although the view asked before the server was up.
    await waitFor(() => api.recordings().loaded, "the Recordings view's list to be loaded after activation");

    const started = await api.apiRequest<RecordingResponse>("POST", "/api/recordings", {
      session: SESSION,
      options: {},
    });
    recording = started.recording;
    await api.apiRequest("POST", `/api/recordings/${recording.id}/stop`);
    await waitFor(() => listed(recording!.id), "the recording in the Recordings view");

    await vscode.commands.executeCommand("sentinel.stopServer");
    assert.equal(api.state(), "stopped");
    assert.deepEqual(api.recordings().list, [], "no recordings while the server is stopped");
    // What activation does: the view reloads while there is no server yet.
    await vscode.commands.executeCommand("sentinel.refreshRecordings");
    assert.equal(api.recordings().loaded, false);

    await vscode.commands.executeCommand("sentinel.startServer");
    assert.equal(api.state(), "running");
    await waitFor(
      () => listed(recording!.id),
      "the server's existing recording in the Recordings view after the restart",
      15_000,
    );
    assert.ok(api.recordings().loaded);
  });
});
