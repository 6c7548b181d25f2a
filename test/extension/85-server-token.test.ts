/// <reference types="mocha" />
// An external server (`sentinel.server.url`) that wants a token: a Sentinel server started here with its own
// token and data dir. With no token stored for its origin, then with a wrong one, the Sessions view is in its
// welcome state with a Set Server Token button — and has no message, which would hide that welcome (VS Code's
// TreeView). The welcome itself is drawn by the workbench, out of the extension host's reach: the test checks
// the context keys as set, that the manifest's welcome for them offers Set Server Token, and that no message is
// set. With the right token the extension connects. Then the setting is cleared and the window's own server is
// back for the next scenarios.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { EXTENSION_ID, waitFor } from "./support/env.js";
import {
  type ExternalServer,
  externalServer,
  stopExternalServer,
  waitForOwnServer,
} from "./support/externalServer.js";
import { runningSentinel, type SentinelTestApi } from "./support/sentinel.js";

interface Welcome {
  view: string;
  contents: string;
  when?: string;
}

/** Whether a `when` clause of the forms the manifest uses (==, !=, !key, key; && and ||) holds for these keys. */
function holds(when: string | undefined, keys: Record<string, unknown>): boolean {
  if (!when) return true;
  return when.split("||").some((alternative) =>
    alternative.split("&&").every((raw) => {
      const term = raw.trim();
      const compare = /^([\w.]+)\s*(==|!=)\s*(\S+)$/.exec(term);
      if (compare) {
        const value = String(keys[compare[1]!] ?? "");
        return compare[2] === "==" ? value === compare[3] : value !== compare[3];
      }
      if (term.startsWith("!")) return !keys[term.slice(1).trim()];
      return !!keys[term];
    }),
  );
}

/** The Sessions view's welcome entries that show for the context keys as the extension set them. */
function sessionsWelcome(api: SentinelTestApi): Welcome[] {
  const all: Welcome[] =
    vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes?.viewsWelcome ?? [];
  const keys = api.contextKeys();
  return all.filter((w) => w.view === "sentinel.sessions" && holds(w.when, keys));
}

describe("server token", () => {
  const token = randomBytes(24).toString("base64url");
  let api: SentinelTestApi;
  let server: ExternalServer | undefined;
  const config = () => vscode.workspace.getConfiguration("sentinel");

  before(async () => {
    api = await runningSentinel();
    server = await externalServer(token, "external-server");
  });
  after(async function () {
    this.timeout(60_000);
    if (config().get<string>("server.url")) {
      await vscode.commands.executeCommand("sentinel.setServerToken", "").then(undefined, () => undefined);
      await config().update("server.url", undefined, vscode.ConfigurationTarget.Global);
    }
    await waitForOwnServer(api).catch(() => undefined);
    if (server) await stopExternalServer(server);
  });

  it("a refused token shows the welcome with a Set Server Token button, not a message", async function () {
    this.timeout(60_000);
    const url = server!.url;
    await config().update("server.url", url, vscode.ConfigurationTarget.Global);
    // No token is stored for this origin (the window's own server's token is never sent to it).
    await waitFor(
      () => api.state() === "failed" && api.contextKeys()["sentinel.serverAuth"] === "missing",
      "the server to want a token",
      20_000,
    );
    const missing = sessionsWelcome(api);
    assert.equal(missing.length, 1, `welcome entries shown: ${JSON.stringify(missing)}`);
    assert.match(missing[0]!.contents, /needs a token/);
    assert.match(missing[0]!.contents, /\[Set Server Token\]\(command:sentinel\.setServerToken\)/);
    assert.equal(api.sessionsView().message, undefined, "a message would hide the welcome");
    assert.deepEqual(await api.treeSnapshot(), [], "no rows: the welcome shows");

    // A wrong token: refused.
    await vscode.commands.executeCommand("sentinel.setServerToken", "not-the-token");
    await waitFor(
      () => api.state() === "failed" && api.contextKeys()["sentinel.serverAuth"] === "refused",
      "the server to refuse the token",
      20_000,
    );
    assert.equal(api.contextKeys()["sentinel.serverState"], "failed");
    const refused = sessionsWelcome(api);
    assert.equal(refused.length, 1, `welcome entries shown: ${JSON.stringify(refused)}`);
    assert.match(refused[0]!.contents, /refused the stored token/);
    assert.match(refused[0]!.contents, /\[Set Server Token\]\(command:sentinel\.setServerToken\)/);
    assert.equal(api.sessionsView().message, undefined, "a message would hide the welcome");
    assert.match(api.sessionsView().description ?? "", /refused the token/);

    // The right token: connected, and the welcome's token state is gone.
    await vscode.commands.executeCommand("sentinel.setServerToken", token);
    const info = await api.waitForState("running", 20_000);
    assert.equal(info.source, "external");
    assert.equal(info.url, url);
    assert.equal(api.contextKeys()["sentinel.serverAuth"], "");
    // The view's description names the active server (ADR 0019): its host and port.
    assert.equal(api.sessionsView().description, new URL(url).host);
  });
});
