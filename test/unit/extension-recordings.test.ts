// Issue 8 models without VS Code: cast reading and text search (escape sequences across events, hits at the
// moment the text appeared, markers as chapters), the recordings model (recording.updated, gaps → reload,
// recording state per session), the bounded Events log (5,000-event burst, filters, classification) and the
// notification gate (once per key, rate limit with one summary).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Clock } from "../../src/extension/client/reconciler.js";
import { classifyEvent, EventsLog } from "../../src/extension/events/eventsLog.js";
import { NotificationGate } from "../../src/extension/events/notificationGate.js";
import {
  CastTextIndex,
  formatBytes,
  formatDuration,
  parseCast,
  searchCast,
  summarizeCast,
  TextExtractor,
} from "../../src/extension/recording/castText.js";
import { RecordingsModel } from "../../src/extension/recording/recordingsModel.js";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type { RecordingInfo, RecordingUpdatedPayload } from "../../src/protocol/recording.js";

const header = JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1, env: { TERM: "xterm" } });
const cast = (...events: Array<[number, string, string]>) =>
  `${[header, ...events.map((e) => JSON.stringify(e))].join("\n")}\n`;

describe("cast text", () => {
  test("parses header, events and markers; skips a torn last line", () => {
    const text = `${cast([0.1, "m", "start"], [0.5, "o", "hi"], [2.25, "m", "build done"])}[3.0, "o", "tor`;
    const summary = summarizeCast(text);
    assert.equal(summary.header.width, 80);
    assert.equal(summary.events, 3);
    assert.equal(summary.duration, 2.25);
    assert.deepEqual(summary.markers, [
      { time: 0.1, label: "start" },
      { time: 2.25, label: "build done" },
    ]);
    assert.throws(() => parseCast('["not a header"]\n'), /not an asciicast/);
    assert.throws(() => parseCast(""), /empty/);
  });

  test("escape sequences are removed, even split across events", () => {
    const x = new TextExtractor();
    const out =
      x.push("\x1b[1;3") +
      x.push("1mred\x1b[0m ok\r\n") +
      x.push("\x1b]0;title\x07") +
      x.push("\x1b]2;t\x1b") +
      x.push("\\after\x1b(Bz\tq");
    assert.equal(out, "red ok\nafterz q");
  });

  test("search finds text split across events at the time its last character was written", () => {
    const text = cast(
      [0.1, "o", "$ make\r\n"],
      [1.0, "o", "\x1b[32mcomp"],
      [1.5, "o", "iling\x1b[0m done\r\n"],
      [4.0, "o", "ERROR: disk full\r\n"],
      [6.0, "o", "error again\r\n"],
    );
    const hits = searchCast(text, "compiling");
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.time, 1.5);
    assert.match(hits[0]!.preview, /compiling done/);
    const errors = searchCast(text, "error");
    assert.deepEqual(
      errors.map((h) => h.time),
      [4.0, 6.0],
    );
    assert.equal(searchCast(text, "disk   full")[0]!.time, 4.0);
    assert.deepEqual(searchCast(text, "   "), []);
    assert.deepEqual(searchCast(text, "(["), []);
  });

  test("search ignores input and marker events and honours the limit", () => {
    const events: Array<[number, string, string]> = [
      [0, "i", "secret"],
      [0.5, "m", "secret"],
    ];
    for (let i = 0; i < 50; i++) events.push([1 + i, "o", `line ${i} tick\r\n`]);
    const index = new CastTextIndex(parseCast(cast(...events)).events);
    assert.equal(index.search("secret").length, 0);
    assert.equal(index.search("tick", 10).length, 10);
    assert.equal(index.search("line 49")[0]!.time, 50);
  });

  test("durations and sizes read well", () => {
    assert.equal(formatDuration(0), "0:00");
    assert.equal(formatDuration(65.9), "1:05");
    assert.equal(formatDuration(3723), "1:02:03");
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(3500), "3.4 KiB");
    assert.equal(formatBytes(12 * 1024 * 1024), "12 MiB");
  });
});

const recording = (over: Partial<RecordingInfo> = {}): RecordingInfo => ({
  id: "00000000-0000-4000-8000-000000000001",
  session: "dev",
  source: "api",
  status: "recording",
  title: "",
  cols: 80,
  rows: 24,
  followsWindow: true,
  captureInput: false,
  startedAt: "2026-11-30T10:00:00Z",
  endedAt: "",
  durationMs: 0,
  bytes: 100,
  events: 1,
  ...over,
});

const event = (eventId: number, type: string, payload?: unknown): EventEnvelope => ({
  eventId,
  type,
  timestamp: "2026-11-30T10:00:00Z",
  payload,
});

describe("recordings model", () => {
  test("recording.updated keeps the list and the per-session state current", () => {
    const model = new RecordingsModel();
    const changes: string[][] = [];
    model.onDidChange((c) => changes.push(c.sessions));
    model.replace([recording({ id: "a", status: "stopped", startedAt: "2026-11-30T09:00:00Z" })]);
    assert.equal(model.loaded, true);
    assert.equal(model.activeFor("dev"), undefined);

    model.apply({ action: "start", recording: recording({ id: "b" }) });
    assert.equal(model.activeFor("dev")?.id, "b");
    assert.deepEqual(
      model.list().map((r) => r.id),
      ["b", "a"],
    );
    model.apply({
      action: "limit",
      recording: recording({ id: "b", status: "stopped", stopReason: "size-limit" }),
    });
    assert.equal(model.activeFor("dev"), undefined);
    assert.equal(model.get("b")?.stopReason, "size-limit");
    model.apply({ action: "delete", recording: recording({ id: "a" }) });
    assert.deepEqual(
      model.list().map((r) => r.id),
      ["b"],
    );
    assert.ok(changes.length >= 4);
    assert.ok(changes.every((c) => c.includes("dev")));
  });

  test("malformed payloads are ignored; clear forgets everything", () => {
    const model = new RecordingsModel();
    model.apply({ action: "start" } as unknown as RecordingUpdatedPayload);
    model.apply(null as unknown as RecordingUpdatedPayload);
    assert.equal(model.list().length, 0);
    model.upsert(recording());
    model.clear();
    assert.equal(model.list().length, 0);
    assert.equal(model.loaded, false);
  });
});

describe("events log", () => {
  test("stays bounded under a burst of 5,000 events and lists the newest first", () => {
    const log = new EventsLog(500);
    let fired = 0;
    log.onDidChange(() => fired++);
    for (let i = 1; i <= 5000; i++) log.add(event(i, "bench.tick", { seq: i }));
    assert.equal(log.size, 500);
    assert.equal(log.received, 5000);
    assert.equal(fired, 5000);
    const rows = log.list();
    assert.equal(rows.length, 500);
    assert.equal(rows[0]!.eventId, 5000);
    assert.equal(rows.at(-1)!.eventId, 4501);
    assert.equal(log.list({}, 10).length, 10);
    log.resize(100);
    assert.equal(log.size, 100);
    assert.equal(log.list()[0]!.eventId, 5000);
    assert.equal(log.list().at(-1)!.eventId, 4901);
    log.add(event(5001, "bench.tick"));
    assert.equal(log.size, 100);
    assert.equal(log.list()[0]!.eventId, 5001);
    log.clear();
    assert.equal(log.size, 0);
  });

  test("tmux activity, metrics and periodic snapshots are not listed", () => {
    const log = new EventsLog(10);
    for (const type of [
      "events.ready",
      "tmux.sessions.updated",
      "tmux.inspector.updated",
      "tmux.activity.updated",
      "tmux.timeline.updated",
      "ops.metrics.updated",
    ])
      assert.equal(log.add(event(1, type, {})), undefined, type);
    assert.equal(log.add(event(2, "ops.alerts.updated", { alerts: [] })), undefined, "the 5 s alert list");
    assert.equal(log.add(event(3, "ops.timeline.updated", { events: [] })), undefined, "the 5 s timeline");
    assert.equal(log.size, 0);
  });

  test("classifies guardrail, alert, job, recovery and recording events with severities", () => {
    const rule = { id: "r1", name: "no rm", message: "rm -rf is blocked" };
    const blocked = classifyEvent(
      event(1, "tmux.guardrail.blocked", {
        action: "session.kill",
        session: "prod",
        paneId: "",
        decision: { mode: "block", message: "", matchedRuleId: "r1", matchedRules: [rule] },
      }),
    )!;
    assert.equal(blocked.category, "guardrail");
    assert.equal(blocked.severity, "error");
    assert.equal(blocked.notify, true);
    assert.match(blocked.title, /Blocked: session.kill on prod/);
    assert.match(blocked.detail, /no rm/);
    const confirm = classifyEvent(
      event(2, "tmux.guardrail.blocked", {
        action: "x",
        session: "s",
        decision: { mode: "confirm", matchedRules: [] },
      }),
    )!;
    assert.equal(confirm.severity, "warning");
    assert.equal(confirm.notify, false);

    const alert = classifyEvent(
      event(3, "ops.alerts.updated", {
        globalRev: 1,
        alert: { id: 7, title: "sentinel failed", severity: "error", status: "open", message: "m" },
      }),
    )!;
    assert.deepEqual(
      [alert.category, alert.severity, alert.notify, alert.key],
      ["ops", "error", true, "alert:7:open"],
    );
    const acked = classifyEvent(
      event(4, "ops.alerts.updated", {
        globalRev: 1,
        action: "ack",
        alert: { id: 7, title: "t", status: "acked" },
      }),
    )!;
    assert.deepEqual([acked.severity, acked.notify], ["info", false]);
    assert.match(acked.title, /acknowledged/);

    const job = classifyEvent(
      event(5, "ops.job.updated", { globalRev: 1, job: { id: "j", status: "failed", error: "boom" } }),
    )!;
    assert.deepEqual([job.severity, job.notify, job.detail], ["error", true, "boom"]);
    const restore = classifyEvent(
      event(6, "recovery.job.updated", {
        jobId: "r",
        status: "running",
        completed: 2,
        total: 5,
        step: "window 1",
      }),
    )!;
    assert.equal(restore.category, "recovery");
    assert.match(restore.title, /\(2\/5\)/);
    const killed = classifyEvent(
      event(7, "recovery.overview.updated", { session: "dev", status: "killed" }),
    )!;
    assert.deepEqual([killed.severity, killed.session], ["warning", "dev"]);

    const limit = classifyEvent(
      event(8, "recording.updated", {
        action: "limit",
        recording: recording({ status: "stopped", stopReason: "size-limit" }),
      }),
    )!;
    assert.deepEqual([limit.category, limit.severity, limit.notify], ["recording", "warning", true]);
    const other = classifyEvent(event(9, "something.new", { severity: "warn" }))!;
    assert.deepEqual([other.category, other.severity], ["other", "warning"]);
  });

  test("the same thing happening again replaces its entry, with a count; the list stays bounded", () => {
    const log = new EventsLog(5);
    const raise = (id: number, eventId: number) =>
      log.add(
        event(eventId, "ops.alerts.updated", {
          globalRev: eventId,
          alert: { id, title: `alert ${id}`, severity: "error", status: "open" },
        }),
      );
    let eventId = 0;
    for (let i = 0; i < 20; i++) {
      raise(1, ++eventId);
      raise(2, ++eventId);
    }
    assert.deepEqual(
      log.list().map((e) => [e.title, e.count]),
      [
        ["Alert: alert 2", 20],
        ["Alert: alert 1", 20],
      ],
    );
    assert.equal(log.size, 2);
    for (let i = 0; i < 3; i++) log.add(event(++eventId, "bench.tick"));
    assert.equal(log.size, 5);
    assert.deepEqual(log.list().at(-1)?.title, "Alert: alert 1");
    log.add(event(++eventId, "bench.tick"));
    assert.equal(log.size, 5);
    assert.ok(!log.list().some((e) => e.title === "Alert: alert 1"), "the oldest left");
    // Once its entry has left, the next raise starts over.
    assert.equal(raise(1, ++eventId)?.count, 1);
    // Acknowledged is another state: a new entry beside the open one.
    const small = new EventsLog(5);
    small.add(
      event(1, "ops.alerts.updated", { globalRev: 1, alert: { id: 2, title: "alert 2", status: "open" } }),
    );
    small.add(
      event(2, "ops.alerts.updated", {
        globalRev: 2,
        action: "ack",
        alert: { id: 2, title: "alert 2", status: "acked" },
      }),
    );
    assert.deepEqual(
      small.list().map((e) => e.title),
      ["Alert acknowledged: alert 2", "Alert: alert 2"],
    );
    log.resize(2);
    assert.equal(log.size, 2);
    log.clear();
    assert.equal(log.size, 0);
    assert.equal(raise(2, ++eventId)?.count, 1);
  });

  test("repeated recovery summaries are one row with a count; one that lost sessions keeps its own", () => {
    const log = new EventsLog(50);
    const summary = (id: number, payload: Record<string, unknown>) =>
      log.add(event(id, "recovery.overview.updated", { bootChanged: false, ...payload }));
    for (let i = 1; i <= 17; i++) summary(i, { changedSessions: i % 3, killed: 0 });
    summary(18, { changedSessions: 2, killed: 1 });
    summary(19, { changedSessions: 1, killed: 0 });
    log.add(event(20, "recovery.overview.updated", { session: "db", status: "killed" }));
    log.add(event(21, "recovery.overview.updated", { session: "db", status: "killed" }));
    const rows = log.list();
    assert.deepEqual(
      rows.map((e) => [e.eventId, e.count, e.severity]),
      [
        [21, 2, "warning"],
        [19, 18, "info"],
        [18, 1, "warning"],
      ],
    );
    assert.equal(rows[1]!.title, "Recovery: 1 session changed");
  });

  test("filters by text, severity and category", () => {
    const log = new EventsLog(50);
    log.add(event(1, "recording.updated", { action: "start", recording: recording({ session: "web" }) }));
    log.add(event(2, "ops.job.updated", { job: { id: "j1", status: "failed", error: "disk" } }));
    log.add(event(3, "recovery.overview.updated", { session: "db", status: "killed" }));
    assert.equal(log.list().length, 3);
    assert.deepEqual(
      log.list({ minSeverity: "warning" }).map((e) => e.eventId),
      [3, 2],
    );
    assert.deepEqual(
      log.list({ minSeverity: "error" }).map((e) => e.eventId),
      [2],
    );
    assert.deepEqual(
      log.list({ categories: ["recording", "recovery"] }).map((e) => e.eventId),
      [3, 1],
    );
    assert.deepEqual(
      log.list({ text: "WEB" }).map((e) => e.eventId),
      [1],
    );
    assert.deepEqual(
      log.list({ text: "disk" }).map((e) => e.eventId),
      [2],
    );
  });
});

class FakeClock implements Clock {
  time = 0;
  timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;
  now() {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number) {
    this.time += ms;
    for (const t of this.timers.filter((t) => t.at <= this.time)) {
      this.timers = this.timers.filter((x) => x !== t);
      t.fn();
    }
  }
}

describe("notification gate", () => {
  test("each key surfaces once", () => {
    const gate = new NotificationGate(() => undefined, { clock: new FakeClock() });
    assert.equal(gate.offer("alert:1:open"), "show");
    assert.equal(gate.offer("alert:1:open"), "duplicate");
    assert.equal(gate.offer("alert:2:open"), "show");
    assert.deepEqual(gate.stats, { shown: 2, duplicates: 1, held: 0, summaries: 0 });
  });

  test("a repeat window lets a key surface again later", () => {
    const clock = new FakeClock();
    const gate = new NotificationGate(() => undefined, { clock, repeatAfterMs: 30_000 });
    assert.equal(gate.offer("k"), "show");
    clock.advance(10_000);
    assert.equal(gate.offer("k"), "duplicate");
    clock.advance(25_000);
    assert.equal(gate.offer("k"), "show");
  });

  test("a flood becomes three notifications and one summary", () => {
    const clock = new FakeClock();
    const summaries: number[] = [];
    const gate = new NotificationGate((n) => summaries.push(n), { clock, burst: 3, windowMs: 10_000 });
    const verdicts = Array.from({ length: 1000 }, (_, i) => gate.offer(`guardrail:${i}`));
    assert.equal(verdicts.filter((v) => v === "show").length, 3);
    assert.equal(verdicts.filter((v) => v === "held").length, 997);
    assert.deepEqual(summaries, []);
    clock.advance(10_000);
    assert.deepEqual(summaries, [997]);
    // The summary used a slot of the new window: two more may show, then held again.
    assert.equal(gate.offer("new:1"), "show");
    assert.equal(gate.offer("new:2"), "show");
    assert.equal(gate.offer("new:3"), "held");
    gate.dispose();
    clock.advance(60_000);
    assert.deepEqual(summaries, [997], "no summary after dispose");
  });
});
