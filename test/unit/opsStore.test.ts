// Ops against a real SQLite file (migration 5): the alert state machine of §1.7, the ops timeline's defaults,
// search and bounded retention, custom services, storage stats and flush, and the health checker's raise and
// resolve decisions with fake metric and service sources.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type { HostMetrics, ServiceStatus } from "../../src/protocol/ops.js";
import { EventHub } from "../../src/server/events/hub.js";
import { OpsAlerts } from "../../src/server/ops/alerts/alerts.js";
import { HealthChecker, HealthKey } from "../../src/server/ops/alerts/health.js";
import { StorageStats } from "../../src/server/ops/storage.js";
import { OpsTimeline } from "../../src/server/ops/timeline/timeline.js";
import { Store } from "../../src/server/store/database.js";
import { DuplicateServiceError, OpsServicesRepo } from "../../src/server/store/opsServicesRepo.js";

const dirs: string[] = [];
const stores: Store[] = [];
after(() => {
  for (const s of stores) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function open() {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-ops-"));
  dirs.push(dir);
  const store = Store.open(join(dir, "sentinel.db"));
  stores.push(store);
  const events = new EventHub();
  const published: EventEnvelope[] = [];
  events.subscribe((_e, envelope) => published.push(envelope));
  let now = new Date("2026-02-15T12:00:00Z");
  const clock = { now: () => now, set: (iso: string) => (now = new Date(iso)) };
  const timeline = new OpsTimeline(store, events, { retentionRows: 5, maxAgeMs: 3_600_000, now: clock.now });
  const alerts = new OpsAlerts(store, events, timeline, clock.now);
  return { store, events, published, clock, timeline, alerts };
}

describe("alerts state machine (§1.7)", () => {
  test("upsert by dedupe key: insert open, occurrences++, fields overwritten, defaults", () => {
    const { alerts, clock } = open();
    const first = alerts.raise({ dedupeKey: "k1", severity: "warning" });
    assert.equal(first.status, "open");
    assert.equal(first.occurrences, 1);
    assert.equal(first.source, "ops");
    assert.equal(first.title, "k1");
    assert.equal(first.message, "k1");
    assert.equal(first.severity, "warn");
    assert.equal(first.metadata, "{}");
    assert.equal(first.firstSeenAt, "2026-02-15T12:00:00Z");
    clock.set("2026-02-15T12:01:00Z");
    const second = alerts.raise({
      dedupeKey: "k1",
      title: "T",
      message: "M",
      severity: "err",
      metadata: { a: 1 },
    });
    assert.equal(second.id, first.id);
    assert.equal(second.occurrences, 2);
    assert.equal(second.title, "T");
    assert.equal(second.severity, "error");
    assert.equal(second.metadata, '{"a":1}');
    assert.equal(second.firstSeenAt, "2026-02-15T12:00:00Z");
    assert.equal(second.lastSeenAt, "2026-02-15T12:01:00Z");
    assert.throws(() => alerts.raise({ dedupeKey: "  " }));
  });

  test("acked stays acked on re-raise; resolved reopens; resolve is a no-op twice; ack of resolved fails", () => {
    const { alerts, published, clock } = open();
    const a = alerts.raise({ dedupeKey: "disk", title: "Disk" });
    const acked = alerts.ack(a.id)!;
    assert.equal(acked.alert.status, "acked");
    assert.equal(acked.alert.ackedAt, "2026-02-15T12:00:00Z");
    assert.equal(acked.timelineEvent.message, "Alert acknowledged: Disk");
    assert.equal(alerts.raise({ dedupeKey: "disk" }).status, "acked");
    clock.set("2026-02-15T12:05:00Z");
    const resolved = alerts.resolve("disk")!;
    assert.equal(resolved.status, "resolved");
    assert.equal(resolved.resolvedAt, "2026-02-15T12:05:00Z");
    const before = published.length;
    assert.equal(alerts.resolve("disk"), undefined);
    assert.equal(alerts.resolve("never"), undefined);
    assert.equal(published.length, before, "a resolve with nothing to do publishes nothing");
    assert.equal(alerts.ack(a.id), undefined);
    const reopened = alerts.raise({ dedupeKey: "disk" });
    assert.equal(reopened.status, "open");
    assert.equal(reopened.resolvedAt, undefined);
    assert.equal(reopened.ackedAt, undefined);
    assert.equal(reopened.occurrences, 3);
    assert.equal(alerts.ack(999), undefined);
  });

  test("list: newest last_seen first, by status, limited", () => {
    const { alerts, clock } = open();
    alerts.raise({ dedupeKey: "a" });
    clock.set("2026-02-15T12:00:10Z");
    alerts.raise({ dedupeKey: "b" });
    clock.set("2026-02-15T12:00:20Z");
    alerts.resolve("a");
    assert.deepEqual(
      alerts.list(10).map((x) => x.dedupeKey),
      ["a", "b"],
    );
    assert.deepEqual(
      alerts.list(10, "open").map((x) => x.dedupeKey),
      ["b"],
    );
    assert.equal(alerts.list(1).length, 1);
  });
});

describe("ops timeline", () => {
  test("defaults, JSON-string metadata, the event published with a ms globalRev", () => {
    const { timeline, published } = open();
    const e = timeline.record({ title: "hello", metadata: { x: 1 } });
    assert.deepEqual(
      { ...e, id: 0 },
      {
        id: 0,
        source: "ops",
        eventType: "ops.event",
        severity: "info",
        resource: "",
        message: "hello",
        details: "",
        metadata: '{"x":1}',
        createdAt: "2026-02-15T12:00:00Z",
      },
    );
    const last = published.at(-1)!;
    assert.equal(last.type, "ops.timeline.updated");
    const payload = last.payload as { globalRev: number; event: { id: number } };
    assert.equal(payload.event.id, e.id);
    assert.ok(payload.globalRev > 1_700_000_000_000);
    timeline.record({ message: "quiet" }, { publish: false });
    assert.equal(published.at(-1), last);
  });

  test("search: q over message/details/resource/type with LIKE wildcards escaped, filters", () => {
    const { timeline } = open();
    timeline.record({
      source: "Service",
      eventType: "service.action",
      resource: "web",
      message: "web start",
    });
    timeline.record({
      source: "config",
      eventType: "config.updated",
      details: "100% done_ok",
      severity: "warning",
    });
    assert.equal(timeline.search({ q: "web", limit: 10 }).events.length, 1);
    assert.equal(timeline.search({ q: "100%", limit: 10 }).events.length, 1);
    assert.equal(timeline.search({ q: "0_d", limit: 10 }).events.length, 0);
    assert.equal(timeline.search({ q: "CONFIG.UPD", limit: 10 }).events.length, 1);
    assert.equal(timeline.search({ source: "service", limit: 10 }).events.length, 1);
    assert.equal(timeline.search({ severity: "warn", limit: 10 }).events.length, 1);
    assert.equal(
      timeline.search({ resource: "web", eventType: "service.action", limit: 10 }).events.length,
      1,
    );
    const page = timeline.search({ limit: 1 });
    assert.equal(page.events[0]!.eventType, "config.updated");
    assert.equal(page.hasMore, true);
  });

  test("retention: the newest retentionRows rows, and nothing older than maxAge", () => {
    const { timeline, clock } = open();
    for (let i = 0; i < 8; i++) timeline.record({ message: `m${i}` });
    assert.deepEqual(
      timeline.latest(100).map((e) => e.message),
      ["m7", "m6", "m5", "m4", "m3"],
    );
    clock.set("2026-02-15T14:00:00Z");
    timeline.record({ message: "later" });
    assert.deepEqual(
      timeline.latest(100).map((e) => e.message),
      ["later"],
    );
    assert.equal(timeline.repo.count(), 1);
  });
});

describe("custom services and storage", () => {
  test("custom services: by name, duplicates refused, removal", () => {
    const { store } = open();
    const repo = new OpsServicesRepo(store);
    repo.insert(
      { name: "web", displayName: "Web", manager: "systemd", unit: "web.service", scope: "user" },
      "t",
    );
    repo.insert(
      { name: "api", displayName: "API", manager: "systemd", unit: "api.service", scope: "system" },
      "t",
    );
    assert.deepEqual(
      repo.list().map((s) => s.name),
      ["api", "web"],
    );
    assert.throws(
      () => repo.insert({ name: "web", displayName: "", manager: "systemd", unit: "x", scope: "user" }, "t"),
      DuplicateServiceError,
    );
    assert.equal(repo.remove("web"), true);
    assert.equal(repo.remove("web"), false);
  });

  test("stats count rows and text bytes per resource (absent tables are empty); flush one and all", async () => {
    const { store, timeline, alerts } = open();
    timeline.record({ message: "abc", details: "de" });
    alerts.raise({ dedupeKey: "k" });
    const storage = new StorageStats(store);
    const stats = await storage.collect();
    assert.equal(stats.resources.length, 7);
    const opsTimeline = stats.resources.find((r) => r.resource === "ops-timeline")!;
    assert.equal(opsTimeline.rows, 1);
    // source "ops" + type "ops.event" + severity "info" + message + details + metadata "{}" + createdAt.
    assert.equal(opsTimeline.approxBytes, 3 + 9 + 4 + 3 + 2 + 2 + 20);
    assert.ok(stats.databaseBytes > 0);
    assert.deepEqual(storage.flush("ops-alerts"), [{ resource: "ops-alerts", removedRows: 1 }]);
    const all = storage.flush("all");
    assert.equal(all.length, 7);
    assert.deepEqual(
      all.find((r) => r.resource === "ops-timeline"),
      { resource: "ops-timeline", removedRows: 1 },
    );
    assert.ok((await storage.collect()).resources.every((r) => r.rows === 0));
  });
});

describe("health checker", () => {
  const metrics = (over: Partial<HostMetrics> = {}): HostMetrics => ({
    cpuPercent: 10,
    memUsedBytes: 1,
    memTotalBytes: 10,
    memPercent: 10,
    diskUsedBytes: 1,
    diskTotalBytes: 10,
    diskPercent: 10,
    loadAvg1: 0,
    loadAvg5: 0,
    loadAvg15: 0,
    numGoroutines: 1,
    goMemAllocMB: 1,
    collectedAt: "",
    ...over,
  });
  const service = (name: string, activeState: string): ServiceStatus => ({
    name,
    displayName: name.toUpperCase(),
    manager: "systemd",
    scope: "user",
    unit: `${name}.service`,
    exists: true,
    enabledState: "enabled",
    activeState,
    updatedAt: "",
  });

  test("raises over the thresholds, resolves when back, leaves invalid CPU readings and unknown states alone", async () => {
    const { alerts } = open();
    let current = metrics({ cpuPercent: 95, memPercent: 91, diskPercent: 96 });
    let services: ServiceStatus[] | undefined = [service("web", "failed"), service("db", "active")];
    const checker = new HealthChecker(
      alerts,
      { metrics: async () => current, services: async () => services },
      { cpuPercent: 90, memPercent: 90, diskPercent: 95 },
    );
    const first = await checker.check();
    assert.deepEqual(
      first.raised.sort(),
      [HealthKey.cpu, HealthKey.disk, HealthKey.memory, HealthKey.service("web")].sort(),
    );
    const web = alerts.repo.byKey("health:service:web:failed")!;
    assert.equal(web.title, "Service WEB failed");
    assert.equal(web.message, "Service WEB is in failed state (unit=web.service)");
    assert.equal(alerts.repo.byKey(HealthKey.cpu)!.message, "CPU usage is 95% (threshold: 90%)");
    assert.equal(alerts.repo.byKey(HealthKey.disk)!.severity, "error");
    // A persisting condition is raised again (occurrences grow).
    await checker.check();
    assert.equal(alerts.repo.byKey(HealthKey.memory)!.occurrences, 2);
    // CPU reading failed (-1): neither raised nor resolved; "activating" does not resolve a failed service.
    current = metrics({ cpuPercent: -1, memPercent: 90, diskPercent: 95 });
    services = [service("web", "activating")];
    const third = await checker.check();
    assert.deepEqual(third.resolved.sort(), [HealthKey.disk, HealthKey.memory].sort());
    assert.equal(alerts.repo.byKey(HealthKey.cpu)!.status, "open");
    assert.equal(alerts.repo.byKey("health:service:web:failed")!.status, "open");
    current = metrics();
    services = [service("web", "running")];
    const fourth = await checker.check();
    assert.deepEqual(fourth.resolved.sort(), [HealthKey.cpu, "health:service:web:failed"].sort());
    // No service manager: the service checks are skipped, the host checks still run.
    services = undefined;
    assert.deepEqual(await checker.check(), { raised: [], resolved: [] });
  });

  test("concurrent checks share one run", async () => {
    const { alerts } = open();
    let calls = 0;
    const checker = new HealthChecker(
      alerts,
      {
        metrics: async () => {
          calls++;
          await new Promise((r) => setTimeout(r, 20));
          return metrics();
        },
        services: async () => [],
      },
      { cpuPercent: 90, memPercent: 90, diskPercent: 95 },
    );
    await Promise.all([checker.check(), checker.check(), checker.check()]);
    assert.equal(calls, 1);
  });
});
