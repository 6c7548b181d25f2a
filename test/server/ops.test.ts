// Ops control plane against the real server (spec §1.6, §1.7, §1.9, §3.3 ops.*): the overview and metrics
// checked against /proc and statfs, alerts raised by thresholds set low on purpose and resolved when they are
// raised again (a restart with the same data dir), acknowledge, the ops timeline's search, filters and bounded
// retention, config read (token masked) and validated patch, storage stats and flush, the ops.* events, and the
// no-systemd path of this machine: every service route answers 503 "service manager unavailable" while the rest
// of ops works.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { cpus, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "smol-toml";
import WebSocket from "ws";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type {
  AckAlertResponse,
  AlertsResponse,
  ConfigResponse,
  HostMetrics,
  OpsAlert,
  OpsTimelineEvent,
  Overview,
  StorageFlushResponse,
  StorageStatsResponse,
  TimelineResponse,
} from "../../src/protocol/ops.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (JSON.parse(text) as { data: T }).data;
}

async function apiError(
  res: Response,
  status: number,
  code: string,
): Promise<{ code: string; message: string; details?: unknown }> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text) as { error: { code: string; message: string; details?: unknown } };
  assert.equal(body.error.code, code, text);
  return body.error;
}

const patchConfig = (s: ServerHandle, content: unknown) =>
  s.api("/api/ops/config", { method: "PATCH", json: content === undefined ? undefined : { content } });

const procNumber = (file: string, re: RegExp) => Number(re.exec(readFileSync(file, "utf8"))?.[1]);

/** A /ws/events subscriber that keeps every message. */
async function subscribe(s: ServerHandle): Promise<{ messages: EventEnvelope[]; close(): Promise<void> }> {
  const ws = new WebSocket(`${s.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${s.token}` },
  });
  const messages: EventEnvelope[] = [];
  ws.on("message", (d) => messages.push(JSON.parse(String(d)) as EventEnvelope));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.close();
      }),
  };
}

describe("overview and metrics", () => {
  test("the overview's host and Sentinel figures agree with the kernel's own", async () => {
    const { overview } = await json<{ overview: Overview }>(await server.api("/api/ops/overview"));
    assert.equal(overview.host.hostname, hostname());
    assert.equal(overview.host.os, process.platform);
    assert.equal(overview.host.cpus, cpus().length);
    assert.match(overview.host.goVersion, /^v\d+\./);
    assert.ok(overview.host.kernel.length > 0);
    assert.ok(overview.host.osName.length > 0);
    const uptime = procNumber("/proc/uptime", /^([\d.]+)/);
    assert.ok(
      Math.abs(overview.host.uptimeSec - uptime) <= 5,
      `uptime ${overview.host.uptimeSec} vs ${uptime}`,
    );
    const load1 = procNumber("/proc/loadavg", /^([\d.]+)/);
    assert.equal(overview.host.loadAvg.length, 3);
    assert.ok(Math.abs(overview.host.loadAvg[0] - load1) < 5, `load ${overview.host.loadAvg[0]} vs ${load1}`);
    assert.equal(overview.sentinel.pid, server.pid);
    assert.ok(overview.sentinel.uptimeSec >= 0 && overview.sentinel.uptimeSec < 600);
    assert.ok(overview.sentinel.rssBytes > 10 * 1024 * 1024);
    assert.ok(overview.sentinel.heapUsedBytes > 0);
    assert.equal(overview.sentinel.databaseBytes >= statSync(join(server.dataDir, "sentinel.db")).size, true);
    assert.match(overview.updatedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  test("metrics: memory from /proc/meminfo, disk from statfs('/'), CPU and load in range", async () => {
    const { metrics } = await json<{ metrics: HostMetrics }>(await server.api("/api/ops/metrics"));
    const memTotal = procNumber("/proc/meminfo", /^MemTotal:\s+(\d+)/m) * 1024;
    assert.equal(metrics.memTotalBytes, memTotal);
    const available = procNumber("/proc/meminfo", /^MemAvailable:\s+(\d+)/m) * 1024;
    assert.ok(Math.abs(metrics.memUsedBytes - (memTotal - available)) < memTotal * 0.1);
    assert.ok(metrics.memPercent > 0 && metrics.memPercent <= 100);
    const fs = statfsSync("/");
    assert.equal(metrics.diskTotalBytes, fs.blocks * fs.bsize);
    const used = (fs.blocks - fs.bavail) * fs.bsize;
    assert.ok(
      Math.abs(metrics.diskUsedBytes - used) < 512 * 1024 * 1024,
      "disk used within 512 MiB of statfs",
    );
    assert.ok(metrics.cpuPercent >= 0 && metrics.cpuPercent <= 100, `cpu ${metrics.cpuPercent}`);
    assert.ok(metrics.loadAvg1 >= 0 && metrics.loadAvg5 >= 0 && metrics.loadAvg15 >= 0);
    assert.ok(metrics.numGoroutines > 0);
    assert.ok(metrics.goMemAllocMB > 0);
    assert.deepEqual(Object.keys(metrics), [
      "cpuPercent",
      "memUsedBytes",
      "memTotalBytes",
      "memPercent",
      "diskUsedBytes",
      "diskTotalBytes",
      "diskPercent",
      "loadAvg1",
      "loadAvg5",
      "loadAvg15",
      "numGoroutines",
      "goMemAllocMB",
      "collectedAt",
    ]);
  });
});

describe("no service manager (this machine: a container without systemd)", () => {
  const hasSystemd = existsSync("/run/systemd/system");
  const routes: Array<[string, string, unknown?]> = [
    ["GET", "/api/ops/services"],
    ["POST", "/api/ops/services", { name: "web", unit: "web.service" }],
    ["DELETE", "/api/ops/services/web"],
    ["GET", "/api/ops/services/browse"],
    ["GET", "/api/ops/services/discover"],
    ["POST", "/api/ops/services/sentinel/action", { action: "restart" }],
    ["GET", "/api/ops/services/sentinel/status"],
    ["GET", "/api/ops/services/sentinel/logs?lines=5"],
    ["POST", "/api/ops/services/unit/action", { unit: "ssh.service", action: "start" }],
    ["GET", "/api/ops/services/unit/status?unit=ssh.service"],
    ["GET", "/api/ops/services/unit/logs?unit=ssh.service"],
  ];

  test("every service route answers 503 OPS_UNAVAILABLE 'service manager unavailable'", {
    skip: hasSystemd && "systemd runs here",
  }, async () => {
    for (const [method, path, body] of routes) {
      const err = await apiError(
        await server.api(path, { method, ...(body === undefined ? {} : { json: body }) }),
        503,
        "OPS_UNAVAILABLE",
      );
      assert.match(err.message, /^service manager unavailable: /, `${method} ${path}`);
      assert.deepEqual(Object.keys(err.details as object), ["serviceManager", "reason"]);
    }
  });

  test("the rest of ops keeps working and the overview says why services are missing", {
    skip: hasSystemd && "systemd runs here",
  }, async () => {
    const { overview } = await json<{ overview: Overview }>(await server.api("/api/ops/overview"));
    assert.deepEqual(overview.services, {
      total: 0,
      active: 0,
      failed: 0,
      available: false,
      reason: "systemd is not running on this host (no /run/systemd/system)",
    });
    await json(await server.api("/api/ops/alerts"));
    await json(await server.api("/api/ops/timeline"));
    await json(await server.api("/api/ops/storage/stats"));
    await json(await server.api("/api/ops/config"));
  });

  test("ops_service_manager = none switches services off on any host", async () => {
    const off = await startServer({ tmuxSocket: tmux.socket, env: { SENTINEL_OPS_SERVICE_MANAGER: "none" } });
    try {
      const err = await apiError(await off.api("/api/ops/services"), 503, "OPS_UNAVAILABLE");
      assert.equal(err.message, "service manager unavailable: switched off by ops_service_manager = none");
    } finally {
      await off.stop();
    }
  });

  test("/ws/logs: a bad query is a plain 400; otherwise an error message, then close 1011", {
    skip: hasSystemd && "systemd runs here",
  }, async () => {
    const url = `${server.url.replace("http", "ws")}/ws/logs`;
    const headers = { authorization: `Bearer ${server.token}` };
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, ["sentinel.v1"], { headers });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
    });
    assert.equal(status, 400);
    const unauth = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${url}?service=sentinel`, ["sentinel.v1"]);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
    });
    assert.equal(unauth, 401);
    const ws = new WebSocket(`${url}?service=sentinel`, ["sentinel.v1"], { headers });
    const messages: string[] = [];
    ws.on("message", (d) => messages.push(String(d)));
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      ws.on("close", (c, r) => resolve([c, String(r)])),
    );
    assert.equal(code, 1011);
    assert.equal(reason, "stream start failed");
    assert.equal(messages.length, 1);
    const message = JSON.parse(messages[0]!) as { type: string; message: string };
    assert.equal(message.type, "error");
    assert.match(message.message, /^service manager unavailable/);
  });
});

describe("alerts from the health checker", () => {
  let dataDir: string;
  let health: ServerHandle | undefined;
  const start = (threshold: string) =>
    startServer({
      tmuxSocket: tmux.socket,
      dataDir,
      env: {
        SENTINEL_OPS_HEALTH_INTERVAL: "300ms",
        SENTINEL_OPS_MEMORY_THRESHOLD: threshold,
        SENTINEL_OPS_DISK_THRESHOLD: threshold,
        // CPU is left at its default: it is whatever this machine does meanwhile.
      },
    });
  const alerts = async (s: ServerHandle, query = "") =>
    (await json<AlertsResponse>(await s.api(`/api/ops/alerts${query}`))).alerts;
  const byKey = (list: OpsAlert[], key: string) => list.find((a) => a.dedupeKey === key);

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "sentinel-ops-health-"));
  });
  after(async () => {
    await health?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("thresholds of 0 raise memory and disk alerts, once per dedupe key, re-raised every run", async () => {
    health = await start("0");
    const sub = await subscribe(health);
    try {
      await waitFor(
        async () => {
          const list = await alerts(health!);
          return (byKey(list, "health:host:memory:high")?.occurrences ?? 0) >= 2;
        },
        10_000,
        "memory alert raised twice",
      );
      const list = await alerts(health);
      const memory = byKey(list, "health:host:memory:high")!;
      const disk = byKey(list, "health:host:disk:high")!;
      assert.equal(list.filter((a) => a.dedupeKey === "health:host:memory:high").length, 1);
      assert.equal(memory.status, "open");
      assert.equal(memory.source, "health");
      assert.equal(memory.severity, "warn");
      assert.equal(memory.title, "High memory usage");
      assert.match(memory.message, /^Memory usage is [\d.]+% \(threshold: 0%\)$/);
      assert.equal(typeof memory.metadata, "string");
      assert.equal((JSON.parse(memory.metadata) as { threshold: number }).threshold, 0);
      assert.equal(memory.ackedAt, undefined);
      assert.equal(memory.resolvedAt, undefined);
      assert.equal(disk.severity, "error");
      assert.equal(disk.title, "High disk usage");
      // Each raise is published as ops.alerts.updated {globalRev(ms), alert}.
      await waitFor(
        () =>
          sub.messages.some(
            (m) =>
              m.type === "ops.alerts.updated" &&
              (m.payload as { alert?: OpsAlert }).alert?.dedupeKey === "health:host:disk:high",
          ),
        5000,
        "ops.alerts.updated",
      );
      const event = sub.messages.find((m) => m.type === "ops.alerts.updated")!;
      const payload = event.payload as { globalRev: number; alert: OpsAlert };
      assert.ok(Math.abs(payload.globalRev - Date.now()) < 60_000, "globalRev is Date.now() in ms");
      assert.equal((await alerts(health, "?status=open")).length >= 2, true);
      assert.deepEqual(await alerts(health, "?status=resolved"), []);
    } finally {
      await sub.close();
    }
  });

  test("acknowledge: acked stays acked when raised again; timeline alert.acked; bad ids 400, unknown 404", async () => {
    const memory = byKey(await alerts(health!), "health:host:memory:high")!;
    const sub = await subscribe(health!);
    try {
      const acked = await json<AckAlertResponse>(
        await health!.api(`/api/ops/alerts/${memory.id}/ack`, { method: "POST" }),
      );
      assert.equal(acked.alert.status, "acked");
      assert.ok(acked.alert.ackedAt);
      assert.equal(acked.timelineEvent.eventType, "alert.acked");
      assert.equal(acked.timelineEvent.source, "alert");
      assert.equal(acked.timelineEvent.message, "Alert acknowledged: High memory usage");
      assert.deepEqual(JSON.parse(acked.timelineEvent.metadata), {
        alertId: memory.id,
        dedupeKey: memory.dedupeKey,
      });
      await waitFor(
        () =>
          sub.messages.some(
            (m) => m.type === "ops.alerts.updated" && (m.payload as { action?: string }).action === "ack",
          ),
        5000,
        "ack event",
      );
      assert.ok(
        sub.messages.some(
          (m) =>
            m.type === "ops.timeline.updated" &&
            (m.payload as { event?: OpsTimelineEvent }).event?.eventType === "alert.acked",
        ),
      );
      // Raised again by later runs: occurrences grow, the status stays acked.
      const before = acked.alert.occurrences;
      await waitFor(
        async () => (byKey(await alerts(health!), memory.dedupeKey)?.occurrences ?? 0) > before,
        10_000,
        "re-raised",
      );
      assert.equal(byKey(await alerts(health!), memory.dedupeKey)!.status, "acked");
      assert.ok((await alerts(health!, "?status=acked")).some((a) => a.id === memory.id));
      // Re-acking an acked alert is allowed.
      await json(await health!.api(`/api/ops/alerts/${memory.id}/ack`, { method: "POST" }));
      for (const bad of ["0", "-1", "abc", "1.5", "99999999999999999999"]) {
        const err = await apiError(
          await health!.api(`/api/ops/alerts/${bad}/ack`, { method: "POST" }),
          400,
          "INVALID_REQUEST",
        );
        assert.equal(err.message, "alert must be a positive integer");
      }
      await apiError(
        await health!.api("/api/ops/alerts/999999/ack", { method: "POST" }),
        404,
        "OPS_ALERT_NOT_FOUND",
      );
    } finally {
      await sub.close();
    }
  });

  test("raising the thresholds (a restart with 100) resolves them; a resolved alert cannot be acked", async () => {
    await health!.stop();
    health = await start("100");
    await waitFor(
      async () => {
        const list = await alerts(health!);
        return ["health:host:memory:high", "health:host:disk:high"].every(
          (k) => byKey(list, k)?.status === "resolved",
        );
      },
      10_000,
      "alerts resolved",
    );
    const memory = byKey(await alerts(health!), "health:host:memory:high")!;
    assert.ok(memory.resolvedAt);
    await apiError(
      await health!.api(`/api/ops/alerts/${memory.id}/ack`, { method: "POST" }),
      404,
      "OPS_ALERT_NOT_FOUND",
    );
    assert.ok((await alerts(health!, "?status=resolved")).length >= 2);
  });

  test("alert list filters: bad status and limit are 400, limit caps", async () => {
    const s = health!;
    assert.equal((await alerts(s, "?limit=1")).length, 1);
    assert.ok((await alerts(s, "?limit=100000")).length >= 2);
    for (const q of ["?limit=0", "?limit=-3", "?limit=x"])
      await apiError(await s.api(`/api/ops/alerts${q}`), 400, "INVALID_REQUEST");
    const err = await apiError(await s.api("/api/ops/alerts?status=closed"), 400, "INVALID_REQUEST");
    assert.equal(err.message, "invalid ops filter: status");
  });
});

describe("config", () => {
  const SECRET = "file-token-abcdefghijklmnop";
  const configPath = () => join(server.dataDir, "config.toml");

  test("a token written to the file is never returned in clear; the mask keeps it", async () => {
    const written = await json<{ path: string; message: string; warnings: string[] }>(
      await patchConfig(
        server,
        `# mine\ntoken = "${SECRET}"\n# token = "${SECRET}-old"\nlog_level = "info"\n`,
      ),
    );
    assert.equal(written.path, configPath());
    assert.equal(written.message, "config updated (restart required for changes to take effect)");
    assert.deepEqual(written.warnings, []);
    assert.equal(statSync(configPath()).mode & 0o777, 0o600);
    const { content } = await json<ConfigResponse>(await server.api("/api/ops/config"));
    assert.ok(!content.includes(SECRET), content);
    assert.match(content, /^token = "\*\*\*\*\*\*\*\*"$/m);
    assert.match(content, /^# token = "\*\*\*\*\*\*\*\*"$/m);
    // Sending the masked text back (with a change) keeps the stored token and the commented one.
    await json(await patchConfig(server, content.replace('log_level = "info"', 'log_level = "debug"')));
    const onDisk = readFileSync(configPath(), "utf8");
    assert.match(onDisk, new RegExp(`^token = "${SECRET}"$`, "m"));
    assert.match(onDisk, new RegExp(`^# token = "${SECRET}-old"$`, "m"));
    assert.match(onDisk, /^log_level = "debug"$/m);
  });

  test("invalid content is 400 with the line, and the file is left alone", async () => {
    const before = readFileSync(configPath(), "utf8");
    const cases: Array<[unknown, RegExp]> = [
      ["", /^content is required$/],
      ["   \n", /^content is required$/],
      ["just words\n", /line 1, column \d+: invalid TOML/],
      ['token = "short"\n', /line 1: invalid token/],
      ['log_level = "chatty"\n', /line 1: invalid log_level: expected one of/],
      ['listen = "127.0.0.1:99999"\n', /line 1: invalid listen/],
      ['# ok\nwatchtower_tick_interval = "soon"\n', /line 2: invalid watchtower_tick_interval/],
      ["ops_memory_threshold = 120\n", /invalid ops_memory_threshold: expected a percentage/],
      ["rate_limit_per_minute = -5\n", /invalid rate_limit_per_minute/],
      ['allowed_origins = "not-a-url"\n', /invalid allowed_origins/],
      ["bad key! = 1\n", /line 1, column \d+: invalid TOML/],
      ['rate_limit_per_minute = "6000"\n', /line 1: invalid rate_limit_per_minute: .*got a string/],
      ['token = "********"\nlog_level = "info"\nlog_level = "debug"\n', /line 3, column \d+: invalid TOML/],
    ];
    for (const [content, message] of cases) {
      const err = await apiError(await patchConfig(server, content), 400, "INVALID_REQUEST");
      assert.match(err.message, message, String(content));
    }
    // Bodies of the wrong shape.
    await apiError(
      await server.api("/api/ops/config", { method: "PATCH", json: { content: 5 } }),
      400,
      "INVALID_REQUEST",
    );
    await apiError(
      await server.api("/api/ops/config", { method: "PATCH", json: { content: "a = 1", extra: 1 } }),
      400,
      "INVALID_REQUEST",
    );
    await apiError(
      await server.api("/api/ops/config", { method: "PATCH", json: "{" }),
      400,
      "INVALID_REQUEST",
    );
    await apiError(await server.api("/api/ops/config", { method: "PATCH" }), 400, "INVALID_REQUEST");
    assert.equal(readFileSync(configPath(), "utf8"), before);
  });

  test("unknown keys are written with warnings; a mask without a stored token is refused", async () => {
    const ok = await json<{ warnings: string[] }>(
      await patchConfig(server, `token = "********"\nfrobnicate = 1\n[later]\nx = 1\n`),
    );
    assert.deepEqual(ok.warnings, [
      'line 2: unknown key "frobnicate" (ignored by this server)',
      "line 3: unknown section [later] (ignored by this server, keys and all)",
    ]);
    assert.match(readFileSync(configPath(), "utf8"), new RegExp(`^token = "${SECRET}"$`, "m"));
    // A file with no token (edited by hand: PATCH cannot make one): the mask has nothing to stand for.
    const kept = readFileSync(configPath(), "utf8");
    writeFileSync(configPath(), "# no token here\n", { mode: 0o600 });
    try {
      const err = await apiError(await patchConfig(server, 'token = "********"\n'), 400, "INVALID_REQUEST");
      assert.match(err.message, /masked but the config file has no token/);
    } finally {
      writeFileSync(configPath(), kept, { mode: 0o600 });
    }
  });

  test("removing the token or leaving it empty is 400, and the file keeps its token", async () => {
    const before = readFileSync(configPath(), "utf8");
    assert.match(before, /^token = ".{16,}"$/m);
    for (const content of [
      "# no token here\n",
      'log_level = "info"\n# token = "old-token-0123456789"\n',
      'token = ""\n',
      'token = "   " # blank\n',
      '[server]\ntoken = ""\n',
    ]) {
      const err = await apiError(await patchConfig(server, content), 400, "INVALID_REQUEST");
      assert.match(err.message, /^invalid config: the token cannot be removed or left empty/, content);
    }
    const short = await apiError(await patchConfig(server, 'token = "short"\n'), 400, "INVALID_REQUEST");
    assert.match(short.message, /at least 16 characters/);
    const exposed = await apiError(
      await patchConfig(server, 'auth = "none"\nlisten = "0.0.0.0:4040"\n'),
      400,
      "INVALID_REQUEST",
    );
    assert.match(exposed.message, /auth = "none" is allowed only with a loopback listen address/);
    assert.equal(readFileSync(configPath(), "utf8"), before);
    // Choosing auth = "none" on loopback is the user's explicit choice: allowed (effective at the next start).
    await json(await patchConfig(server, 'auth = "none"\ntoken = "********"\n'));
    await json(await patchConfig(server, before.replace(/^token = ".*"$/m, 'token = "********"')));
    assert.equal(readFileSync(configPath(), "utf8"), before);
  });

  test("a rewrite keeps the user's comments and layout, puts only the token back, and the file is TOML", async () => {
    const mine = [
      "# my settings, kept as I wrote them",
      `token = "${SECRET}"   # rotated 2026-11`,
      "",
      "rate_limit_per_minute = 6_000 # per address",
      'allowed_origins = ["https://a.example"] # with a # in it: "#"',
      "[watchtower]  # the later Go layout",
      "capture_lines = 120",
      "",
    ].join("\n");
    await json(await patchConfig(server, mine));
    const { content } = await json<ConfigResponse>(await server.api("/api/ops/config"));
    assert.ok(!content.includes(SECRET), content);
    assert.equal(content, mine.replace(SECRET, "********"));
    // The client edits one line of what it was shown and sends the whole text back.
    const edited = content.replace("rate_limit_per_minute = 6_000", "rate_limit_per_minute = 12_000");
    const written = await json<{ warnings: string[] }>(await patchConfig(server, edited));
    assert.deepEqual(written.warnings, []);
    const onDisk = readFileSync(configPath(), "utf8");
    assert.equal(onDisk, mine.replace("6_000", "12_000"));
    const parsed = parse(onDisk) as { token: string; rate_limit_per_minute: number; watchtower: object };
    assert.equal(parsed.token, SECRET);
    assert.equal(parsed.rate_limit_per_minute, 12_000);
    assert.deepEqual({ ...parsed.watchtower }, { capture_lines: 120 });
    assert.equal(statSync(configPath()).mode & 0o777, 0o600);
  });
});

describe("ops timeline", () => {
  test("config updates and acks are on the timeline: search, severity, source and type filters, hasMore", async () => {
    await json(await patchConfig(server, 'token = "********"\n# needle-alpha\nlog_level = "info"\n'));
    const all = await json<TimelineResponse>(await server.api("/api/ops/timeline?limit=500"));
    assert.ok(all.events.length >= 3);
    assert.equal(all.hasMore, false);
    const top = all.events[0]!;
    assert.deepEqual(Object.keys(top), [
      "id",
      "source",
      "eventType",
      "severity",
      "resource",
      "message",
      "details",
      "metadata",
      "createdAt",
    ]);
    assert.equal(top.eventType, "config.updated");
    assert.equal(top.source, "config");
    assert.equal(top.resource, "config.toml");
    // Newest first.
    for (let i = 1; i < all.events.length; i++) {
      const [a, b] = [all.events[i - 1]!, all.events[i]!];
      assert.ok(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id));
    }
    const page = await json<TimelineResponse>(await server.api("/api/ops/timeline?limit=1"));
    assert.equal(page.events.length, 1);
    assert.equal(page.hasMore, true);
    const bySource = await json<TimelineResponse>(await server.api("/api/ops/timeline?source=CONFIG"));
    assert.ok(bySource.events.length >= 3 && bySource.events.every((e) => e.source === "config"));
    const q = await json<TimelineResponse>(await server.api("/api/ops/timeline?q=updated"));
    assert.ok(
      q.events.every((e) => /updated/i.test(`${e.message} ${e.details} ${e.resource} ${e.eventType}`)),
    );
    const none = await json<TimelineResponse>(await server.api("/api/ops/timeline?q=%25_nothing_%25"));
    assert.deepEqual(none.events, []);
    const warn = await json<TimelineResponse>(await server.api("/api/ops/timeline?severity=warning"));
    assert.ok(warn.events.every((e) => e.severity === "warn"));
    const info = await json<TimelineResponse>(
      await server.api("/api/ops/timeline?severity=all&eventType=config.updated"),
    );
    assert.ok(info.events.length >= 3 && info.events.every((e) => e.eventType === "config.updated"));
    const future = await json<TimelineResponse>(
      await server.api("/api/ops/timeline?since=2999-01-01T00:00:00Z"),
    );
    assert.deepEqual(future.events, []);
    const past = await json<TimelineResponse>(
      await server.api(`/api/ops/timeline?until=${encodeURIComponent(top.createdAt)}&limit=500`),
    );
    assert.equal(past.events.length, all.events.length);
    for (const [query, message] of [
      ["severity=loud", "invalid ops filter: severity"],
      ["limit=0", "limit must be a positive integer"],
      ["limit=abc", "limit must be a positive integer"],
      ["since=yesterday", "invalid ops filter: since must be an RFC 3339 timestamp"],
    ] as const) {
      const err = await apiError(await server.api(`/api/ops/timeline?${query}`), 400, "INVALID_REQUEST");
      assert.equal(err.message, message);
    }
  });

  test("retention keeps the newest ops_timeline_rows events; pushes carry {globalRev,event} and {events}", async () => {
    const small = await startServer({
      tmuxSocket: tmux.socket,
      env: {
        SENTINEL_OPS_TIMELINE_ROWS: "3",
        SENTINEL_OPS_TIMELINE_INTERVAL: "200ms",
        SENTINEL_OPS_METRICS_INTERVAL: "200ms",
      },
    });
    const sub = await subscribe(small);
    try {
      for (let i = 0; i < 6; i++)
        await json(await patchConfig(small, `token = "********"\n# edit ${i}\nlog_level = "info"\n`));
      const { events } = await json<TimelineResponse>(await small.api("/api/ops/timeline?limit=500"));
      assert.equal(events.length, 3);
      assert.deepEqual(
        events.map((e) => e.details === "" && e.eventType),
        ["config.updated", "config.updated", "config.updated"],
      );
      const stats = await json<StorageStatsResponse>(await small.api("/api/ops/storage/stats"));
      assert.equal(stats.resources.find((r) => r.resource === "ops-timeline")!.rows, 3);
      const single = sub.messages.filter(
        (m) => m.type === "ops.timeline.updated" && "event" in (m.payload as object),
      );
      assert.equal(single.length, 6);
      // The 200 ms push carries the full (retained) list: 3 events once the six edits are in.
      const pushed = (m: EventEnvelope) =>
        m.type === "ops.timeline.updated" &&
        (m.payload as { events?: OpsTimelineEvent[] }).events?.length === 3;
      await waitFor(() => sub.messages.slice(-20).some(pushed), 5000, "timeline push");
      await waitFor(() => sub.messages.some((m) => m.type === "ops.metrics.updated"), 5000, "metrics push");
      const metrics = sub.messages.find((m) => m.type === "ops.metrics.updated")!.payload as {
        metrics: HostMetrics;
      };
      assert.ok(metrics.metrics.memTotalBytes > 0);
    } finally {
      await sub.close();
      await small.stop();
    }
  });
});

describe("storage", () => {
  test("stats list the seven resources in order with rows and bytes; flush empties one or all", async () => {
    const stats = await json<StorageStatsResponse>(await server.api("/api/ops/storage/stats"));
    assert.deepEqual(
      stats.resources.map((r) => [r.resource, r.label]),
      [
        ["timeline", "Timeline events"],
        ["activity-journal", "Activity journal"],
        ["guardrail-audit", "Guardrail audit"],
        ["recovery-history", "Recovery history"],
        ["ops-timeline", "Ops timeline"],
        ["ops-alerts", "Ops alerts"],
        ["ops-jobs", "Ops runbook jobs"],
      ],
    );
    assert.ok(stats.databaseBytes > 0);
    assert.equal(stats.totalBytes, stats.databaseBytes + stats.walBytes + stats.shmBytes);
    const opsTimeline = stats.resources.find((r) => r.resource === "ops-timeline")!;
    assert.ok(opsTimeline.rows > 0 && opsTimeline.approxBytes > 0);

    const flushed = await json<StorageFlushResponse>(
      await server.api("/api/ops/storage/flush", {
        method: "POST",
        json: { resource: " Ops-Timeline ", extra: true },
      }),
    );
    assert.deepEqual(flushed.results, [{ resource: "ops-timeline", removedRows: opsTimeline.rows }]);
    assert.match(flushed.flushedAt, /Z$/);
    const after = await json<TimelineResponse>(await server.api("/api/ops/timeline"));
    assert.deepEqual(after.events, []);
    const all = await json<StorageFlushResponse>(
      await server.api("/api/ops/storage/flush", { method: "POST", json: { resource: "all" } }),
    );
    assert.equal(all.results.length, 7);
    const again = await json<StorageStatsResponse>(await server.api("/api/ops/storage/stats"));
    assert.ok(again.resources.filter((r) => r.resource.startsWith("ops-")).every((r) => r.rows === 0));
    for (const [body, message] of [
      [{}, "resource is required"],
      [{ resource: "  " }, "resource is required"],
      [{ resource: "everything" }, "invalid resource"],
    ] as const) {
      const err = await apiError(
        await server.api("/api/ops/storage/flush", { method: "POST", json: body }),
        400,
        "INVALID_REQUEST",
      );
      assert.equal(err.message, message);
    }
    await apiError(
      await server.api("/api/ops/storage/flush", { method: "POST", json: { resource: 3 } }),
      400,
      "INVALID_REQUEST",
    );
  });
});
