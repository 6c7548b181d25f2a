import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isLoopbackHost, loadConfig, parseConfigFile, splitListen } from "../../src/server/config.js";

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "sentinel-config-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("config", () => {
  test("the flat key = value format and its quirks", () => {
    const m = parseConfigFile(
      `# c\n[server]\nlisten = "127.0.0.1:1"\ntoken='t'\nx = "a" # not a comment\nbad line\n`,
    );
    assert.equal(m.get("listen"), "127.0.0.1:1");
    assert.equal(m.get("token"), "t");
    assert.equal(m.get("x"), '"a" # not a comment');
    assert.equal(m.has("bad line"), false);
  });
  test("listen addresses and loopback hosts", () => {
    assert.deepEqual(splitListen("127.0.0.1:4040"), { host: "127.0.0.1", port: "4040" });
    assert.deepEqual(splitListen("[::1]:80"), { host: "::1", port: "80" });
    assert.deepEqual(splitListen(":4040"), { host: "", port: "4040" });
    assert.throws(() => splitListen("nope"));
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"])
      assert.ok(isLoopbackHost(h), h);
    for (const h of ["", "0.0.0.0", "10.0.0.1", "example.com", "::"]) assert.ok(!isLoopbackHost(h), h);
  });
  test("first start writes a private config with a fresh token", () => {
    const dir = temp();
    const c = loadConfig({ dataDir: dir, port: "0" }, {});
    assert.equal(c.tokenSource, "generated");
    assert.ok(c.token.length >= 24);
    assert.equal(statSync(c.configPath).mode & 0o777, 0o600);
    assert.match(readFileSync(c.configPath, "utf8"), new RegExp(`token = "${c.token}"`));
    const again = loadConfig({ dataDir: dir }, {});
    assert.equal(again.token, c.token);
    assert.equal(again.tokenSource, "config");
  });
  test("flags beat environment beats file", () => {
    const dir = temp();
    writeFileSync(join(dir, "config.toml"), 'listen = "127.0.0.2:1111"\ntoken = "file"\n');
    const fromFile = loadConfig({ dataDir: dir }, {});
    assert.equal(fromFile.host, "127.0.0.2");
    assert.equal(fromFile.port, 1111);
    assert.equal(fromFile.token, "file");
    const fromEnv = loadConfig(
      { dataDir: dir },
      { SENTINEL_LISTEN: "127.0.0.3:2222", SENTINEL_TOKEN: "env" },
    );
    assert.equal(fromEnv.host, "127.0.0.3");
    assert.equal(fromEnv.token, "env");
    assert.equal(fromEnv.tokenSource, "env");
    const fromFlags = loadConfig(
      { dataDir: dir, host: "127.0.0.4", port: "0" },
      { SENTINEL_LISTEN: "127.0.0.3:2222" },
    );
    assert.equal(fromFlags.host, "127.0.0.4");
    assert.equal(fromFlags.port, 0);
    assert.throws(() => loadConfig({ dataDir: dir, port: "70000" }, {}), /invalid port/);
    assert.throws(() => loadConfig({ dataDir: dir, port: "abc" }, {}), /invalid port/);
  });
  test("an existing config without a token means no auth", () => {
    const dir = temp();
    writeFileSync(join(dir, "config.toml"), 'token = ""\n');
    const c = loadConfig({ dataDir: dir }, {});
    assert.equal(c.token, "");
    assert.equal(c.tokenSource, "none");
  });
});
