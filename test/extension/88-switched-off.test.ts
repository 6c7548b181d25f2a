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
import {
  disconnectServers,
  type ExternalServer,
  externalServer,
  stopExternalServer,
  useServer,
  waitForOwnServer,
} from "./support/externalServer.js";
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
    if (server) await disconnectServers(api, [serverOrigin(server.url)]);
    await waitForOwnServer(api).catch(() => undefined);
    if (server) await stopExternalServer(server);
  });

  it("the Recovery view says switched off; Ops still loads; the own server brings recovery back", async function () {
    this.timeout(90_000);
    const url = server!.url;
    const recovery = await api.apiRequest<{ overview: unknown }>("GET", "/api/recovery/overview");
    assert.ok(recovery.overview, "the window's own server has recovery");
    await useServer(api, url, "recovery-off", token);
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

    await disconnectServers(api, [serverOrigin(url)]);
    await waitForOwnServer(api);
    await vscode.commands.executeCommand("sentinel.refreshRecovery");
    await waitFor(
      () => api.contextKeys()["sentinel.recoveryState"] === "available",
      "recovery available again on the window's own server",
      15_000,
    );
  });
});
