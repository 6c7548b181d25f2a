// The server list and switcher (ADR 0019): the entries read from `sentinel.servers` and `sentinel.server.url`,
// the active one's fallback, and the probes of the servers that are not active: each server is asked with the
// token stored for its own origin only (real HTTP servers on port 0 record the Authorization headers they get),
// its state follows the answers (connected, needs a token, refused, unreachable, a redirect not followed), and a
// terminal's server keeps its own endpoint whichever server is active.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Endpoint } from "../../src/extension/client/apiClient.js";
import {
  activeServerId,
  COMPANION_ID,
  readServerEntries,
  withoutServer,
  withServer,
} from "../../src/extension/server/serverList.js";
import type { ServerState } from "../../src/extension/server/serverManager.js";
import { healthOfState, probeServer, Servers } from "../../src/extension/server/servers.js";
import { type SecretStore, ServerTokens } from "../../src/extension/server/serverTokens.js";
import { Emitter } from "../../src/extension/util/emitter.js";
import { silentLogger } from "../../src/extension/util/log.js";
import { serverOrigin } from "../../src/extension/util/origin.js";

describe("server list", () => {
  test("the companion first, then sentinel.server.url, then sentinel.servers; one entry per origin", () => {
    const { entries, problems } = readServerEntries(
      [
        { name: "build", url: "http://10.0.0.5:4040/" },
        { name: "again", url: "http://10.0.0.5:4040" },
        { name: "legacy twice", url: "https://Tmux.Example.com" },
        { url: "ftp://nope" },
        { name: "no url" },
        "junk",
      ],
      "https://tmux.example.com:443",
    );
    assert.deepEqual(
      entries.map((e) => [e.id, e.name, e.url, e.source]),
      [
        [COMPANION_ID, "Companion", undefined, "companion"],
        ["https://tmux.example.com:443", "tmux.example.com", "https://tmux.example.com:443", "server.url"],
        ["http://10.0.0.5:4040", "build", "http://10.0.0.5:4040", "servers"],
      ],
      "entries",
    );
    assert.equal(problems.length, 4, `problems: ${problems.join("; ")}`);
  });

  test("the active server: the stored choice while it is known, else sentinel.server.url's, else the companion", () => {
    const withLegacy = readServerEntries([{ name: "a", url: "http://a:1" }], "http://b:2").entries;
    assert.equal(activeServerId(withLegacy, "http://a:1"), "http://a:1", "stored");
    assert.equal(activeServerId(withLegacy, "http://gone:3"), "http://b:2", "legacy");
    assert.equal(activeServerId(withLegacy, undefined), "http://b:2", "legacy by default");
    const plain = readServerEntries([{ name: "a", url: "http://a:1" }], "").entries;
    assert.equal(activeServerId(plain, "http://gone:3"), COMPANION_ID, "companion");
  });

  test("adding renames an entry of the same origin; removing drops every entry of the origin", () => {
    const one = withServer([{ name: "a", url: "http://a:1" }, { url: 3 }], "b", "http://b:2/");
    assert.deepEqual(
      one,
      [
        { name: "a", url: "http://a:1" },
        { name: "b", url: "http://b:2" },
      ],
      "added",
    );
    assert.deepEqual(
      withServer(one, "renamed", "http://A:1"),
      [
        { name: "renamed", url: "http://A:1" },
        { name: "b", url: "http://b:2" },
      ],
      "renamed",
    );
    assert.deepEqual(withoutServer(one, "http://a:1"), [{ name: "b", url: "http://b:2" }], "removed");
    assert.deepEqual(
      withServer(undefined, "", "http://c:3"),
      [{ name: "c:3", url: "http://c:3" }],
      "from none",
    );
  });

  test("the active server's health is the ServerManager's state", () => {
    const endpoint = { url: "http://x:1", token: "t" };
    const cases: Array<[ServerState, string]> = [
      [
        { kind: "running", endpoint, source: "external", pid: undefined, version: "1", since: 0 },
        "connected",
      ],
      [{ kind: "connecting", url: "http://x:1", reason: "refused" }, "connecting"],
      [{ kind: "starting", attempt: 1, detail: "spawn" }, "connecting"],
      [{ kind: "failed", reason: "401", auth: "refused" }, "auth"],
      [{ kind: "failed", reason: "bad" }, "error"],
      [{ kind: "stopped" }, "stopped"],
    ];
    for (const [state, kind] of cases) assert.equal(healthOfState(state).kind, kind, state.kind);
  });
});

interface Recorder {
  url: string;
  auth: string[];
  redirectTo?: string;
  close(): Promise<void>;
}

/** A server that needs `token`, answers /api/meta and /api/tmux/sessions, and records the credentials it got. */
async function recorder(token: string): Promise<Recorder> {
  const rec: Recorder = { url: "", auth: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    rec.auth.push(req.headers.authorization ?? "(none)");
    if (rec.redirectTo) {
      res.writeHead(302, { location: rec.redirectTo + (req.url ?? "/") });
      return res.end();
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({ error: { code: "UNAUTHORIZED", message: "missing or invalid token" } }),
      );
    }
    res.writeHead(200, { "content-type": "application/json" });
    const data = req.url?.startsWith("/api/tmux/sessions")
      ? { sessions: [] }
      : { tokenRequired: true, defaultCwd: "/", version: "9.9.9" };
    res.end(JSON.stringify({ data }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return rec;
}

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async store(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

/** The part of the ServerManager the switcher reads: its state (the companion, stopped) and endpoints. */
function stoppedManager() {
  const emitter = new Emitter<ServerState>();
  const state: ServerState = { kind: "stopped" };
  return {
    state,
    onDidChangeState: emitter.event,
    companionEndpoint: undefined as Endpoint | undefined,
    endpoint: undefined as Endpoint | undefined,
    start: () => Promise.reject(new Error("not in this test")),
    whenRunning: () => new Promise<Endpoint>(() => undefined),
  };
}

describe("probes of servers that are not active", () => {
  let alpha: Recorder;
  let bravo: Recorder;
  let redirecting: Recorder;
  let target: Recorder;
  let closedUrl: string;

  before(async () => {
    alpha = await recorder("alpha-token");
    bravo = await recorder("bravo-token");
    target = await recorder("target-token");
    redirecting = await recorder("redirect-token");
    redirecting.redirectTo = target.url;
    const closed = await recorder("x");
    closedUrl = closed.url;
    await closed.close();
  });
  after(async () => {
    await Promise.all([alpha.close(), bravo.close(), target.close(), redirecting.close()]);
  });

  test("each server is asked with its own origin's token only; its row follows the answers", async () => {
    const tokens = new ServerTokens(new MemorySecrets(), silentLogger);
    await tokens.set(alpha.url, "alpha-token");
    await tokens.set(redirecting.url, "redirect-token");
    const list = [
      { name: "alpha", url: alpha.url },
      { name: "bravo", url: bravo.url },
      { name: "redirecting", url: redirecting.url },
      { name: "closed", url: closedUrl },
    ];
    let stored: string | undefined = serverOrigin(alpha.url);
    const servers = new Servers({
      log: silentLogger,
      server: stoppedManager(),
      tokens,
      settings: () => ({ servers: list, legacyUrl: "" }),
      storedActive: () => stored,
      storeActive: async (id) => {
        stored = id;
      },
    });
    try {
      assert.equal(servers.activeId, serverOrigin(alpha.url), "the stored choice is active");
      // alpha is active: its health is the ServerManager's; switch to the companion so alpha is probed too.
      await servers.use(COMPANION_ID);
      const id = (url: string) => serverOrigin(url)!;
      for (const url of [alpha.url, bravo.url, redirecting.url, closedUrl]) await servers.probeNow(id(url));
      assert.deepEqual(
        servers.health(id(alpha.url)),
        { kind: "connected", version: "9.9.9", sessions: 0 },
        "alpha",
      );
      assert.deepEqual(
        servers.health(id(bravo.url)),
        { kind: "auth", problem: "missing" },
        "bravo without a token",
      );
      assert.equal(servers.health(id(redirecting.url)).kind, "error", "a redirect is not followed");
      assert.equal(servers.health(id(closedUrl)).kind, "unreachable");
      assert.equal(servers.health(COMPANION_ID).kind, "stopped");

      await tokens.set(bravo.url, "not-bravos");
      await servers.probeNow(id(bravo.url));
      assert.deepEqual(
        servers.health(id(bravo.url)),
        { kind: "auth", problem: "refused" },
        "bravo, wrong token",
      );
      await tokens.set(bravo.url, "bravo-token");
      await servers.probeNow(id(bravo.url));
      assert.equal(servers.health(id(bravo.url)).kind, "connected");

      // No server saw another's token; the redirect's target saw none at all.
      for (const auth of alpha.auth) assert.equal(auth, "Bearer alpha-token", "alpha got only its own token");
      for (const auth of bravo.auth)
        assert.ok(["(none)", "Bearer not-bravos", "Bearer bravo-token"].includes(auth), `bravo got ${auth}`);
      assert.deepEqual(target.auth, [], "the redirect's target was not asked");

      // A terminal attached on alpha keeps alpha's endpoint while another server is active.
      const endpoint = await servers.endpointFor({ id: id(alpha.url), url: alpha.url }, true);
      assert.deepEqual(endpoint, { url: alpha.url, token: "alpha-token" }, "alpha's endpoint");
      // The companion is not running: a terminal of the companion cannot attach (it retries later).
      await servers.use(id(bravo.url));
      await assert.rejects(servers.endpointFor({ id: COMPANION_ID, url: undefined }, true), /not running/);
    } finally {
      servers.dispose();
    }
  });

  test("probeServer: connected with the sessions count, auth without a token", async () => {
    assert.deepEqual(
      await probeServer({ url: alpha.url, token: "alpha-token" }),
      {
        kind: "connected",
        version: "9.9.9",
        sessions: 0,
      },
      "with the token",
    );
    assert.deepEqual(
      await probeServer({ url: alpha.url, token: "" }),
      { kind: "auth", problem: "missing" },
      "without",
    );
  });
});
