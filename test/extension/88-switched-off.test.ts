/// <reference types="mocha" />
// A server that switched a feature off (issue 15: the views' empty and error states): a Sentinel server with
// recovery off (`SENTINEL_RECOVERY_ENABLED=false`: every /api/recovery route answers 503 RECOVERY_DISABLED)
// becomes the active server. The Recovery view says it is switched off (its welcome, from the context key
// `sentinel.recoveryState = disabled`), with no rows and no error message over it; the Ops view of the same server
// loads as usual. Switching back to the window's own server makes recovery available again.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { serverOrigin } from "../../src/extension/util/origin.js";
import { waitFor } from "./support/env.js";
import { type ExternalServer, externalServer, stopExternalServer } from "./support/externalServer.js";
import { runningSentinel, type SentinelTestApi } from "./support/sentinel.js";

describe("a server with recovery switched off", () => {
  const token = randomBytes(24).toString("base64url");
  let api: SentinelTestApi;
  let server: ExternalServer | undefined;

  before(async function () {
    this.timeout(60_000);
    api = await runningSentinel();
    server = await externalServer(token, "recovery-off", undefined, { SENTINEL_RECOVERY_ENABLED: "false" });
  });
  after(async function () {
    this.timeout(60_000);
    if (server) {
      const id = serverOrigin(server.url);
      api.setConfirmAnswer(true);
      try {
        if (api.servers().some((r) => r.id === id))
          await vscode.commands.executeCommand("sentinel.disconnectServer", { id });
      } finally {
        api.setConfirmAnswer(undefined);
      }
    }
    await waitFor(
      () => api.state() === "running" && api.serverInfo().source !== "external",
      "the window's own server again",
      30_000,
    ).catch(() => undefined);
    if (server) await stopExternalServer(server);
  });

  it("the Recovery view says switched off; Ops still loads; the own server brings recovery back", async function () {
    this.timeout(90_000);
    const url = server!.url;
    const recovery = await api.apiRequest<{ overview: unknown }>("GET", "/api/recovery/overview");
    assert.ok(recovery.overview, "the window's own server has recovery");
    await vscode.commands.executeCommand("sentinel.connectServer", { url, name: "recovery-off", token });
    await waitFor(
      () => api.state() === "running" && api.serverInfo().url === url,
      "the recovery-off server as the running active server",
      20_000,
    );
    await vscode.commands.executeCommand("sentinel.refreshRecovery");
    await vscode.commands.executeCommand("sentinel.refreshOps");
    await waitFor(
      () => api.contextKeys()["sentinel.recoveryState"] === "disabled",
      `sentinel.recoveryState = disabled (is ${String(api.contextKeys()["sentinel.recoveryState"])})`,
      15_000,
    );
    const view = api.recoveryView();
    assert.equal(view.state, "disabled", "the Recovery view's state");
    assert.deepEqual(view.rows, [], "no rows for a switched-off feature");
    assert.match(String(view.error), /recovery/i, "the server's own words are kept for the log");
    await waitFor(() => api.opsView().state === "available", "the Ops view of the same server", 15_000);

    const id = serverOrigin(url);
    api.setConfirmAnswer(true);
    try {
      await vscode.commands.executeCommand("sentinel.disconnectServer", { id });
    } finally {
      api.setConfirmAnswer(undefined);
    }
    await waitFor(
      () => api.state() === "running" && api.serverInfo().source !== "external",
      "the window's own server again",
      30_000,
    );
    await vscode.commands.executeCommand("sentinel.refreshRecovery");
    await waitFor(
      () => api.contextKeys()["sentinel.recoveryState"] === "available",
      "recovery available again on the window's own server",
      15_000,
    );
  });
});
