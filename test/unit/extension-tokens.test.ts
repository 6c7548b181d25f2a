// An external server's token goes to that server only: tokens are kept per origin, switching
// `sentinel.server.url` from server A to server B never sends A's token to B, an old single token is dropped
// rather than guessed, and neither a redirect nor a crafted path carries a token to another origin.
// Real HTTP servers on port 0 record the Authorization headers they receive.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { WebSocketServer } from "ws";
import { ApiClient, ApiError } from "../../src/extension/client/apiClient.js";
import { EventsConnection } from "../../src/extension/client/eventsConnection.js";
import { ServerManager, type ServerSettings } from "../../src/extension/server/serverManager.js";
import {
  LEGACY_TOKEN_KEY,
  type SecretStore,
  ServerTokens,
  tokenKey,
} from "../../src/extension/server/serverTokens.js";
import { Backoff } from "../../src/extension/util/backoff.js";
import { type Logger, silentLogger } from "../../src/extension/util/log.js";
import { isLoopbackUrl, serverOrigin } from "../../src/extension/util/origin.js";

interface Recorder {
  url: string;
  /** Authorization header of every HTTP request, `(none)` when absent. */
  auth: string[];
  /** `sec-websocket-protocol` of every upgrade request. */
  upgrades: string[];
  token: string;
  /** Answer every request with this redirect instead. */
  redirectTo?: string;
  close(): Promise<void>;
}

/** A server that needs `token`, answers /api/meta, and records what credentials it was sent. */
async function recorder(token: string): Promise<Recorder> {
  const rec: Recorder = { url: "", auth: [], upgrades: [], token, close: async () => undefined };
  const server = http.createServer((req, res) => {
    rec.auth.push(req.headers.authorization ?? "(none)");
    if (rec.redirectTo) {
      res.writeHead(302, { location: rec.redirectTo + (req.url ?? "/") });
      return res.end();
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { code: "UNAUTHORIZED", message: "token required" } }));
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ data: { tokenRequired: true, defaultCwd: "/", version: "9.9.9" } }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket) => {
    rec.upgrades.push(String(req.headers["sec-websocket-protocol"] ?? ""));
    rec.auth.push(req.headers.authorization ?? "(none)");
    if (rec.redirectTo) {
      socket.end(
        `HTTP/1.1 302 Found\r\nLocation: ${rec.redirectTo.replace(/^http/, "ws")}${req.url}\r\n\r\n`,
      );
      return;
    }
    socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = async () => {
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return rec;
}

function memorySecrets(initial: Record<string, string> = {}): SecretStore & { map: Map<string, string> } {
  const map = new Map(Object.entries(initial));
  return {
    map,
    get: async (key) => map.get(key),
    store: async (key, value) => {
      map.set(key, value);
    },
    delete: async (key) => {
      map.delete(key);
    },
  };
}

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (message: string | Error) => {
    lines.push(`${level} ${String(message)}`);
  };
  return {
    lines,
    trace: put("trace"),
    debug: put("debug"),
    info: put("info"),
    warn: put("warn"),
    error: put("error"),
  };
}

const servers: Recorder[] = [];
const managers: ServerManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.dispose();
});
after(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function twoServers(): Promise<[Recorder, Recorder]> {
  const a = await recorder("token-of-a-0123456789");
  const b = await recorder("token-of-b-9876543210");
  servers.push(a, b);
  return [a, b];
}

describe("server origins", () => {
  test("normalized to scheme://host:port; anything but http(s) has none", () => {
    assert.equal(serverOrigin("http://127.0.0.1:4040/"), "http://127.0.0.1:4040");
    assert.equal(serverOrigin(" HTTP://Example.COM/some/path?x#y "), "http://example.com:80");
    assert.equal(serverOrigin("http://example.com:80"), "http://example.com:80");
    assert.equal(serverOrigin("https://example.com"), "https://example.com:443");
    assert.notEqual(serverOrigin("https://example.com"), serverOrigin("http://example.com:443"));
    assert.equal(serverOrigin("http://user:pw@host.test:8080/x"), "http://host.test:8080");
    assert.equal(serverOrigin("http://[::1]:4040"), "http://[::1]:4040");
    assert.equal(serverOrigin("http://127.0.0.1:4040@evil.example/"), "http://evil.example:80");
    for (const bad of ["", "127.0.0.1:4040", "ftp://host/", "file:///etc/passwd", "not a url"])
      assert.equal(serverOrigin(bad), undefined, bad);
  });

  test("loopback: localhost, 127/8 and [::1] only", () => {
    for (const url of ["http://127.0.0.1:1", "http://127.1.2.3:1", "http://localhost:1", "http://[::1]:1"])
      assert.ok(isLoopbackUrl(url), url);
    for (const url of ["http://10.0.0.1:1", "http://127.0.0.1.evil.example:1", "http://0.0.0.0:1", "x"])
      assert.ok(!isLoopbackUrl(url), url);
  });
});

describe("server tokens", () => {
  test("one per origin: a URL of another origin gets nothing, the same origin written differently gets it", async () => {
    const secrets = memorySecrets();
    const tokens = new ServerTokens(secrets, silentLogger);
    assert.equal(await tokens.set("http://Host-A.test:4040/", "  tok-a  "), "http://host-a.test:4040");
    assert.equal(await tokens.get("http://host-a.test:4040"), "tok-a");
    assert.equal(await tokens.get("HTTP://HOST-A.TEST:4040/api"), "tok-a");
    assert.equal(await tokens.get("http://host-a.test:4041"), undefined);
    assert.equal(await tokens.get("https://host-a.test:4040"), undefined);
    assert.equal(await tokens.get("http://host-b.test:4040"), undefined);
    assert.equal(await tokens.get("http://host-a.test:4040@host-b.test"), undefined);
    assert.deepEqual([...secrets.map.keys()], [tokenKey("http://host-a.test:4040")]);
    await tokens.set("http://host-a.test:4040", "");
    assert.equal(await tokens.get("http://host-a.test:4040"), undefined);
    assert.equal(secrets.map.size, 0);
    await assert.rejects(tokens.set("", "x"), /not an http\(s\) URL/);
  });

  test("the single token of earlier versions is dropped, not given to whatever URL is set now", async () => {
    const secrets = memorySecrets({ [LEGACY_TOKEN_KEY]: "old-token" });
    const log = capture();
    const tokens = new ServerTokens(secrets, log);
    assert.equal(await tokens.get("http://127.0.0.1:4040"), undefined);
    assert.equal(secrets.map.has(LEGACY_TOKEN_KEY), false);
    assert.equal(secrets.map.size, 0);
    assert.ok(
      log.lines.some((l) => /warn .*Set Server Token/.test(l)),
      log.lines.join("\n"),
    );
  });

  test("a SecretStorage that fails reads as no token", async () => {
    const failing: SecretStore = {
      get: () => Promise.reject(new Error("no keyring")),
      store: () => Promise.reject(new Error("no keyring")),
      delete: () => Promise.reject(new Error("no keyring")),
    };
    assert.equal(await new ServerTokens(failing, silentLogger).get("http://127.0.0.1:1"), undefined);
  });
});

describe("switching sentinel.server.url", () => {
  test("from server A to server B: B never receives A's token, and A never B's", async () => {
    const [a, b] = await twoServers();
    const secrets = memorySecrets();
    const tokens = new ServerTokens(secrets, silentLogger);
    await tokens.set(a.url, a.token);
    const settings: ServerSettings = {
      autoStart: true,
      externalUrl: a.url,
      port: 0,
      dataDir: "",
      tmuxSocket: "",
    };
    const refused: Array<[string, boolean]> = [];
    const m = new ServerManager({
      log: silentLogger,
      serverLog: silentLogger,
      serverScript: "/nonexistent",
      version: "9.9.9",
      settings: () => settings,
      localToken: async () => "local-token-never-sent-to-external-servers",
      externalToken: (url) => tokens.get(url),
      onTokenRefused: (url, hadToken) => refused.push([url, hadToken]),
      backoff: new Backoff({ initialMs: 30, maxMs: 60, jitter: 0 }),
    });
    managers.push(m);

    const onA = await m.start("test");
    assert.equal(onA.url, a.url);
    assert.equal(onA.token, a.token);
    assert.deepEqual(a.auth, [`Bearer ${a.token}`]);

    // The setting now names B, which has no token stored: B is asked without one and says so.
    settings.externalUrl = `${b.url}/`;
    await assert.rejects(
      m.restart("settings changed"),
      /needs a token; set it with "Sentinel: Set Server Token"/,
    );
    assert.equal(m.state.kind, "failed");
    assert.deepEqual(refused, [[b.url, false]]);
    assert.deepEqual(b.auth, ["(none)"], "B was sent no credential");

    // The user sets B's token: B gets B's, and A's is still A's alone.
    await tokens.set(b.url, b.token);
    const onB = await m.restart("the token changed");
    assert.equal(onB.token, b.token);
    settings.externalUrl = a.url;
    await m.restart("settings changed");

    const sentTo = (rec: Recorder) => rec.auth.filter((h) => h !== "(none)");
    assert.deepEqual(sentTo(b), [`Bearer ${b.token}`]);
    assert.deepEqual(sentTo(a), [`Bearer ${a.token}`, `Bearer ${a.token}`]);
    for (const header of [...a.auth, ...b.auth]) assert.ok(!header.includes("local-token"), header);
  });
});

describe("redirects and paths", () => {
  let a: Recorder;
  let b: Recorder;
  before(async () => {
    [a, b] = await twoServers();
  });

  test("an HTTP redirect to another origin is an error; the token is not sent on", async () => {
    a.redirectTo = b.url;
    try {
      const client = new ApiClient({ url: a.url, token: a.token });
      const before = b.auth.length;
      await assert.rejects(client.meta(2000), (error: unknown) => {
        assert.ok(error instanceof ApiError, String(error));
        assert.equal(error.status, 302);
        assert.match(
          error.message,
          /redirect to http:\/\/127\.0\.0\.1:\d+\/api\/meta; Sentinel does not follow/,
        );
        return true;
      });
      await assert.rejects(client.text("/api/recordings/x/cast", "application/x-asciicast"), /redirect/);
      assert.equal(b.auth.length, before, "B received nothing");
    } finally {
      a.redirectTo = undefined;
    }
  });

  test("a WebSocket redirect is not followed: the token subprotocol never reaches the other origin", async () => {
    a.redirectTo = b.url;
    const events = new EventsConnection({
      log: silentLogger,
      resumeQuery: () => "",
      handshakeTimeoutMs: 2000,
      backoff: new Backoff({ initialMs: 60_000, maxMs: 60_000, jitter: 0 }),
    });
    try {
      const before = b.upgrades.length;
      events.connect({ url: a.url, token: a.token });
      const deadline = Date.now() + 5000;
      while (a.upgrades.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(a.upgrades.length > 0, "A got the upgrade");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(b.upgrades.length, before, `B received an upgrade: ${JSON.stringify(b.upgrades)}`);
    } finally {
      events.dispose();
      a.redirectTo = undefined;
    }
  });

  test("a path cannot lead the token to another origin", async () => {
    const client = new ApiClient({ url: a.url, token: a.token });
    const before = [a.auth.length, b.auth.length];
    const port = new URL(b.url).port;
    for (const path of [
      `@127.0.0.1:${port}/api/meta`,
      `:${port}/api/meta`,
      "api/meta",
      `.evil.example/api/meta`,
    ])
      await assert.rejects(client.request("GET", path), /not a path on/, path);
    assert.deepEqual([a.auth.length, b.auth.length], before);
  });
});
