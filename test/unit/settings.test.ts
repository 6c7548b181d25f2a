// The settings schema (src/server/settings/): config.toml read as TOML with every value checked, the later Go
// server's sections, the line-level editor that keeps a user's file, the first-start template, and the README
// table generated from the schema.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "smol-toml";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { readConfigText } from "../../src/server/settings/read.js";
import { settingsTable, withSettingsTable } from "../../src/server/settings/readmeTable.js";
import { fileSetting, SETTING_KEYS, SETTINGS, type Setting } from "../../src/server/settings/schema.js";
import { configTemplate } from "../../src/server/settings/template.js";
import { replaceValue, scanToml, valueSource } from "../../src/server/settings/tomlLines.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A data dir whose config.toml is `content`; loaded without any SENTINEL_* variable. */
function load(content: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-settings-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.toml"), content, { mode: 0o600 });
  return { dir, config: () => loadConfig({ dataDir: dir }, env) };
}

const TOKEN = 'token = "file-token-0123456789"\n';

describe("config.toml is TOML", () => {
  test("an inline comment is not part of the value, and a # inside a string is", () => {
    const c = load(
      'token = "abc0123456789xyz" # rotated 2026-11\nallowed_origins = "https://a.example#x" # c\n',
    );
    assert.equal(c.config().token, "abc0123456789xyz");
    assert.deepEqual(c.config().allowedOrigins, ["https://a.example#x"]);
  });

  test("integers with underscores, booleans, durations and lists have their TOML types", () => {
    const c = load(
      `${TOKEN}rate_limit_per_minute = 12_000\nallow_query_token = true\nwatchtower_debounce = "1m30s"\n` +
        `allowed_hosts = ["Dev.Example", "box.lan:8080"]\nops_disk_threshold = 97.5\nops_health_interval = 0\n`,
    ).config();
    assert.equal(c.rateLimit.max, 12_000);
    assert.equal(c.allowQueryToken, true);
    assert.equal(c.watchtower.debounceMs, 90_000);
    assert.deepEqual(c.allowedHosts, ["dev.example", "box.lan:8080"]);
    assert.equal(c.ops.diskThreshold, 97.5);
    assert.equal(c.ops.healthIntervalMs, 0);
  });

  test("the later Go server's sections are read for the settings both have; other sections are not flattened", () => {
    const c = load(
      '[server]\nhost = "127.0.0.5"\nport = 4141\ntoken = "section-token-0123456789"\ncookie_secure = "auto"\n' +
        '[log]\nlevel = "debug"\n[watchtower]\nenabled = false\ncapture_lines = 120\n[runbooks]\nmax_concurrent = 2\n' +
        '[extra]\nlog_level = "error"\nrecovery_enabled = false\n',
    ).config();
    assert.deepEqual([c.host, c.port, c.token], ["127.0.0.5", 4141, "section-token-0123456789"]);
    assert.equal(c.logLevel, "debug");
    assert.equal(c.watchtower.enabled, false);
    assert.equal(c.watchtower.captureLines, 120);
    assert.equal(c.runbooks.maxConcurrent, 2);
    // Keys under a section this server does not know are not read as top-level keys.
    assert.equal(c.recovery.enabled, true);
    assert.deepEqual(
      c.warnings.map((w) => w.replace(/^.*config\.toml: /, "")),
      [
        'line 5: unknown key "cookie_secure" in [server] (ignored by this server)',
        "line 13: unknown section [extra] (ignored by this server, keys and all)",
      ],
    );
  });

  test("unknown keys are warnings with their line, not errors; a file of known keys has none", () => {
    const c = load(`${TOKEN}# old\nrecovery_capture_lines = 80\n`).config();
    assert.equal(c.warnings.length, 1);
    assert.match(
      c.warnings[0]!,
      /config\.toml: line 3: unknown key "recovery_capture_lines" \(ignored by this server\)$/,
    );
    assert.deepEqual(load(TOKEN).config().warnings, []);
  });

  test("invalid TOML stops the start with the file, line and column", () => {
    const c = load(`${TOKEN}# fine so far\nlisten = 127.0.0.1:4040\n`);
    assert.throws(c.config, (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message.startsWith(`${join(c.dir, "config.toml")}: line 3, column `), true, e.message);
      assert.match(e.message, /invalid TOML/);
      assert.equal(e.line, 3);
      return true;
    });
    assert.throws(
      load(`${TOKEN}log_level = "info"\nlog_level = "debug"\n`).config,
      /line 3, column \d+: invalid TOML/,
    );
  });

  test("a value of the wrong type or out of range stops the start naming the file, line and key", () => {
    const cases: Array<[string, RegExp]> = [
      [
        'rate_limit_per_minute = "6000"',
        /line 2: invalid rate_limit_per_minute: expected an integer >= 1, got a string/,
      ],
      ["rate_limit_per_minute = 0", /line 2: invalid rate_limit_per_minute: expected an integer >= 1, got 0/],
      [
        'watchtower_enabled = "yes"',
        /line 2: invalid watchtower_enabled: expected true or false, got a string/,
      ],
      ["recovery_snapshot_interval = 5", /line 2: invalid recovery_snapshot_interval: expected a duration/],
      [
        'watchtower_mode = "push"',
        /line 2: invalid watchtower_mode: expected one of scan, events, poll, got "push"/,
      ],
      ["log_level = [1]", /line 2: invalid log_level: expected one of .*, got an array/],
      ['listen = "nowhere"', /line 2: invalid listen: invalid listen address "nowhere"/],
      ["[watchtower]\ntick_interval = 1", /line 3: invalid watchtower\.tick_interval: expected a duration/],
      ['[server]\nport = "80"', /line 3: invalid server\.port: expected an integer, got a string/],
    ];
    for (const [line, message] of cases) {
      const c = load(`${TOKEN}${line}\n`);
      assert.throws(
        c.config,
        (e: Error) =>
          e instanceof ConfigError &&
          e.message.startsWith(join(c.dir, "config.toml")) &&
          message.test(e.message),
        line,
      );
    }
  });

  test("an invalid environment variable is an error naming it, never a silent default", () => {
    const c = load(TOKEN);
    assert.throws(
      () => loadConfig({ dataDir: c.dir }, { SENTINEL_RATE_LIMIT_PER_MINUTE: "lots" }),
      /SENTINEL_RATE_LIMIT_PER_MINUTE: invalid rate_limit_per_minute: expected an integer >= 1, got "lots"$/,
    );
    assert.equal(
      loadConfig({ dataDir: c.dir }, { SENTINEL_WATCHTOWER_ENABLED: "off" }).watchtower.enabled,
      false,
    );
    // The environment wins over the file, also over a section's key.
    const s = load('[log]\nlevel = "debug"\n' + '[server]\ntoken = "file-token-0123456789"\n');
    assert.equal(loadConfig({ dataDir: s.dir }, { SENTINEL_LOG_LEVEL: "WARN" }).logLevel, "warn");
  });
});

describe("the line-level editor", () => {
  const FILE = [
    "# header = not a key",
    'a = "x # y = z" # real comment',
    "b = 'lit'",
    "c = '''",
    'token = "inside a multi-line literal"',
    "'''",
    "d = [",
    '  "e", # token = "in an array comment"',
    "]",
    'f = { g = 1, h = "}" }',
    '"quoted key" = 1 # c',
    "[server] # s",
    'token = "t"   # keep',
    "",
  ].join("\n");

  test("finds each assignment and its value's span, whatever hides in strings, arrays and comments", () => {
    const fixed = FILE;
    assert.doesNotThrow(() => parse(fixed));
    const layout = scanToml(fixed);
    assert.deepEqual(
      layout.assignments.map((a) => [[...a.table, ...a.key].join("."), a.line + 1, a.singleLine]),
      [
        ["a", 2, true],
        ["b", 3, true],
        ["c", 4, false],
        ["d", 7, false],
        ["f", 10, true],
        ["quoted key", 11, true],
        ["server.token", 13, true],
      ],
    );
    assert.deepEqual(layout.headers, [{ path: ["server"], line: 11, arrayOfTables: false }]);
    assert.deepEqual(layout.commentLines, [0]);
    const values = layout.assignments.filter((a) => a.singleLine).map((a) => valueSource(fixed, a));
    assert.deepEqual(values, ['"x # y = z"', "'lit'", '{ g = 1, h = "}" }', "1", '"t"']);
    const token = layout.assignments.at(-1)!;
    const edited = replaceValue(fixed, token, '"new"');
    assert.equal(edited, fixed.replace('token = "t"   # keep', 'token = "new"   # keep'));
    assert.equal((parse(edited).server as { token: string }).token, "new");
  });

  test("the same layout with CRLF line ends, and a comment that ends the file without a newline", () => {
    const crlf = `${FILE.replaceAll("\n", "\r\n")}# last`;
    const layout = scanToml(crlf);
    assert.deepEqual(
      layout.assignments.map((a) => [[...a.table, ...a.key].join("."), a.line + 1]),
      scanToml(FILE).assignments.map((a) => [[...a.table, ...a.key].join("."), a.line + 1]),
      "CRLF changes no assignment or line",
    );
    assert.deepEqual(layout.commentLines, [0, 13], "comment lines under CRLF");
    const token = layout.assignments.at(-1)!;
    assert.equal(valueSource(crlf, token), '"t"', "the value stops before the comment");
    assert.equal(
      replaceValue(crlf, token, '"new"'),
      crlf.replace('token = "t"   # keep\r\n', 'token = "new"   # keep\r\n'),
      "an edit keeps the CRLF and the comment",
    );
  });
});

describe("one schema for the loader, the template and the README", () => {
  test("the first-start template is valid TOML that sets only the token and shows every file setting", () => {
    const template = configTemplate("tok-0123456789abcdef");
    const read = readConfigText(template);
    assert.deepEqual(read.values, { token: "tok-0123456789abcdef" });
    assert.deepEqual(read.warnings, []);
    for (const key of SETTING_KEYS) {
      const s = SETTINGS[key] as Setting<unknown>;
      if (s.file === false || key === "token") continue;
      const line = new RegExp(`^# ${key} = (.*)$`, "m").exec(template);
      assert.ok(line, `${key} is in the template`);
      // Uncommented, the line sets the default.
      assert.deepEqual(readConfigText(`${key} = ${line[1]}\n`).values, { [key]: s.default }, key);
    }
  });

  test("README.md's configuration table is the one the schema generates (npm run settings-table)", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    assert.equal(withSettingsTable(readme), readme, "README.md is out of date: run npm run settings-table");
    for (const key of SETTING_KEYS) {
      const s = SETTINGS[key] as Setting<unknown>;
      assert.ok(settingsTable().includes(`\`${s.env}\``), key);
      if (s.file !== false) assert.equal(fileSetting(key), key);
    }
    assert.equal(fileSetting("constructor"), undefined);
    assert.equal(fileSetting("data_dir"), undefined, "env and flag only");
  });
});
