// Ops pure logic: the /proc and statfs parsers, the systemctl/journalctl arguments and parsers (on output in
// systemd 252's formats), service-manager detection, the route parameters, the config file's token masking and
// validation, and the ops settings.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { TOKEN_MASK } from "../../src/protocol/ops.js";
import { ConfigError } from "../../src/server/config.js";
import { DomainError } from "../../src/server/errors.js";
import { httpStatus } from "../../src/server/http/errors.js";
import { alertStatusParam, limitParam, severityParam, timeParam } from "../../src/server/http/opsRoutes.js";
import { maskToken, unmaskToken, validateConfig } from "../../src/server/ops/configFile.js";
import { goArch } from "../../src/server/ops/host/overview.js";
import {
  cpuPercent,
  diskUsage,
  parseLoadavg,
  parseMeminfo,
  parseOsRelease,
  parseProcStat,
  parseUptime,
  percentOf,
} from "../../src/server/ops/host/procfs.js";
import { opsConfig } from "../../src/server/ops/opsConfig.js";
import { detectServiceManager, findOnPath } from "../../src/server/ops/services/detect.js";
import {
  parseAction,
  parseLines,
  parseManager,
  parseScope,
  resolveServiceName,
  validateUnit,
} from "../../src/server/ops/services/input.js";
import {
  actionArgs,
  inspectSummary,
  isUnitName,
  journalArgs,
  listUnitsArgs,
  normalizeState,
  parseListUnits,
  parseShow,
  parseShowBlocks,
  showArgs,
  tailLines,
} from "../../src/server/ops/services/systemd.js";
import { resolveSettings } from "../../src/server/settings/read.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "sentinel-ops-unit-"));
  dirs.push(d);
  return d;
};

const throwsBadRequest = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError);
    assert.equal(e.code, "INVALID_REQUEST");
    assert.equal(httpStatus(e), 400);
    assert.equal(e.message, message);
    return true;
  });

describe("procfs parsers", () => {
  const STAT = `cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
intr 1462898 0 0 0
ctxt 2511493
`;

  test("/proc/stat: the aggregate cpu line, idle is the 4th field", () => {
    assert.deepEqual(parseProcStat(STAT), {
      total: 10132153 + 290696 + 3084719 + 46828483 + 16683 + 25195 + 175628,
      idle: 46828483,
    });
    assert.equal(parseProcStat("cpu0 1 2 3 4\n"), undefined);
    assert.equal(parseProcStat("cpu  1 2 x 4\n"), undefined);
    assert.equal(parseProcStat("cpu  1 2\n"), undefined);
    assert.equal(parseProcStat(""), undefined);
  });

  test("cpu percent: (Δtotal − Δidle)/Δtotal, 0 without progress, clamped, one decimal", () => {
    assert.equal(cpuPercent({ total: 100, idle: 50 }, { total: 200, idle: 125 }), 25);
    assert.equal(cpuPercent({ total: 100, idle: 50 }, { total: 100, idle: 50 }), 0);
    assert.equal(cpuPercent({ total: 100, idle: 50 }, { total: 90, idle: 50 }), 0);
    assert.equal(cpuPercent({ total: 0, idle: 0 }, { total: 3, idle: 2 }), 33.3);
    assert.equal(cpuPercent({ total: 0, idle: 10 }, { total: 10, idle: 0 }), 100);
  });

  test("/proc/meminfo: MemAvailable, else MemFree + Buffers + Cached, floored at 0", () => {
    const modern =
      "MemTotal:       16318480 kB\nMemFree:         1021440 kB\nMemAvailable:    8000000 kB\nBuffers: 1 kB\n";
    assert.deepEqual(parseMeminfo(modern), {
      totalBytes: 16318480 * 1024,
      usedBytes: (16318480 - 8000000) * 1024,
    });
    const old = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\nActive(anon): 3 kB\n";
    assert.deepEqual(parseMeminfo(old), { totalBytes: 1000 * 1024, usedBytes: 600 * 1024 });
    assert.deepEqual(parseMeminfo("MemTotal: 10 kB\nMemAvailable: 20 kB\n"), {
      totalBytes: 10240,
      usedBytes: 0,
    });
    assert.equal(parseMeminfo("MemFree: 1 kB\n"), undefined);
  });

  test("/proc/loadavg, /proc/uptime, /etc/os-release", () => {
    assert.deepEqual(parseLoadavg("0.52 0.41 0.30 2/1234 5678\n"), [0.52, 0.41, 0.3]);
    assert.equal(parseLoadavg("0.5 x 0.3"), undefined);
    assert.equal(parseLoadavg(""), undefined);
    assert.equal(parseUptime("2171.34 4000.12\n"), 2171);
    assert.equal(parseUptime("nope"), undefined);
    assert.equal(
      parseOsRelease(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n',
      ),
      "Debian GNU/Linux 12 (bookworm)",
    );
    assert.equal(parseOsRelease("NAME=Alpine\nVERSION_ID=3.19.1\n"), "Alpine 3.19.1");
    assert.equal(parseOsRelease("NAME='Arch Linux'\n"), "Arch Linux");
    assert.equal(parseOsRelease("# nothing\n"), undefined);
  });

  test("statfs arithmetic and percentages", () => {
    assert.deepEqual(diskUsage({ bsize: 4096, blocks: 1000, bavail: 250 }), {
      totalBytes: 4096 * 1000,
      usedBytes: 4096 * 750,
    });
    assert.deepEqual(diskUsage({ bsize: 4096, blocks: 10, bavail: 20 }), { totalBytes: 40960, usedBytes: 0 });
    assert.equal(percentOf(1, 3), 33.3);
    assert.equal(percentOf(5, 0), 0);
    assert.equal(goArch("x64"), "amd64");
    assert.equal(goArch("arm64"), "arm64");
    assert.equal(goArch("ia32"), "386");
  });
});

describe("systemctl and journalctl", () => {
  test("argument lists: --user only for the user scope, never a shell", () => {
    assert.deepEqual(showArgs("user", ["web.service"], "ActiveState"), [
      "--user",
      "show",
      "web.service",
      "--no-pager",
      "--property=ActiveState",
    ]);
    assert.deepEqual(showArgs("system", ["a", "b"], "X,Y"), [
      "show",
      "a",
      "b",
      "--no-pager",
      "--property=X,Y",
    ]);
    assert.deepEqual(actionArgs("system", "restart", "ssh.service"), ["restart", "ssh.service"]);
    assert.deepEqual(listUnitsArgs("user"), [
      "--user",
      "list-units",
      "--type=service,timer",
      "--all",
      "--no-pager",
      "--no-legend",
      "--plain",
    ]);
    assert.deepEqual(journalArgs("user", "web.service", 100), [
      "--user",
      "-u",
      "web.service",
      "--no-pager",
      "-n",
      "100",
      "--output=short-iso",
    ]);
    assert.equal(journalArgs("system", "x", 50, true).at(-1), "--follow");
  });

  test("systemctl show: k=v lines (values may hold '='), blocks per unit", () => {
    const out =
      "ExecMainPID=812\nId=ssh.service\nDescription=OpenBSD Secure Shell server\nLoadState=loaded\n" +
      "ActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/ssh.service\nUnitFileState=enabled\n" +
      "Environment=A=1 B=2\n";
    const props = parseShow(out);
    assert.equal(props.ExecMainPID, "812");
    assert.equal(props.UnitFileState, "enabled");
    assert.equal(props.Environment, "A=1 B=2");
    assert.deepEqual(parseShow("garbage\n=x\nbad key=1\nOk=\n"), { Ok: "" });
    const blocks = parseShowBlocks(
      "UnitFileState=enabled\nActiveState=active\nLoadState=loaded\n\nUnitFileState=\nActiveState=inactive\nLoadState=not-found\n",
    );
    assert.equal(blocks.length, 2);
    assert.deepEqual(blocks[1], { UnitFileState: "", ActiveState: "inactive", LoadState: "not-found" });
    assert.deepEqual(parseShowBlocks(""), []);
    assert.equal(normalizeState(""), "-");
    assert.equal(normalizeState(undefined), "-");
    assert.equal(normalizeState(" failed "), "failed");
  });

  test("list-units --plain --no-legend: unit f0, active f2, description f4…; short lines skipped", () => {
    const out = `apt-daily.timer      loaded active   waiting Daily apt download activities
cron.service         loaded active   running Regular background program processing daemon
● nginx.service      loaded failed   failed  A high performance web server
short line here
`;
    assert.deepEqual(parseListUnits(out, "system"), [
      {
        unit: "apt-daily.timer",
        description: "Daily apt download activities",
        activeState: "active",
        manager: "systemd",
        scope: "system",
      },
      {
        unit: "cron.service",
        description: "Regular background program processing daemon",
        activeState: "active",
        manager: "systemd",
        scope: "system",
      },
      {
        unit: "nginx.service",
        description: "A high performance web server",
        activeState: "failed",
        manager: "systemd",
        scope: "system",
      },
    ]);
  });

  test("inspect summary, unit names, tail", () => {
    assert.equal(
      inspectSummary(
        { LoadState: "loaded", ActiveState: "active", SubState: "running" },
        "enabled",
        "active",
      ),
      "load=loaded active=active sub=running",
    );
    assert.equal(inspectSummary({}, "enabled", "active"), "enabled=enabled active=active");
    for (const ok of ["ssh.service", "getty@tty1.service", "sys-kernel.mount", "a:b_c.d", "x\\x2dy.service"])
      assert.ok(isUnitName(ok), ok);
    for (const bad of ["", "-H", "--all", "a b", "a;b", "a/b", "é.service", "x".repeat(257)])
      assert.ok(!isUnitName(bad), bad);
    assert.equal(tailLines("a\nb\nc\n", 2), "b\nc\n");
    assert.equal(tailLines("", 2), "");
  });
});

describe("service routes' inputs", () => {
  test("names, actions, scopes, managers, units, lines", () => {
    for (const alias of ["sentinel", "sentinel.service"]) assert.equal(resolveServiceName(alias), "sentinel");
    for (const alias of ["sentinel-updater", "sentinel-updater.service", "sentinel-updater.timer", "updater"])
      assert.equal(resolveServiceName(alias), "sentinel-updater");
    assert.equal(resolveServiceName("web"), "web");
    assert.equal(parseAction(" ReStart "), "restart");
    throwsBadRequest(() => parseAction("kill"), "action must be start, stop, or restart");
    throwsBadRequest(() => parseAction(undefined), "action must be start, stop, or restart");
    assert.equal(parseScope("", "user"), "user");
    assert.equal(parseScope("SYSTEM", "user"), "system");
    throwsBadRequest(() => parseScope("global", "user"), "scope must be user or system");
    assert.equal(parseManager(undefined), "systemd");
    assert.equal(parseManager("LaunchD"), "launchd");
    throwsBadRequest(() => parseManager("runit"), "manager must be systemd or launchd");
    assert.equal(validateUnit(" web.service "), "web.service");
    throwsBadRequest(() => validateUnit(""), "unit is required");
    throwsBadRequest(
      () => validateUnit("--now"),
      "unit must be a systemd unit name (letters, digits, :-_.@\\; not starting with -)",
    );
    assert.equal(parseLines(undefined), 100);
    assert.equal(parseLines("25"), 25);
    assert.equal(parseLines(["7", "8"]), 7);
    assert.equal(parseLines("0"), 100);
    assert.equal(parseLines("-5"), 100);
    assert.equal(parseLines("1e3"), 100);
    assert.equal(parseLines("5000"), 5000);
  });

  test("alerts and timeline filters", () => {
    assert.equal(limitParam(undefined, 100, 500), 100);
    assert.equal(limitParam("", 100, 500), 100);
    assert.equal(limitParam("7", 100, 500), 7);
    assert.equal(limitParam("9999", 100, 500), 500);
    for (const bad of ["0", "-1", "x", "1.5", "99999999999999999999"])
      throwsBadRequest(() => limitParam(bad, 100, 500), "limit must be a positive integer");
    assert.equal(alertStatusParam(undefined), "");
    assert.equal(alertStatusParam("ACKED"), "acked");
    throwsBadRequest(() => alertStatusParam("closed"), "invalid ops filter: status");
    assert.equal(severityParam("all"), undefined);
    assert.equal(severityParam(""), undefined);
    assert.equal(severityParam("warning"), "warn");
    assert.equal(severityParam("ERR"), "error");
    assert.equal(severityParam("info"), "info");
    throwsBadRequest(() => severityParam("debug"), "invalid ops filter: severity");
    assert.equal(timeParam("2026-02-15T13:00:00+01:00", "since"), "2026-02-15T12:00:00Z");
    assert.equal(timeParam("", "since"), undefined);
    throwsBadRequest(
      () => timeParam("2026-02-15", "until"),
      "invalid ops filter: until must be an RFC 3339 timestamp",
    );
    throwsBadRequest(
      () => timeParam("tomorrow", "since"),
      "invalid ops filter: since must be an RFC 3339 timestamp",
    );
  });
});

describe("service manager detection", () => {
  test("systemd needs its booted directory (unless forced) and systemctl on PATH; none is explained", () => {
    const dir = tempDir();
    const bin = join(dir, "bin");
    const booted = join(dir, "run-systemd-system");
    mkdirSync(bin);
    writeFileSync(join(bin, "systemctl"), "#!/bin/sh\n");
    chmodSync(join(bin, "systemctl"), 0o755);
    writeFileSync(join(bin, "journalctl"), "not executable");
    assert.equal(findOnPath("systemctl", bin), join(bin, "systemctl"));
    assert.equal(findOnPath("journalctl", bin), undefined);
    assert.deepEqual(detectServiceManager({ setting: "none", path: bin }), {
      available: false,
      manager: "none",
      reason: "switched off by ops_service_manager = none",
    });
    assert.deepEqual(
      detectServiceManager({ setting: "auto", path: bin, bootedDir: booted, platform: "linux" }),
      {
        available: false,
        manager: "none",
        reason: "systemd is not running on this host (no /run/systemd/system)",
      },
    );
    mkdirSync(booted);
    assert.deepEqual(
      detectServiceManager({ setting: "auto", path: bin, bootedDir: booted, platform: "linux" }),
      {
        available: true,
        manager: "systemd",
        systemctl: join(bin, "systemctl"),
        journalctl: "journalctl",
      },
    );
    assert.equal(
      detectServiceManager({ setting: "systemd", path: join(dir, "empty"), platform: "linux" }).available,
      false,
    );
    assert.equal(
      detectServiceManager({ setting: "systemd", path: bin, bootedDir: join(dir, "x"), platform: "linux" })
        .available,
      true,
    );
    assert.deepEqual(detectServiceManager({ setting: "auto", path: bin, platform: "darwin" }), {
      available: false,
      manager: "none",
      reason: "no supported service manager on darwin (systemd only)",
    });
  });
});

describe("config file", () => {
  const FILE = `# header
token = "s3cret-token-value-0123"
#token = 'older-secret-value-999'
listen = "127.0.0.1:4040"
`;

  test("mask: every token value, active or commented, quoted the same way; empty values stay", () => {
    assert.equal(
      maskToken(FILE),
      `# header\ntoken = "${TOKEN_MASK}"\n#token = '${TOKEN_MASK}'\nlisten = "127.0.0.1:4040"\n`,
    );
    assert.equal(maskToken('token = ""\n'), 'token = ""\n');
    // A file that is not TOML (edited by hand) is still masked, line by line.
    assert.equal(maskToken("token = bare-token-value-1234\n"), `token = "${TOKEN_MASK}"\n`);
    assert.ok(!maskToken(FILE).includes("s3cret"));
    // Only the value: an inline comment stays, and so does a token in a section of the later Go layout.
    assert.equal(
      maskToken("[server] # mine\ntoken = 's3cret-token-value-0123' # rotated\n"),
      `[server] # mine\ntoken = '${TOKEN_MASK}' # rotated\n`,
    );
    // However the token is written, its value is never shown: a multi-line string, an inline table.
    assert.equal(
      maskToken('token = """\ns3cret-token-value-0123"""\nx = 1\n'),
      `token = "${TOKEN_MASK}"\nx = 1\n`,
    );
    assert.equal(
      maskToken('server = { token = "s3cret-token-value-0123", port = 1 }\n'),
      `server = { token = "${TOKEN_MASK}", port = 1 }\n`,
    );
  });

  test("unmask: the stored values go back where the mask is; every other byte is the client's", () => {
    const edited = maskToken(FILE).replace("4040", "4141");
    assert.equal(unmaskToken(edited, FILE), FILE.replace("4040", "4141"));
    // A new token replaces the stored one.
    const fresh = maskToken(FILE).replace(`token = "${TOKEN_MASK}"`, 'token = "brand-new-token-value-42"');
    assert.match(unmaskToken(fresh, FILE), /^token = "brand-new-token-value-42"$/m);
    assert.equal(unmaskToken(`token = "${TOKEN_MASK}"\n`, FILE), 'token = "s3cret-token-value-0123"\n');
    // The mask with a comment after it, and moved into [server]: the value is put back, the comment kept.
    assert.equal(
      unmaskToken(`# new\n[server]\ntoken = "${TOKEN_MASK}"   # rotated\n`, FILE),
      '# new\n[server]\ntoken = "s3cret-token-value-0123"   # rotated\n',
    );
    // A stored multi-line token goes back as it was written.
    assert.equal(
      unmaskToken(`# c\ntoken = "${TOKEN_MASK}" # kept\n`, 'token = """\ns3cret-token-value-0123"""\n'),
      '# c\ntoken = """\ns3cret-token-value-0123""" # kept\n',
    );
    assert.throws(
      () => unmaskToken(`token = "${TOKEN_MASK}"\n`, "# none\n"),
      /masked but the config file has no token/,
    );
    assert.throws(() => unmaskToken(`token = "${TOKEN_MASK}"\n`, "token = x y\n"), /token cannot be read/);
  });

  test("validate: TOML, each known key's type and limits, warnings for unknown keys and sections", () => {
    const TOKEN = 'token = "good-token-0123456789"\n';
    assert.deepEqual(validateConfig(FILE).warnings, []);
    assert.deepEqual(
      validateConfig(`${TOKEN}log_level = "" # blank: the default\nwatchtower_mode = "POLL"\n`).warnings,
      [],
    );
    assert.deepEqual(
      validateConfig(`${TOKEN}foo = 1\nlisten = ":4040"\n[bar]\nx = 1\n[server]\ncookie_secure = "auto"\n`)
        .warnings,
      [
        'line 2: unknown key "foo" (ignored by this server)',
        "line 4: unknown section [bar] (ignored by this server, keys and all)",
        'line 7: unknown key "cookie_secure" in [server] (ignored by this server)',
      ],
    );
    const bad: Array<[string, RegExp]> = [
      ["novalue\n", /^line 1, column \d+: invalid TOML: /],
      ["a b = 1\n", /^line 1, column \d+: invalid TOML: /],
      ["listen = localhost\n", /^line 1, column \d+: invalid TOML: /],
      ["x = 1\nx = 2\n", /^line 2, column \d+: invalid TOML: .*redefine/],
      ['token = "abc"\n', /^line 1: invalid token: expected at least 16 characters/],
      [`token = "${TOKEN_MASK}"\n`, /cannot be/],
      ['listen = "localhost"\n', /^line 1: invalid listen: invalid listen address/],
      ['listen = "127.0.0.1:70000"\n', /^line 1: invalid listen: invalid port/],
      [
        '# c\nwatchtower_enabled = "maybe"\n',
        /^line 2: invalid watchtower_enabled: expected true or false, got a string/,
      ],
      ["ops_health_interval = 5\n", /expected a duration .*got an integer/],
      ['ops_health_interval = "5"\n', /expected a duration .*got "5"/],
      ["ops_disk_threshold = 101\n", /expected a percentage/],
      ["recovery_max_snapshots = 0\n", /expected an integer >= 1, got 0/],
      [
        'rate_limit_per_minute = "6000"\n',
        /expected an integer >= 1, got a string \(write it without quotes\)/,
      ],
      ['watchtower_mode = "push"\n', /expected one of scan, events, poll, got "push"/],
      ['allowed_origins = ["https://ok.example", "ftp://x"]\n', /origin "ftp:\/\/x"/],
      ['recovery_boot_id_path = "relative"\n', /absolute path/],
      [
        "[watchtower]\ncapture_lines = -1\n",
        /^line 2: invalid watchtower.capture_lines: expected an integer >= 1/,
      ],
      ['log_level = "info"\n[log]\nlevel = "debug"\n', /^line 3: log_level is set twice/],
      ['a = "\u0000"\n', /NUL/],
    ];
    for (const [content, message] of bad) {
      assert.throws(
        () => validateConfig(content),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
        content,
      );
    }
    assert.deepEqual(
      validateConfig(`${TOKEN}ops_health_interval = 0\nops_metrics_interval = "off"\n`).warnings,
      [],
    );
    assert.throws(() => validateConfig(`# ${"x".repeat(300 * 1024)}\n`), ConfigError);
  });
});

describe("ops settings", () => {
  const from = (env: NodeJS.ProcessEnv) => opsConfig(resolveSettings({ values: {} }, env).settings);

  test("defaults are the spec's hard-coded values", () => {
    assert.deepEqual(from({}), {
      serviceManager: "auto",
      healthIntervalMs: 30_000,
      cpuThreshold: 90,
      memThreshold: 90,
      diskThreshold: 95,
      metricsIntervalMs: 2000,
      alertsIntervalMs: 5000,
      timelineIntervalMs: 5000,
      timelineRows: 20_000,
      commandTimeoutMs: 0,
      timelineMaxAgeMs: 0,
    });
  });

  test("values, 0/off for the periodic ones; an invalid value is an error naming the variable", () => {
    const c = from({
      SENTINEL_OPS_SERVICE_MANAGER: "NONE",
      SENTINEL_OPS_HEALTH_INTERVAL: "off",
      SENTINEL_OPS_CPU_THRESHOLD: "12.5",
      SENTINEL_OPS_METRICS_INTERVAL: "0",
      SENTINEL_OPS_TIMELINE_MAX_AGE: "72h",
    });
    assert.equal(c.serviceManager, "none");
    assert.equal(c.healthIntervalMs, 0);
    assert.equal(c.cpuThreshold, 12.5);
    assert.equal(c.metricsIntervalMs, 0);
    assert.equal(c.timelineMaxAgeMs, 72 * 3_600_000);
    for (const [env, message] of [
      [
        { SENTINEL_OPS_MEMORY_THRESHOLD: "150" },
        /^SENTINEL_OPS_MEMORY_THRESHOLD: invalid ops_memory_threshold: expected a percentage/,
      ],
      [
        { SENTINEL_OPS_TIMELINE_ROWS: "-4" },
        /^SENTINEL_OPS_TIMELINE_ROWS: invalid ops_timeline_rows: expected an integer >= 1, got "-4"/,
      ],
      [{ SENTINEL_OPS_SERVICE_MANAGER: "upstart" }, /expected one of auto, systemd, none, got "upstart"/],
    ] as const)
      assert.throws(
        () => from(env),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
      );
  });
});
