// The auth matrix of spec §5 (plus the HS256 access tokens of ADR 0002) over HTTP and over the /ws/tmux upgrade,
// the origin check, the throttle on repeated failures, the /api rate limit and request ids, against the real
// server and a real tmux on a private socket.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import jwt from "jsonwebtoken";
import WebSocket from "ws";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

const TOKEN = "auth-test-token-0123456789";
/** The server derives its signing key from the static token (ADR 0002); the control test below proves it. */
const SERVER_KEY = createHmac("sha256", TOKEN).update("sentinel-jwt-v1").digest();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  for (const s of ["alpha", "beta"]) await tmux.newSession(s);
  server = await startServer({
    tmuxSocket: tmux.socket,
    token: TOKEN,
    // The matrix fails on purpose many times; the throttle has its own server below.
    env: {
      SENTINEL_AUTH_FAILURES_PER_MINUTE: "100000",
      SENTINEL_ALLOWED_ORIGINS: "https://app.example",
      SENTINEL_ALLOWED_HOSTS: "dev.example",
    },
  });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

const b64url = (s: string) => Buffer.from(s, "utf8").toString("base64url");
const authProtocol = (token: string) => `sentinel.auth.${b64url(token)}`;
const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token with the server's claim shape, signed with `key`. */
const signed = (claims: Record<string, unknown>, key: Buffer | string = SERVER_KEY) =>
  jwt.sign({ sub: "tester", typ: "access", iat: now(), exp: now() + 600, ...claims }, key, {
    algorithm: "HS256",
  });

/** `alg: none`: a header, the claims, and an empty signature. */
const unsigned = (claims: Record<string, unknown> = {}) =>
  `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(
    JSON.stringify({ sub: "tester", typ: "access", iat: now(), exp: now() + 600, ...claims }),
  )}.`;

interface TokenPair {
  tokenType: string;
  accessToken: string;
  expiresIn: number;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  sessionId?: string;
}

async function issue(
  body: unknown = {},
  h = server,
  authorization = `Bearer ${h.token}`,
): Promise<TokenPair> {
  const res = await h.api("/api/auth/token", { method: "POST", json: body, headers: { authorization } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { data: TokenPair }).data;
}

async function expectError(res: Response, status: number, code: string, message?: string) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.code, code, text);
  if (message !== undefined) assert.equal(body.error.message, message);
  return res;
}

const unauthorized = (res: Response) =>
  expectError(res, 401, "UNAUTHORIZED", "missing or invalid token").then(() => undefined);

/** GET /api/meta with exactly this Authorization header (or none). */
const meta = (authorization?: string, h = server, headers: Record<string, string> = {}) =>
  h.api("/api/meta", {
    auth: false,
    headers: { ...(authorization === undefined ? {} : { authorization }), ...headers },
  });

interface Handshake {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A raw WebSocket upgrade request with exactly these headers (the `ws` client would refuse to send some of
 * them). A 101 is answered by closing the socket at once.
 */
function handshake(path: string, headers: Record<string, string>, h = server): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.url}${path}`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
        ...headers,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A plain HTTP request with exactly these headers (fetch would not let a test set Host). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  h = server,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.url}${path}`, { method, headers });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const refusedWith = async (r: Promise<Handshake>, status: number, body: string) => {
  const got = await r;
  assert.equal(got.status, status, got.body);
  assert.equal(got.body, `${body}\n`);
  assert.match(String(got.headers["content-type"]), /^text\/plain/);
  return got;
};

/** Attaches with the `ws` client; resolves once the status frame has arrived. */
async function attach(
  session: string,
  opts: { protocols?: string[]; headers?: Record<string, string> },
  h = server,
): Promise<{ ws: WebSocket; status: Record<string, unknown> }> {
  const ws = new WebSocket(
    `${h.url.replace("http", "ws")}/ws/tmux?session=${session}`,
    opts.protocols ?? ["sentinel.v1"],
    { headers: opts.headers ?? {} },
  );
  ws.on("error", () => undefined);
  const first = new Promise<string>((resolve, reject) => {
    ws.once("message", (d, isBinary) =>
      isBinary ? reject(new Error("binary first")) : resolve(d.toString()),
    );
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const status = JSON.parse(await first) as Record<string, unknown>;
  return { ws, status };
}

async function detach(ws: WebSocket): Promise<number> {
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  ws.close(1000);
  return closed;
}

describe("HTTP: the Bearer header", () => {
  test("the static token and an issued access token are accepted", async () => {
    const res = await meta(`Bearer ${TOKEN}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: { tokenRequired: boolean; auth: string } };
    assert.equal(body.data.tokenRequired, true);
    assert.equal(body.data.auth, "token");
    // Surrounding spaces of the value are trimmed (spec §5.2: `Bearer  tok ` works).
    assert.equal((await meta(`Bearer  ${TOKEN} `)).status, 200);
    const pair = await issue();
    assert.equal((await meta(`Bearer ${pair.accessToken}`)).status, 200);
    assert.equal(
      (
        await server.api("/api/tmux/sessions/alpha/windows", {
          auth: false,
          headers: { authorization: `Bearer ${pair.accessToken}` },
        })
      ).status,
      200,
    );
  });

  test("no token, a wrong token, other schemes and lowercase `bearer` are 401 UNAUTHORIZED", async () => {
    await unauthorized(await meta());
    for (const header of [
      "Bearer wrong-token",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      // §5.2: the `Bearer ` prefix is case-sensitive; `bearer tok` is rejected.
      `bearer ${TOKEN}`,
      `BEARER ${TOKEN}`,
      `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`,
      TOKEN,
      "Bearer ",
      "Bearer",
      "",
    ]) {
      await unauthorized(await meta(header));
    }
    // Every /api route, not only meta; the token is checked before the route's own checks.
    await unauthorized(await server.api("/api/tmux/sessions", { auth: false }));
    await unauthorized(
      await server.api("/api/tmux/sessions", { auth: false, method: "POST", json: "{not json" }),
    );
    await unauthorized(await server.api("/api/tmux/sessions/a%20b/windows", { auth: false }));
  });

  test("a token in the query string is refused, even the right one, and is never logged", async () => {
    for (const param of ["token", "access_token"]) {
      const res = await server.api(`/api/meta?${param}=${encodeURIComponent(TOKEN)}`, { auth: false });
      await expectError(res, 401, "UNAUTHORIZED");
    }
    // Refused even alongside a valid header: a URL that carries a token ends up in logs and histories.
    await expectError(await server.api(`/api/meta?token=${TOKEN}`), 401, "UNAUTHORIZED");
    assert.ok(!server.logs().includes(TOKEN), "the token appears in the server's logs");
  });

  test("JWTs: another key, alg none, expired, refresh as access, wrong claims are 401", async () => {
    // Control: the test signs with the server's key, so the cases below fail for their stated reason only.
    assert.equal((await meta(`Bearer ${signed({})}`)).status, 200);
    const pair = await issue();
    const cases: Array<[string, string]> = [
      ["another key", signed({}, "some-other-key")],
      ["another key, same length", signed({}, randomBytes(32))],
      ["alg none", unsigned()],
      ["alg none with the real signature stripped", `${signed({}).split(".").slice(0, 2).join(".")}.`],
      ["expired", signed({ iat: now() - 120, exp: now() - 60 })],
      ["not yet valid", signed({ nbf: now() + 600 })],
      ["refresh token used as access token", pair.refreshToken],
      ["no typ", signed({ typ: undefined })],
      ["typ refresh", signed({ typ: "refresh" })],
      ["HS512", jwt.sign({ sub: "t", typ: "access" }, SERVER_KEY, { algorithm: "HS512", expiresIn: 600 })],
      ["tampered claims", tamper(pair.accessToken, { sessionId: undefined, sub: "root" })],
      ["garbage with dots", "a.b.c"],
    ];
    for (const [what, token] of cases) {
      const res = await meta(`Bearer ${token}`);
      assert.equal(res.status, 401, what);
      await unauthorized(res);
    }
  });

  test("a session-scoped access token reaches only its session", async () => {
    const scoped = await issue({ sessionId: "alpha" });
    assert.equal(scoped.sessionId, "alpha");
    const as = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      server.api(path, { ...init, headers: { authorization: `Bearer ${scoped.accessToken}` } });
    assert.equal((await as("/api/meta")).status, 200);
    assert.equal((await as("/api/tmux/sessions/alpha/windows")).status, 200);
    assert.equal((await as("/api/tmux/sessions/alpha/panes")).status, 200);
    for (const path of ["/api/tmux/sessions/beta/windows", "/api/tmux/sessions", "/api/fs/dirs"]) {
      await expectError(await as(path), 403, "FORBIDDEN", "this token is limited to session alpha");
    }
    await expectError(await as("/api/tmux/sessions/beta", { method: "DELETE" }), 403, "FORBIDDEN");
    assert.ok((await tmux.tmux("list-sessions", "-F", "#{session_name}")).includes("beta"));
  });
});

/** Replaces claims of a signed token and keeps its signature. */
function tamper(token: string, claims: Record<string, unknown>): string {
  const [h, p, s] = token.split(".");
  const payload = { ...JSON.parse(Buffer.from(p!, "base64url").toString()), ...claims };
  return `${h}.${b64url(JSON.stringify(payload))}.${s}`;
}

describe("POST /api/auth/token and /api/auth/refresh", () => {
  test("issue: an HS256 access token (sub, iat, exp, typ) and a refresh token", async () => {
    const before = now();
    const pair = await issue();
    assert.equal(pair.tokenType, "Bearer");
    assert.equal(pair.expiresIn, 900);
    assert.match(pair.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(pair.refreshExpiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(pair.sessionId, undefined);
    const decoded = jwt.decode(pair.accessToken, { complete: true })!;
    assert.deepEqual(decoded.header, { alg: "HS256", typ: "JWT" });
    const claims = decoded.payload as Record<string, unknown>;
    assert.equal(claims.sub, "sentinel");
    assert.equal(claims.typ, "access");
    assert.ok(Number(claims.iat) >= before && Number(claims.iat) <= now());
    assert.equal(Number(claims.exp) - Number(claims.iat), 900);
    assert.equal(Date.parse(pair.expiresAt) / 1000, claims.exp);
    // The test can verify it with the key the server derives from the static token.
    jwt.verify(pair.accessToken, SERVER_KEY, { algorithms: ["HS256"] });
    const custom = await issue({ sub: "vscode", ttlSeconds: 60, sessionId: "beta" });
    const c = jwt.decode(custom.accessToken) as Record<string, unknown>;
    assert.equal(c.sub, "vscode");
    assert.equal(c.sessionId, "beta");
    assert.equal(custom.expiresIn, 60);
  });

  test("issue needs the static token: 401 without it, 403 FORBIDDEN with an access token", async () => {
    await unauthorized(await server.api("/api/auth/token", { method: "POST", json: {}, auth: false }));
    const pair = await issue();
    await expectError(
      await server.api("/api/auth/token", {
        method: "POST",
        json: {},
        headers: { authorization: `Bearer ${pair.accessToken}` },
      }),
      403,
      "FORBIDDEN",
      "issuing tokens requires the static token, not an access token",
    );
    await unauthorized(
      await server.api("/api/auth/token", {
        method: "POST",
        json: {},
        headers: { authorization: `Bearer ${pair.refreshToken}` },
      }),
    );
  });

  test("issue: bad bodies are 400 INVALID_REQUEST", async () => {
    const cases: Array<[unknown, string]> = [
      [{ ttlSeconds: 59 }, "ttlSeconds must be between 60 and 86400"],
      [{ ttlSeconds: 86401 }, "ttlSeconds must be between 60 and 86400"],
      [{ sessionId: "a b" }, "sessionId: name must match ^[A-Za-z0-9._-]{1,64}$"],
      [{ sessionId: "" }, "sessionId: name must match ^[A-Za-z0-9._-]{1,64}$"],
      [{ ttlSeconds: "60" }, "invalid json body"],
      [{ ttlSeconds: 60.5 }, "invalid json body"],
      [{ scope: "all" }, "invalid json body"],
      ["{not json", "invalid json body"],
      ["", "invalid json body"],
      ["{} {}", "invalid json body: multiple json values"],
    ];
    for (const [json, message] of cases) {
      await expectError(
        await server.api("/api/auth/token", { method: "POST", json }),
        400,
        "INVALID_REQUEST",
        message,
      );
    }
  });

  test("refresh: a refresh token (no Authorization needed) gives a new working pair with the same scope", async () => {
    const pair = await issue({ sessionId: "alpha", sub: "editor" });
    const res = await server.api("/api/auth/refresh", {
      method: "POST",
      auth: false,
      json: { refreshToken: pair.refreshToken },
    });
    assert.equal(res.status, 200);
    const renewed = ((await res.json()) as { data: TokenPair }).data;
    assert.equal(renewed.tokenType, "Bearer");
    assert.equal(renewed.sessionId, "alpha");
    assert.notEqual(renewed.refreshToken, pair.refreshToken);
    const claims = jwt.decode(renewed.accessToken) as Record<string, unknown>;
    assert.equal(claims.sub, "editor");
    assert.equal(claims.sessionId, "alpha");
    const withRenewed = { authorization: `Bearer ${renewed.accessToken}` };
    assert.equal(
      (await server.api("/api/tmux/sessions/alpha/windows", { headers: withRenewed })).status,
      200,
    );
    assert.equal((await server.api("/api/tmux/sessions/beta/windows", { headers: withRenewed })).status, 403);
    // The renewed refresh token works too.
    assert.equal(
      (
        await server.api("/api/auth/refresh", {
          method: "POST",
          auth: false,
          json: { refreshToken: renewed.refreshToken },
        })
      ).status,
      200,
    );
  });

  test("refresh: an access token, the static token, a foreign or expired token are 401", async () => {
    const pair = await issue();
    const refreshClaims = { sub: "tester", typ: "refresh", jti: "x" };
    for (const [what, refreshToken] of [
      ["access token", pair.accessToken],
      ["static token", TOKEN],
      ["another key", jwt.sign(refreshClaims, "other-key", { algorithm: "HS256", expiresIn: 600 })],
      ["expired", jwt.sign({ ...refreshClaims, exp: now() - 10 }, SERVER_KEY, { algorithm: "HS256" })],
      ["alg none", unsigned({ typ: "refresh" })],
      ["garbage", "garbage"],
    ] as const) {
      const res = await server.api("/api/auth/refresh", {
        method: "POST",
        auth: false,
        json: { refreshToken },
      });
      assert.equal(res.status, 401, what);
      await expectError(res, 401, "UNAUTHORIZED", "invalid or expired refresh token");
    }
    for (const json of [{}, { refreshToken: 1 }, { refreshToken: pair.refreshToken, extra: 1 }, ""]) {
      await expectError(
        await server.api("/api/auth/refresh", { method: "POST", auth: false, json }),
        400,
        "INVALID_REQUEST",
        "invalid json body",
      );
    }
  });
});

describe("WebSocket /ws/tmux: the handshake", () => {
  test("Bearer (static or access token) and the sentinel.auth.* subprotocol attach; only sentinel.v1 is echoed", async () => {
    const pair = await issue();
    for (const opts of [
      { headers: { authorization: `Bearer ${TOKEN}` } },
      { headers: { authorization: `Bearer ${pair.accessToken}` } },
      { protocols: ["sentinel.v1", authProtocol(TOKEN)] },
      { protocols: [authProtocol(TOKEN), "sentinel.v1"] },
      { protocols: ["sentinel.v1", authProtocol(pair.accessToken)] },
    ]) {
      const { ws, status } = await attach("alpha", opts);
      assert.equal(ws.protocol, "sentinel.v1");
      assert.deepEqual(status, { type: "status", state: "attached", session: "alpha" });
      assert.equal(await detach(ws), 1000);
    }
    // Offering only the auth entry: accepted, and no subprotocol is echoed at all.
    const raw = await handshake("/ws/tmux?session=alpha", { "sec-websocket-protocol": authProtocol(TOKEN) });
    assert.equal(raw.status, 101);
    assert.equal(raw.headers["sec-websocket-protocol"], undefined);
    // Padding is optional (§5.2); TOKEN is 26 bytes, so its base64 ends with one "=".
    const padded = `sentinel.auth.${b64url(TOKEN)}=`;
    assert.equal(
      (await handshake("/ws/tmux?session=alpha", { "sec-websocket-protocol": padded })).status,
      101,
    );
    // The first entry that decodes to a non-blank value is used (§5.2): unusable entries before it are skipped,
    // a wrong one is not.
    for (const first of ["sentinel.auth.", "sentinel.auth.*bad*", authProtocol("  ")]) {
      const r = await handshake("/ws/tmux?session=alpha", {
        "sec-websocket-protocol": `sentinel.v1, ${first}, ${authProtocol(TOKEN)}`,
      });
      assert.equal(r.status, 101, first);
      assert.equal(r.headers["sec-websocket-protocol"], "sentinel.v1");
    }
    const wrongFirst = await handshake("/ws/tmux?session=alpha", {
      "sec-websocket-protocol": `sentinel.v1, ${authProtocol("wrong")}, ${authProtocol(TOKEN)}`,
    });
    assert.equal(wrongFirst.status, 401);
  });

  test("every bad credential is 401 `unauthorized`, plain text, before any upgrade", async () => {
    const pair = await issue();
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const proto = (...p: string[]) => ({ "sec-websocket-protocol": p.join(", ") });
    const cases: Array<[string, Record<string, string>, string?]> = [
      ["no token", {}],
      ["no token, sentinel.v1 only", proto("sentinel.v1")],
      ["wrong token", bearer("wrong")],
      ["lowercase bearer", { authorization: `bearer ${TOKEN}` }],
      ["Basic", { authorization: `Basic ${Buffer.from(TOKEN).toString("base64")}` }],
      // A wrong Bearer header is not retried through the subprotocol (§5.2).
      [
        "wrong Bearer, right subprotocol",
        { ...bearer("wrong"), ...proto("sentinel.v1", authProtocol(TOKEN)) },
      ],
      [
        "lowercase bearer, right subprotocol",
        { authorization: `bearer ${TOKEN}`, ...proto(authProtocol(TOKEN)) },
      ],
      ["token in the query", {}, `&token=${TOKEN}`],
      ["access_token in the query", {}, `&access_token=${pair.accessToken}`],
      ["token in the query and a right header", bearer(TOKEN), `&token=${TOKEN}`],
      ["wrong token in the subprotocol", proto("sentinel.v1", authProtocol("wrong"))],
      ["empty sentinel.auth.", proto("sentinel.v1", "sentinel.auth.")],
      ["not base64url (+)", proto("sentinel.v1", `sentinel.auth.${b64url(TOKEN)}+`)],
      ["not base64url (*)", proto("sentinel.v1", "sentinel.auth.*bad*")],
      [
        "not base64url (/)",
        proto("sentinel.v1", `sentinel.auth.${Buffer.from(`${TOKEN}??>`).toString("base64")}`),
      ],
      ["impossible length", proto("sentinel.v1", `sentinel.auth.${b64url(TOKEN)}A`)],
      ["decodes to blanks", proto("sentinel.v1", authProtocol("   "))],
      ["token without the prefix", proto("sentinel.v1", b64url(TOKEN))],
      ["raw token as a protocol", proto("sentinel.v1", TOKEN)],
      ["JWT signed with another key", bearer(signed({}, "other-key"))],
      ["JWT alg none", bearer(unsigned())],
      ["JWT alg none in the subprotocol", proto("sentinel.v1", authProtocol(unsigned()))],
      ["expired JWT", bearer(signed({ iat: now() - 120, exp: now() - 60 }))],
      ["refresh token as access token", bearer(pair.refreshToken)],
      ["refresh token in the subprotocol", proto("sentinel.v1", authProtocol(pair.refreshToken))],
    ];
    for (const [what, headers, query] of cases) {
      const r = await handshake(`/ws/tmux?session=alpha${query ?? ""}`, headers);
      assert.equal(r.status, 401, `${what}: ${r.status} ${r.body}`);
      assert.equal(r.body, "unauthorized\n", what);
    }
    // The token is checked before the session: an unknown or invalid session is still 401.
    await refusedWith(handshake("/ws/tmux?session=nope", {}), 401, "unauthorized");
    await refusedWith(handshake("/ws/tmux?session=a%20b", {}), 401, "unauthorized");
    // With the token, the endpoint's own checks apply.
    await refusedWith(handshake("/ws/tmux?session=nope", bearer(TOKEN)), 404, "session not found");
    await refusedWith(handshake("/ws/tmux?session=a%20b", bearer(TOKEN)), 400, "invalid session");
    assert.ok(!server.logs().includes(TOKEN), "the token appears in the server's logs");
  });

  test("a session-scoped access token attaches to its session only (403 elsewhere)", async () => {
    const scoped = await issue({ sessionId: "alpha" });
    const { ws, status } = await attach("alpha", {
      headers: { authorization: `Bearer ${scoped.accessToken}` },
    });
    assert.equal(status.session, "alpha");
    assert.equal(await detach(ws), 1000);
    const viaProtocol = await attach("alpha", {
      protocols: ["sentinel.v1", authProtocol(scoped.accessToken)],
    });
    assert.equal(await detach(viaProtocol.ws), 1000);
    // beta exists: the refusal is about the scope, not about the session.
    await refusedWith(
      handshake("/ws/tmux?session=beta", { authorization: `Bearer ${scoped.accessToken}` }),
      403,
      "forbidden",
    );
    await refusedWith(
      handshake("/ws/tmux?session=beta", {
        "sec-websocket-protocol": `sentinel.v1, ${authProtocol(scoped.accessToken)}`,
      }),
      403,
      "forbidden",
    );
    await refusedWith(
      handshake("/ws/events", { authorization: `Bearer ${scoped.accessToken}` }),
      403,
      "forbidden",
    );
  });
});

describe("origin check (§5.3)", () => {
  test("HTTP: a foreign origin is 403 ORIGIN_DENIED, checked before the token; same host and allow-listed pass", async () => {
    const host = new URL(server.url).host;
    for (const origin of [
      "http://evil.example",
      `https://${host}`,
      `http://${host}.evil.example`,
      "null",
      "not a url",
      "https://app.example/",
    ]) {
      await expectError(
        await meta(`Bearer ${TOKEN}`, server, { origin }),
        403,
        "ORIGIN_DENIED",
        "request origin is not allowed",
      );
      // Origin first: without a token it is still 403, not 401.
      await expectError(await meta(undefined, server, { origin }), 403, "ORIGIN_DENIED");
    }
    assert.equal((await meta(`Bearer ${TOKEN}`, server, { origin: `http://${host}` })).status, 200);
    assert.equal((await meta(`Bearer ${TOKEN}`, server, { origin: "https://app.example" })).status, 200);
    // The origin check does not replace the token.
    await unauthorized(await meta(undefined, server, { origin: `http://${host}` }));
  });

  test("WebSocket: a foreign origin is 403 `forbidden` before the token is read", async () => {
    const host = new URL(server.url).host;
    await refusedWith(
      handshake("/ws/tmux?session=alpha", {
        authorization: `Bearer ${TOKEN}`,
        origin: "http://evil.example",
      }),
      403,
      "forbidden",
    );
    await refusedWith(
      handshake("/ws/tmux?session=alpha", { origin: "http://evil.example" }),
      403,
      "forbidden",
    );
    for (const origin of [`http://${host}`, "https://app.example"]) {
      const { ws } = await attach("alpha", { headers: { authorization: `Bearer ${TOKEN}`, origin } });
      assert.equal(await detach(ws), 1000);
    }
  });
});

describe("Host header check (DNS rebinding)", () => {
  const port = () => new URL(server.url).port;
  const hostDenied = (r: { status: number; body: string }, what: string) => {
    assert.equal(r.status, 403, `${what}: ${r.body}`);
    assert.deepEqual(JSON.parse(r.body), {
      error: { code: "HOST_DENIED", message: "request host is not allowed" },
    });
  };

  test("HTTP: a rebound name is 403 HOST_DENIED on every route, before auth and whatever the Origin says", async () => {
    const evil = `evil.example:${port()}`;
    for (const [method, path] of [
      ["GET", "/api/meta"],
      ["GET", "/api/tmux/sessions"],
      ["POST", "/api/ops/runbooks"],
      ["GET", "/api/no/such/route"],
      ["GET", "/no/such/page"],
      ["GET", "/ws/tmux"],
    ] as const) {
      // The rebinding page's own origin matches its Host: the origin check alone would let it through.
      hostDenied(
        await raw(method, path, { host: evil, origin: `http://${evil}`, authorization: `Bearer ${TOKEN}` }),
        `${method} ${path}`,
      );
      hostDenied(await raw(method, path, { host: evil }), `${method} ${path} without a token`);
    }
    for (const host of [
      "evil.example",
      `localhost.evil.example:${port()}`,
      `127.0.0.1.nip.io:${port()}`,
      "10.0.0.1",
    ]) {
      hostDenied(await raw("GET", "/api/meta", { host, authorization: `Bearer ${TOKEN}` }), host);
    }
    const denied = await raw("GET", "/api/meta", { host: evil });
    assert.match(String(denied.headers["x-request-id"]), UUID);
  });

  test("HTTP: loopback names (any port), the listen host and allowed_hosts pass", async () => {
    for (const host of [
      `127.0.0.1:${port()}`,
      "127.0.0.1",
      `localhost:${port()}`,
      "LOCALHOST",
      `127.1.2.3:${port()}`,
      `[::1]:${port()}`,
      `dev.example:${port()}`,
      "Dev.Example",
    ]) {
      const r = await raw("GET", "/api/meta", { host, authorization: `Bearer ${TOKEN}` });
      assert.equal(r.status, 200, `${host}: ${r.body}`);
      // The host check does not replace the token.
      assert.equal((await raw("GET", "/api/meta", { host })).status, 401, host);
    }
  });

  test("WebSocket: a rebound name is 403 before the token and the origin; loopback and allowed hosts attach", async () => {
    const evil = `evil.example:${port()}`;
    for (const path of [
      "/ws/tmux?session=alpha",
      "/ws/events",
      "/ws/logs?service=x",
      "/api/sessions/alpha/ws",
    ]) {
      await refusedWith(
        handshake(path, { host: evil, origin: `http://${evil}`, authorization: `Bearer ${TOKEN}` }),
        403,
        "request host is not allowed",
      );
      await refusedWith(handshake(path, { host: evil }), 403, "request host is not allowed");
    }
    for (const host of [`localhost:${port()}`, `dev.example:${port()}`, `127.0.0.1:${port()}`]) {
      const r = await handshake("/ws/tmux?session=alpha", { host, authorization: `Bearer ${TOKEN}` });
      assert.equal(r.status, 101, `${host}: ${r.body}`);
    }
  });
});

describe("a wrong method on a known path (spec §0.2)", () => {
  test("without the token it is 401 like the route itself; with it, 405 and Allow", async () => {
    await unauthorized(
      await server.api("/api/tmux/sessions/alpha", { method: "PUT", auth: false, json: {} }),
    );
    await unauthorized(await server.api("/api/meta", { method: "DELETE", auth: false }));
    // An unknown path under /api/ does not say so to a client without the token either.
    await unauthorized(await server.api("/api/no/such/route", { auth: false }));
    const wrong = await server.api("/api/tmux/sessions/alpha", { method: "PUT", json: {} });
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.get("allow") ?? "", /DELETE/);
    await expectError(wrong, 405, "METHOD_NOT_ALLOWED");
    await expectError(await server.api("/api/no/such/route"), 404, "NOT_FOUND");
    // Outside /api/ nothing needs the token.
    await expectError(await server.api("/no/such/page", { auth: false }), 404, "NOT_FOUND");
  });
});

describe("X-Request-ID", () => {
  test("on every response: success, 4xx, unknown routes; a sane incoming id is kept", async () => {
    const responses = [
      await meta(`Bearer ${TOKEN}`),
      await meta(),
      await meta(`Bearer ${TOKEN}`, server, { origin: "http://evil.example" }),
      await server.api("/api/tmux/sessions", { method: "POST", json: "{" }),
      await server.api("/api/tmux/sessions/nope/windows"),
      await server.api("/api/no/such/route"),
      await server.api("/no/such/page", { auth: false }),
      await server.api("/api/tmux/sessions/alpha", { method: "PUT", json: {} }),
    ];
    const ids = new Set<string>();
    for (const res of responses) {
      const id = res.headers.get("x-request-id");
      assert.match(id ?? "", UUID, `${res.status} ${res.url}`);
      ids.add(id!);
      await res.arrayBuffer();
    }
    assert.equal(ids.size, responses.length, "request ids are unique");
    const kept = await meta(`Bearer ${TOKEN}`, server, { "x-request-id": "client-id.42:abc" });
    assert.equal(kept.headers.get("x-request-id"), "client-id.42:abc");
    const keptOnError = await meta(undefined, server, { "x-request-id": "client-id-401" });
    assert.equal(keptOnError.status, 401);
    assert.equal(keptOnError.headers.get("x-request-id"), "client-id-401");
    for (const bad of ["has space", "x".repeat(129), "semi;colon", "<script>"]) {
      const res = await meta(`Bearer ${TOKEN}`, server, { "x-request-id": bad });
      assert.match(res.headers.get("x-request-id") ?? "", UUID, bad);
    }
  });

  test("on WebSocket handshakes too: refusals and the 101", async () => {
    const refusal = await handshake("/ws/tmux?session=alpha", {});
    assert.equal(refusal.status, 401);
    assert.match(String(refusal.headers["x-request-id"]), UUID);
    const kept = await handshake("/ws/tmux?session=nope", {
      authorization: `Bearer ${TOKEN}`,
      "x-request-id": "ws-client-7",
    });
    assert.equal(kept.status, 404);
    assert.equal(kept.headers["x-request-id"], "ws-client-7");
    const ok = await handshake("/ws/tmux?session=alpha", {
      authorization: `Bearer ${TOKEN}`,
      "x-request-id": "ws-client-8",
    });
    assert.equal(ok.status, 101);
    assert.equal(ok.headers["x-request-id"], "ws-client-8");
    const unknown = await handshake("/ws/nope", { authorization: `Bearer ${TOKEN}` });
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.headers["x-request-id"]), UUID);
    // Handshakes that `ws` refuses (spec §2.1's answers), after the token check.
    const bad: Array<[Record<string, string>, number, string]> = [
      [{ "sec-websocket-key": "" }, 400, "missing websocket key"],
      [{ "sec-websocket-version": "12" }, 400, "unsupported websocket version"],
      [{ "sec-websocket-protocol": "sentinel.v1,,x y" }, 400, "bad websocket request"],
    ];
    for (const [headers, status, body] of bad) {
      const r = await refusedWith(
        handshake("/ws/tmux?session=alpha", { authorization: `Bearer ${TOKEN}`, ...headers }),
        status,
        body,
      );
      assert.match(String(r.headers["x-request-id"]), UUID);
    }
  });

  test("the server logged no internal error", () => {
    assert.doesNotMatch(server.logs(), /INTERNAL_ERROR|unhandled error|"level":50/);
  });
});

describe("throttling wrong credentials", () => {
  let limited: ServerHandle;
  before(async () => {
    // The default limit (20 wrong credentials a minute).
    limited = await startServer({ tmuxSocket: tmux.socket, token: TOKEN });
  });
  after(async () => {
    await limited?.stop();
  });
  const throttledLogs = () =>
    limited
      .logs()
      .split("\n")
      .filter((l) => l.includes("authentication throttled"));

  test("50 requests without a token are 401, never 429, and count nothing: the right token then works", async () => {
    for (let i = 0; i < 50; i++) await unauthorized(await meta(i % 2 ? "Bearer " : undefined, limited));
    for (let i = 0; i < 5; i++)
      assert.equal((await handshake("/ws/tmux?session=alpha", {}, limited)).status, 401);
    assert.equal((await meta(`Bearer ${TOKEN}`, limited)).status, 200);
    assert.deepEqual(throttledLogs(), []);
  });

  test("50 wrong tokens: 401, then 429 with Retry-After (at most 60 s); the right token is accepted at once on HTTP and WebSocket", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 5 === 4) {
        // Wrong tokens on the WebSocket count too.
        const r = await handshake("/ws/tmux?session=alpha", { authorization: `Bearer wrong-${i}` }, limited);
        statuses.push(r.status);
        if (r.status === 429) {
          assert.equal(r.body, "too many requests\n");
          const retryAfter = Number(r.headers["retry-after"]);
          assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        }
        continue;
      }
      const res = await meta(`Bearer wrong-${i}`, limited);
      statuses.push(res.status);
      if (res.status !== 429) {
        await unauthorized(res);
        continue;
      }
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
        `Retry-After ${retryAfter}`,
      );
      assert.match(res.headers.get("x-request-id") ?? "", UUID);
      await expectError(res, 429, "RATE_LIMITED");
    }
    // The first 20 are told 401, every later one 429.
    assert.deepEqual(statuses, [...Array(20).fill(401), ...Array(30).fill(429)]);

    // The right token: at once, over HTTP (static and access token) and the WebSocket upgrade.
    assert.equal((await meta(`Bearer ${TOKEN}`, limited)).status, 200);
    const pair = await issue({}, limited);
    assert.equal((await meta(`Bearer ${pair.accessToken}`, limited)).status, 200);
    const { ws, status } = await attach("alpha", { headers: { authorization: `Bearer ${TOKEN}` } }, limited);
    assert.equal(status.session, "alpha");
    assert.equal(await detach(ws), 1000);
    const viaProtocol = await attach("alpha", { protocols: ["sentinel.v1", authProtocol(TOKEN)] }, limited);
    assert.equal(await detach(viaProtocol.ws), 1000);
    // No token at all is still a plain 401 while the address is throttled.
    await unauthorized(await meta(undefined, limited));
    // A wrong refresh token is a wrong credential too; a good one is not refused.
    await expectError(
      await limited.api("/api/auth/refresh", { method: "POST", auth: false, json: { refreshToken: "x" } }),
      429,
      "RATE_LIMITED",
    );
    const refreshed = await limited.api("/api/auth/refresh", {
      method: "POST",
      auth: false,
      json: { refreshToken: pair.refreshToken },
    });
    assert.equal(refreshed.status, 200);
    // The episode is logged once, not per refused request; each counted failure once.
    assert.equal(throttledLogs().length, 1, throttledLogs().join("\n"));
    assert.equal((limited.logs().match(/"authentication failed"/g) ?? []).length, 20);
    // Other servers (other counters) are unaffected.
    assert.equal((await meta(`Bearer ${TOKEN}`)).status, 200);
  });
});

describe("rate limit on /api/*", () => {
  let limited: ServerHandle;
  before(async () => {
    limited = await startServer({
      tmuxSocket: tmux.socket,
      token: TOKEN,
      env: { SENTINEL_RATE_LIMIT_PER_MINUTE: "5" },
    });
  });
  after(async () => {
    await limited?.stop();
  });

  test("X-RateLimit-Limit/Remaining/Reset on each response, 429 RATE_LIMITED with Retry-After past the limit", async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await meta(`Bearer ${TOKEN}`, limited);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ratelimit-limit"), "5");
      assert.equal(res.headers.get("x-ratelimit-remaining"), String(5 - i));
      const reset = Number(res.headers.get("x-ratelimit-reset"));
      assert.ok(Number.isInteger(reset) && reset >= 0 && reset <= 60, `reset ${reset}`);
      await res.arrayBuffer();
    }
    for (const path of ["/api/meta", "/api/tmux/sessions", "/api/fs/dirs"]) {
      const res = await limited.api(path);
      await expectError(res, 429, "RATE_LIMITED");
      assert.equal(res.headers.get("x-ratelimit-limit"), "5");
      assert.equal(res.headers.get("x-ratelimit-remaining"), "0");
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.match(res.headers.get("x-request-id") ?? "", UUID);
    }
    // The default limit on the main server is generous, and announced.
    const res = await meta(`Bearer ${TOKEN}`);
    assert.equal(res.headers.get("x-ratelimit-limit"), "6000");
  });

  // The limiter keys an IPv6 client by its /56 with ip-address, which the bundle loads on first use
  // (scripts/build.mjs, lazy-ip-address): this is that first use.
  test("a client over IPv6 (the server on ::1) is counted and limited the same way", async () => {
    const v6 = await startServer({
      tmuxSocket: tmux.socket,
      token: TOKEN,
      env: { SENTINEL_RATE_LIMIT_PER_MINUTE: "3" },
      args: ["--host", "::1"],
    });
    try {
      assert.match(v6.url, /^http:\/\/\[::1\]:\d+$/, "listening on ::1");
      for (let i = 1; i <= 3; i++) {
        const res = await meta(`Bearer ${TOKEN}`, v6);
        assert.equal(res.status, 200, `request ${i}`);
        assert.equal(res.headers.get("x-ratelimit-remaining"), String(3 - i), `remaining after ${i}`);
        await res.arrayBuffer();
      }
      await expectError(await meta(`Bearer ${TOKEN}`, v6), 429, "RATE_LIMITED");
      assert.doesNotMatch(v6.logs(), /"level":50/, "no error logged");
    } finally {
      await v6.stop();
    }
  });
});

/** A server started without SENTINEL_TOKEN on a data dir whose config.toml says `config`; stopped and removed after. */
function serverWithConfig(config: string): { handle: () => ServerHandle; dataDir: () => string } {
  let handle: ServerHandle | undefined;
  let dataDir = "";
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sentinel-data-"));
    writeFileSync(join(dataDir, "config.toml"), config, { mode: 0o600 });
    handle = await startServer({ tmuxSocket: tmux.socket, token: "", dataDir });
  });
  after(async () => {
    await handle?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return { handle: () => handle!, dataDir: () => dataDir };
}

describe('auth = "none" (chosen in the config file)', () => {
  const server = serverWithConfig('auth = "none"\ntoken = ""\n');

  test("meta says tokenRequired:false and auth none; HTTP and WebSocket need no token; the start warns", async () => {
    const open = server.handle();
    const res = await meta(undefined, open);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: { tokenRequired: boolean; auth: string } };
    assert.equal(body.data.tokenRequired, false);
    assert.equal(body.data.auth, "none");
    assert.equal((await open.api("/api/tmux/sessions/alpha/windows", { auth: false })).status, 200);
    const { ws, status } = await attach("alpha", {}, open);
    assert.equal(status.session, "alpha");
    assert.equal(await detach(ws), 1000);
    // The origin and host checks still apply.
    await expectError(await meta(undefined, open, { origin: "http://evil.example" }), 403, "ORIGIN_DENIED");
    const port = new URL(open.url).port;
    const rebound = await raw("GET", "/api/meta", { host: `evil.example:${port}` }, open);
    assert.equal(rebound.status, 403, rebound.body);
    assert.match(open.logs(), /no token is required/);
  });
});

describe('a config file with token = "" and no auth = "none"', () => {
  const server = serverWithConfig('# kept\ntoken = ""\n');

  test("is not served open: a token is generated into the file and required", async () => {
    const generated = server.handle();
    const dataDir = server.dataDir();
    await unauthorized(await meta(undefined, generated));
    assert.equal((await handshake("/ws/tmux?session=alpha", {}, generated)).status, 401);
    const file = readFileSync(join(dataDir, "config.toml"), "utf8");
    const token = /^token = "(.+)"$/m.exec(file)?.[1];
    assert.ok(token && token.length >= 32, file);
    assert.match(file, /^# kept$/m);
    const res = await meta(`Bearer ${token}`, generated);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: { tokenRequired: boolean; auth: string } };
    assert.deepEqual([body.data.tokenRequired, body.data.auth], [true, "token"]);
  });
});
