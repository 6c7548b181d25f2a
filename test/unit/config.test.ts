import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { ConfigError, loadConfig, withToken } from "../../src/server/config.js";
import { validateConfig } from "../../src/server/ops/configFile.js";
import { isLoopbackHost, splitListen } from "../../src/server/settings/kinds.js";
import { readConfigText } from "../../src/server/settings/read.js";

const execFileP = promisify(execFile);
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
  /** `count` children that load the config module, then call loadConfig on `dir` at the same instant. */
  async function startTogether(dir: string, count: number) {
    const module = resolve("src/server/config.ts");
    // Every child loads the module first, then waits for the same instant (a busy wait), so the loads overlap.
    const at = Date.now() + 4000;
    const script = `const m = await import(${JSON.stringify(module)});
      const { loadConfig } = m.default ?? m;
      while (Date.now() < ${at});
      const c = loadConfig({ dataDir: ${JSON.stringify(dir)}, port: "0" }, {});
      console.log(JSON.stringify({ token: c.token, source: c.tokenSource }));`;
    const runs = await Promise.all(
      Array.from({ length: count }, () =>
        execFileP(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]),
      ),
    );
    const read = runs.map((r) => JSON.parse(r.stdout.trim()) as { token: string; source: string });
    const file = readFileSync(join(dir, "config.toml"), "utf8");
    const token = /token = "([^"]+)"/.exec(file)?.[1];
    assert.ok(token, "the file holds a token");
    assert.deepEqual(
      new Set(read.map((r) => r.token)),
      new Set([token]),
      "every server uses the file's token",
    );
    assert.equal(read.filter((r) => r.source === "generated").length, 1, "exactly one server generated it");
    assert.deepEqual(
      readdirSync(dir).filter((f) => f !== "config.toml"),
      [],
      "no temp or lock file left beside it",
    );
    return file;
  }

  test("servers starting together on a new data dir all read the one token the first wrote", async () => {
    // Two VS Code windows opening the workspace start two servers at once (a clean-clone CI run saw EEXIST).
    await startTogether(temp(), 8);
  });

  test("servers starting together on a file without a token agree on the one token given to it", async () => {
    const dir = temp();
    writeFileSync(join(dir, "config.toml"), '# mine\nlisten = "127.0.0.1:4040"\n', { mode: 0o600 });
    const file = await startTogether(dir, 8);
    assert.match(file, /^# mine$/m, "the user's lines are kept");
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
  test("a first start with SENTINEL_TOKEN still writes a generated token into the file", () => {
    const dir = temp();
    const c = loadConfig({ dataDir: dir }, { SENTINEL_TOKEN: "env-token-0123456789" });
    assert.equal(c.token, "env-token-0123456789");
    assert.equal(c.tokenSource, "env");
    assert.equal(c.auth, "token");
    const written = readConfigText(readFileSync(c.configPath, "utf8")).values.token ?? "";
    assert.match(written, /^[A-Za-z0-9_-]{32}$/);
    // A later start without the variable requires that token: never none.
    const later = loadConfig({ dataDir: dir }, {});
    assert.equal(later.token, written);
    assert.equal(later.tokenSource, "config");
  });
  test("an existing config with an empty or no token gets a generated one written into it, the rest kept", () => {
    const cases: Array<[string, (token: string) => string]> = [
      ['# mine\ntoken = ""\nlog_level = "debug"\n', (t) => `# mine\ntoken = "${t}"\nlog_level = "debug"\n`],
      ['# a\n# b\nlog_level = "debug"\n', (t) => `# a\n# b\ntoken = "${t}"\nlog_level = "debug"\n`],
      ['token=""\n#token = "old"\n[s]\nx = 1', (t) => `token="${t}"\n#token = "old"\n[s]\nx = 1`],
      ['# a\ntoken = "" # rotated by hand\n', (t) => `# a\ntoken = "${t}" # rotated by hand\n`],
      ["", (t) => `token = "${t}"\n`],
    ];
    for (const [content, expected] of cases) {
      const dir = temp();
      writeFileSync(join(dir, "config.toml"), content, { mode: 0o644 });
      const c = loadConfig({ dataDir: dir }, {});
      assert.equal(c.tokenSource, "generated", content);
      assert.match(c.token, /^[A-Za-z0-9_-]{32}$/);
      assert.equal(readFileSync(c.configPath, "utf8"), expected(c.token), content);
      assert.equal(statSync(c.configPath).mode & 0o777, 0o600);
      assert.equal(loadConfig({ dataDir: dir }, {}).token, c.token);
    }
    // The environment's token wins and the file is left alone.
    const dir = temp();
    writeFileSync(join(dir, "config.toml"), 'token = ""\n');
    assert.equal(
      loadConfig({ dataDir: dir }, { SENTINEL_TOKEN: "from-env-0123456789" }).token,
      "from-env-0123456789",
    );
    assert.equal(readFileSync(join(dir, "config.toml"), "utf8"), 'token = ""\n');
  });
  test("a file without a token that cannot be written is an error, not an open server", {
    skip: process.getuid?.() === 0 && "root can write a read-only file",
  }, () => {
    const dir = temp();
    writeFileSync(join(dir, "config.toml"), 'token = ""\n', { mode: 0o400 });
    chmodSync(dir, 0o500);
    try {
      assert.throws(() => loadConfig({ dataDir: dir }, {}), /has no token and it could not be written/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
  test('auth = "none" only when chosen, and only on loopback; other values are errors', () => {
    const dir = temp();
    writeFileSync(join(dir, "config.toml"), 'auth = "none"\ntoken = "file-token-0123456789"\n');
    const open = loadConfig({ dataDir: dir }, {});
    assert.deepEqual([open.auth, open.token, open.tokenSource], ["none", "", "none"]);
    // Even with a token in the environment: the choice is explicit.
    assert.equal(loadConfig({ dataDir: dir }, { SENTINEL_TOKEN: "x".repeat(20) }).auth, "none");
    for (const host of ["0.0.0.0", "10.1.2.3", "::", "example.com"]) {
      assert.throws(
        () => loadConfig({ dataDir: dir, host }, {}),
        (e: Error) => e instanceof ConfigError && /allowed only on a loopback address/.test(e.message),
        host,
      );
    }
    assert.throws(() => loadConfig({ dataDir: dir }, { SENTINEL_LISTEN: ":4040" }), /not "\*"/);
    assert.equal(loadConfig({ dataDir: dir, host: "::1" }, {}).auth, "none");
    // SENTINEL_AUTH wins over the file, both ways.
    assert.equal(loadConfig({ dataDir: dir }, { SENTINEL_AUTH: "token" }).token, "file-token-0123456789");
    const other = temp();
    assert.equal(loadConfig({ dataDir: other }, { SENTINEL_AUTH: "NONE" }).auth, "none");
    for (const bad of ["off", "false", "0", "no"]) {
      assert.throws(() => loadConfig({ dataDir: other }, { SENTINEL_AUTH: bad }), /invalid auth/);
    }
    assert.equal(loadConfig({ dataDir: other }, { SENTINEL_AUTH: " Token " }).auth, "token");
  });
  test("allowed_hosts: environment or file, comma-separated, lower case", () => {
    const dir = temp();
    writeFileSync(
      join(dir, "config.toml"),
      'token = "t0123456789abcdef"\nallowed_hosts = "Dev.Example, box.lan:8080,"\n',
    );
    assert.deepEqual(loadConfig({ dataDir: dir }, {}).allowedHosts, ["dev.example", "box.lan:8080"]);
    assert.deepEqual(loadConfig({ dataDir: dir }, { SENTINEL_ALLOWED_HOSTS: "a.example" }).allowedHosts, [
      "a.example",
    ]);
  });
  test("withToken edits only the token's value, or adds a top-level line after the leading comments", () => {
    assert.equal(withToken("token = 'a'   # old\r\nx = 1\r\n", "T"), 'token = "T"   # old\r\nx = 1\r\n');
    assert.equal(withToken("#c\nx = 1", "T"), '#c\ntoken = "T"\nx = 1\n');
    assert.equal(withToken("[s]\nx = 1\n", "T"), 'token = "T"\n[s]\nx = 1\n');
    assert.equal(withToken('# c\n[server]\ntoken = "" # here\n', "T"), '# c\n[server]\ntoken = "T" # here\n');
    assert.equal(withToken("token = '''\n'''\nx = 1\n", "T"), 'token = "T"\nx = 1\n');
    assert.equal(
      withToken('note = """\ntoken = "not this"\n"""\ntoken = ""\n', "T"),
      'note = """\ntoken = "not this"\n"""\ntoken = "T"\n',
    );
  });
});

describe("PATCH /api/ops/config: the file's auth settings", () => {
  test("removing the token, leaving it empty, or auth = none off loopback is refused", () => {
    for (const content of [
      '# no token\nlog_level = "info"\n',
      'token = ""\n',
      'token = "   " # blank\n',
      '[server]\ntoken = ""\n',
    ]) {
      assert.throws(
        () => validateConfig(content),
        (e: Error) => e instanceof ConfigError && /the token cannot be removed or left empty/.test(e.message),
        content,
      );
    }
    assert.throws(
      () => validateConfig('auth = "none"\nlisten = "0.0.0.0:4040"\n'),
      /loopback listen address/,
    );
    assert.throws(() => validateConfig('auth = "none"\nlisten = ":4040"\n'), /loopback listen address/);
    assert.throws(
      () => validateConfig('auth = "none"\n[server]\nhost = "0.0.0.0"\n'),
      /loopback listen address/,
    );
    for (const ok of [
      'token = "good-token-0123456789"\n',
      '# c\n[server]\ntoken = "good-token-0123456789"\n',
      'auth = "none"\n',
      'auth = "none"\nlisten = "127.0.0.1:4040"\n',
    ]) {
      validateConfig(ok);
    }
    // The keys themselves are known and checked.
    assert.throws(() => validateConfig('auth = "off"\n'), /invalid auth: expected one of token, none/);
    assert.throws(() => validateConfig('allowed_hosts = "a b"\n'), /invalid allowed_hosts/);
    assert.deepEqual(
      validateConfig(
        'auth = "token"\ntoken = "good-token-0123456789"\nallowed_hosts = ["dev.example", "[::1]:80"]\n',
      ).warnings,
      [],
    );
  });
});
