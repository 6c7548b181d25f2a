import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import jwt from "jsonwebtoken";
import { clientProtocols } from "../../src/protocol/transport.js";
import {
  Authenticator,
  bearerCredential,
  hasUrlToken,
  redactUrl,
  subprotocolToken,
  websocketCredential,
} from "../../src/server/auth/authenticator.js";
import { HostCheck, hostName, isWildcardHost } from "../../src/server/auth/host.js";
import { originAllowed } from "../../src/server/auth/origin.js";
import { AuthThrottle, isAttempt } from "../../src/server/auth/throttle.js";

const TOKEN = "my-token";
const key = createHmac("sha256", TOKEN).update("sentinel-jwt-v1").digest();
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const b64url = (s: string) => Buffer.from(s, "utf8").toString("base64url");

describe("static token", () => {
  const auth = new Authenticator(TOKEN);
  test("accepts the token (trimmed) and nothing else", () => {
    assert.deepEqual(auth.verify(TOKEN), { kind: "static" });
    assert.deepEqual(auth.verify(`  ${TOKEN} `), { kind: "static" });
    for (const bad of ["", " ", "my-token2", "my-toke", "MY-TOKEN"])
      assert.equal(auth.verify(bad), undefined, bad);
  });
  test("no configured token admits everyone", () => {
    const open = new Authenticator("");
    assert.equal(open.required, false);
    assert.deepEqual(open.authenticate({ presented: false }), { kind: "open" });
    assert.equal(auth.authenticate({ presented: false }), undefined);
  });
});

describe("bearer and subprotocol credentials", () => {
  test("Bearer prefix is case-sensitive and the value trimmed", () => {
    assert.deepEqual(bearerCredential("Bearer  tok "), { presented: true, value: "tok" });
    assert.deepEqual(bearerCredential("bearer tok"), { presented: true, value: "" });
    assert.deepEqual(bearerCredential("Basic dG9r"), { presented: true, value: "" });
    assert.deepEqual(bearerCredential("Bearer "), { presented: true, value: "" });
    assert.deepEqual(bearerCredential(undefined), { presented: false });
  });
  test("sentinel.auth.<base64url> decodes, padding optional, bad encodings refused", () => {
    assert.equal(subprotocolToken("sentinel.v1, sentinel.auth.bXktdG9rZW4"), "my-token");
    assert.equal(subprotocolToken("sentinel.auth.bXktdG9rZW4="), "my-token");
    assert.equal(subprotocolToken("sentinel.auth.bXk+dG9rZW4"), undefined);
    assert.equal(subprotocolToken("sentinel.auth.!!!"), undefined);
    assert.equal(subprotocolToken("sentinel.auth."), undefined);
    assert.equal(subprotocolToken(`sentinel.auth.${Buffer.from("   ").toString("base64url")}`), undefined);
    assert.equal(subprotocolToken("sentinel.v1"), undefined);
    // The first usable entry counts; unusable ones before it are skipped, a wrong but usable one is not.
    assert.equal(subprotocolToken("sentinel.auth., sentinel.auth.!, sentinel.auth.bXktdG9rZW4"), "my-token");
    assert.equal(subprotocolToken("sentinel.auth.d3Jvbmc, sentinel.auth.bXktdG9rZW4"), "wrong");
    assert.deepEqual(clientProtocols("my-token"), ["sentinel.v1", "sentinel.auth.bXktdG9rZW4"]);
    assert.deepEqual(clientProtocols("  "), ["sentinel.v1"]);
  });
  test("a non-empty Bearer header wins over the subprotocol", () => {
    assert.deepEqual(websocketCredential("Bearer wrong", "sentinel.auth.bXktdG9rZW4"), {
      presented: true,
      value: "wrong",
    });
    assert.deepEqual(websocketCredential(undefined, "sentinel.auth.bXktdG9rZW4"), {
      presented: true,
      value: "my-token",
    });
    assert.deepEqual(websocketCredential(undefined, undefined), { presented: false });
  });
  test("tokens in URLs are detected and redacted", () => {
    assert.equal(hasUrlToken("/ws/tmux?session=a&token=x"), true);
    assert.equal(hasUrlToken("/api/meta?access_token=x"), true);
    assert.equal(hasUrlToken("/ws/tmux?session=token"), false);
    assert.equal(redactUrl("/ws/tmux?session=a&token=secret"), "/ws/tmux?session=a&token=REDACTED");
  });
});

describe("access and refresh tokens", () => {
  const auth = new Authenticator(TOKEN, 900, 3600);
  test("an issued access token verifies with its claims", () => {
    const pair = auth.issue({ sub: "alice", sessionId: "dev" });
    const p = auth.verify(pair.accessToken);
    assert.equal(p?.kind, "jwt");
    assert.equal(p?.kind === "jwt" && p.sub, "alice");
    assert.equal(p?.kind === "jwt" && p.sessionId, "dev");
    const claims = jwt.decode(pair.accessToken) as Record<string, unknown>;
    assert.equal((claims.exp as number) - (claims.iat as number), 900);
    assert.equal(pair.sessionId, "dev");
    assert.equal(pair.expiresIn, 900);
  });
  test("expired, foreign-key, alg:none and refresh tokens are refused as access tokens", () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = jwt.sign({ sub: "a", typ: "access", iat: now - 100, exp: now - 10 }, key, {
      algorithm: "HS256",
    });
    assert.equal(auth.verify(expired), undefined);
    const foreign = jwt.sign({ sub: "a", typ: "access" }, "another-key", {
      algorithm: "HS256",
      expiresIn: 60,
    });
    assert.equal(auth.verify(foreign), undefined);
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "a", typ: "access", exp: now + 60 })}.`;
    assert.equal(auth.verify(none), undefined);
    const hs512 = jwt.sign({ sub: "a", typ: "access" }, key, { algorithm: "HS512", expiresIn: 60 });
    assert.equal(auth.verify(hs512), undefined);
    const pair = auth.issue();
    assert.equal(auth.verify(pair.refreshToken), undefined);
    assert.ok(auth.verify(pair.accessToken));
  });
  test("refresh exchanges a refresh token, keeps the scope, refuses access tokens", () => {
    const pair = auth.issue({ sessionId: "dev" });
    const next = auth.refresh(pair.refreshToken);
    assert.ok(next);
    assert.equal(next.sessionId, "dev");
    assert.equal(auth.refresh(pair.accessToken), undefined);
    assert.equal(auth.refresh("garbage"), undefined);
  });
  test("a new static token revokes tokens issued from the old one", () => {
    const pair = auth.issue();
    assert.equal(new Authenticator("other-token").verify(pair.accessToken), undefined);
  });
});

describe("origin and throttle", () => {
  test("origin: none, allow-listed, or same host and scheme", () => {
    assert.equal(originAllowed(undefined, "h:1", []), true);
    assert.equal(originAllowed("http://h:1", "h:1", []), true);
    assert.equal(originAllowed("https://h:1", "h:1", []), false);
    assert.equal(originAllowed("http://evil.example", "h:1", []), false);
    assert.equal(originAllowed("http://evil.example", "h:1", ["http://evil.example"]), true);
    assert.equal(originAllowed("not a url", "h:1", []), false);
    assert.equal(originAllowed("vscode-webview://abc", "h:1", []), false);
  });
  test("throttle refuses an address after max failures, until they age out", () => {
    let t = 0;
    const th = new AuthThrottle(3, 60_000, () => t);
    for (let i = 0; i < 3; i++) {
      assert.equal(th.retryAfter("a"), 0);
      th.recordFailure("a");
    }
    assert.ok(th.retryAfter("a") > 0);
    assert.equal(th.retryAfter("b"), 0);
    t = 60_001;
    assert.equal(th.retryAfter("a"), 0);
  });
});

describe("wrong credentials: the throttle", () => {
  const logger = () => {
    const lines: string[] = [];
    return { lines, warn: (_obj: object, msg: string) => void lines.push(msg) };
  };

  test("only wrong credentials count; while throttled they get the seconds to wait, uncounted and unlogged", () => {
    let t = 0;
    const th = new AuthThrottle(3, 60_000, () => t);
    const log = logger();
    for (let i = 0; i < 3; i++) assert.equal(th.wrongCredential("a", "bad", log), 0);
    assert.deepEqual(log.lines.filter((l) => l === "authentication failed").length, 3);
    assert.equal(log.lines.filter((l) => l.startsWith("authentication throttled")).length, 1);
    t = 10_000;
    for (let i = 0; i < 50; i++) assert.equal(th.wrongCredential("a", "bad", log), 50);
    assert.equal(log.lines.length, 4, "nothing logged while throttled");
    assert.equal(th.wrongCredential("b", "bad", log), 0, "other addresses are not affected");
    // The episode ends when the failures age out (the refused ones did not extend it).
    t = 60_001;
    assert.equal(th.wrongCredential("a", "bad", log), 0);
    assert.equal(th.wrongCredential("a", "bad", log), 0);
    assert.equal(th.wrongCredential("a", "bad", log), 0);
    assert.equal(
      log.lines.filter((l) => l.startsWith("authentication throttled")).length,
      2,
      "a new episode",
    );
  });

  test("the back-off is bounded by 60 s whatever the window", () => {
    const th = new AuthThrottle(1, 3_600_000, () => 0);
    th.recordFailure("a");
    assert.equal(th.retryAfter("a"), 60);
  });

  test("a missing or blank credential is not a login attempt", () => {
    assert.equal(isAttempt({ presented: false }), false);
    assert.equal(isAttempt(bearerCredential(undefined)), false);
    assert.equal(isAttempt(bearerCredential("Bearer ")), false);
    assert.equal(isAttempt(bearerCredential("Bearer")), false);
    assert.equal(isAttempt(bearerCredential("Basic dG9r")), false);
    assert.equal(isAttempt(bearerCredential("Bearer wrong")), true);
    assert.equal(isAttempt(websocketCredential(undefined, "sentinel.v1")), false);
    assert.equal(
      isAttempt(websocketCredential(undefined, `sentinel.v1, sentinel.auth.${b64url("x")}`)),
      true,
    );
  });
});

describe("Host header check", () => {
  test("loopback names with any port, the listen host, allowed hosts; nothing else", () => {
    const check = new HostCheck("127.0.0.1", ["dev.example", "box.lan:8080"]);
    for (const host of [
      undefined,
      "127.0.0.1",
      "127.0.0.1:4040",
      "127.9.8.7:1",
      "localhost",
      "LocalHost:4040",
      "localhost.:4040",
      "[::1]",
      "[::1]:4040",
      "dev.example",
      "DEV.example:9999",
      "box.lan:1234",
    ]) {
      assert.equal(check.allows(host), true, host);
    }
    for (const host of [
      "",
      "evil.example",
      "evil.example:4040",
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      "127.0.0.1@evil.example",
      "10.0.0.1:4040",
      "[::2]:4040",
      "0.0.0.0",
      "dev.example.evil",
      "a b",
      "[::1",
    ]) {
      assert.equal(check.allows(host), false, host);
    }
  });

  test("a named listen host is accepted; a wildcard listen accepts IP literals but no other names", () => {
    const named = new HostCheck("myhost.lan", []);
    assert.equal(named.allows("myhost.lan:4040"), true);
    assert.equal(named.allows("192.168.1.5:4040"), false);
    const address = new HostCheck("192.168.1.5", []);
    assert.equal(address.allows("192.168.1.5:4040"), true);
    assert.equal(address.allows("192.168.1.6:4040"), false);
    for (const listen of ["0.0.0.0", "::", "[::]", ""]) {
      const wild = new HostCheck(listen, ["ci.example"]);
      for (const ok of ["192.168.1.5:4040", "[fe80::1]:4040", "10.0.0.1", "localhost:1", "ci.example"])
        assert.equal(wild.allows(ok), true, `${listen} ${ok}`);
      for (const no of ["evil.example:4040", "myhost.lan"])
        assert.equal(wild.allows(no), false, `${listen} ${no}`);
    }
    assert.equal(isWildcardHost("0.0.0.0"), true);
    assert.equal(isWildcardHost("127.0.0.1"), false);
    assert.equal(hostName("[::1]:80"), "::1");
    assert.equal(hostName("Example.COM.:80"), "example.com");
  });
});
