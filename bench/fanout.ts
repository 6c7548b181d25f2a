// /ws/events fan-out: 200 subscribers at 500 events/s through the real server, plus one subscriber that never
// reads. Events come from the bench-only source (SENTINEL_BENCH_EVENTS=1, ADR 0003): the tmux-backed
// mutations top out near 150/s here. Each event carries the server's wall clock at publish (`sentAt`, sub-ms),
// so delivery latency = receipt − sentAt on the same host. The subscribers live in worker threads, so one
// client event loop does not queue 100 000 messages/s. Baseline, in the same run: one subscriber at the same rate.
import { Worker } from "node:worker_threads";
import {
  cpuMs,
  emit,
  MB,
  progress,
  round,
  rssBytes,
  type Server,
  sleep,
  startServer,
  TOKEN,
  type Workspace,
  withTimeout,
} from "./harness.js";

const SUBSCRIBERS = 200;
const WORKERS = 2;
const RATE = 500;
const PAD_BYTES = 256;
const WARMUP_MS = 2000;
const MEASURE_MS = 10_000;
const TICK_MS = 5;

interface HubStats {
  subscribers: number;
  lastEventId: number;
  dropped: number;
  overflowing: number;
  maxQueued: number;
  maxBuffered: number;
}

/** What a worker reports for its subscribers, over the measured window only. */
interface WorkerResult {
  latencies: Float64Array;
  received: number;
  expected: number;
  gaps: number;
  reconciles: number;
  errors: string[];
}

// Plain JS so the worker needs no TypeScript loader; `ws` is resolved by the parent.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const WebSocket = require(workerData.wsPath);
const now = () => performance.timeOrigin + performance.now();
const subs = [];
let range = { from: Infinity, to: Infinity };
let latencies = new Float64Array(1 << 16), n = 0;
const errors = [];
function record(ms) {
  if (n === latencies.length) { const next = new Float64Array(n * 2); next.set(latencies); latencies = next; }
  latencies[n++] = ms;
}
function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(workerData.url, ["sentinel.v1"], {
      headers: { Authorization: "Bearer " + workerData.token }, perMessageDeflate: false,
    });
    const sub = { ws, last: 0, received: 0, gaps: 0, reconciles: 0 };
    ws.on("message", (data) => {
      const at = now();
      const m = JSON.parse(data.toString());
      if (m.type === "events.ready") return resolve(sub);
      if (m.type === "events.reconcile") { sub.reconciles++; return; }
      if (m.eventId !== sub.last + 1 && sub.last !== 0) sub.gaps++;
      sub.last = m.eventId;
      if (m.type !== "bench.tick") return;
      if (m.eventId >= range.from && m.eventId <= range.to) { sub.received++; record(at - m.payload.sentAt); }
    });
    ws.on("error", (e) => errors.push(String(e.message)));
    ws.once("unexpected-response", (_q, res) => reject(new Error("handshake " + res.statusCode)));
    ws.once("close", (code) => { if (!sub.closing) errors.push("closed " + code); });
  });
}
parentPort.on("message", async (msg) => {
  if (msg.cmd === "open") {
    for (let i = 0; i < msg.count; i += 25) {
      subs.push(...(await Promise.all(Array.from({ length: Math.min(25, msg.count - i) }, open))));
    }
    parentPort.postMessage({ ok: true });
  } else if (msg.cmd === "window") {
    range = { from: msg.from, to: Number.MAX_SAFE_INTEGER };
    for (const s of subs) { s.received = 0; s.gaps = 0; s.reconciles = 0; }
    n = 0;
    parentPort.postMessage({ ok: true });
  } else if (msg.cmd === "wait") {
    const deadline = Date.now() + msg.timeoutMs;
    while (subs.some((s) => s.last < msg.to) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const result = {
      latencies: latencies.slice(0, n), received: subs.reduce((a, s) => a + s.received, 0),
      expected: subs.length * msg.count, gaps: subs.reduce((a, s) => a + s.gaps, 0),
      reconciles: subs.reduce((a, s) => a + s.reconciles, 0), errors: errors.slice(0, 5),
    };
    parentPort.postMessage(result, [result.latencies.buffer]);
  } else if (msg.cmd === "close") {
    for (const s of subs) { s.closing = true; s.ws.close(); }
    await new Promise((r) => setTimeout(r, 200));
    for (const s of subs) s.ws.terminate();
    parentPort.postMessage({ ok: true });
  }
});
`;

class SubscriberPool {
  private readonly worker: Worker;
  private constructor(server: Server) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        url: `ws://127.0.0.1:${server.port}/ws/events`,
        token: TOKEN,
        wsPath: require.resolve("ws"),
      },
    });
    this.worker.on("error", (error) => progress(`fanout worker: ${error.message}`));
  }

  static async open(server: Server, count: number): Promise<SubscriberPool> {
    const pool = new SubscriberPool(server);
    await pool.send({ cmd: "open", count }, 30_000);
    return pool;
  }

  private call<T>(message: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    return withTimeout(
      new Promise<T>((resolve) => this.worker.once("message", resolve)),
      timeoutMs,
      `fanout worker ${String(message.cmd)}`,
    );
  }

  async send<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    const reply = this.call<T>(message, timeoutMs);
    this.worker.postMessage(message);
    return reply;
  }

  async close(): Promise<void> {
    await this.send({ cmd: "close" }).catch(() => undefined);
    await this.worker.terminate();
  }
}

const api = async <T>(server: Server, path: string, json?: unknown): Promise<T> => {
  const res = await fetch(`${server.url}${path}`, {
    method: json === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: T }).data;
};

/** Publishes at `rate` events/s for `ms`, in small batches that track the ideal schedule. */
async function pump(
  server: Server,
  rate: number,
  ms: number,
): Promise<{ first: number; last: number; published: number; rate: number }> {
  const started = performance.now();
  let published = 0;
  let first = 0;
  let last = 0;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= ms) break;
    const due = Math.floor((elapsed / 1000) * rate) + 1 - published;
    if (due > 0) {
      const r = await api<{ firstEventId: number; lastEventId: number }>(server, "/api/bench/events", {
        count: due,
        padBytes: PAD_BYTES,
      });
      first ||= r.firstEventId;
      last = r.lastEventId;
      published += due;
    }
    await sleep(TICK_MS);
  }
  return { first, last, published, rate: published / ((performance.now() - started) / 1000) };
}

interface Run {
  latencies: Float64Array;
  received: number;
  expected: number;
  gaps: number;
  reconciles: number;
  errors: string[];
  rate: number;
  /** Events of other sources among the measured ids. */
  otherEvents: number;
  cpuMsPerS: number;
  rssPeak: number;
  hub: HubStats;
}

async function run(server: Server, pools: SubscriberPool[]): Promise<Run> {
  await pump(server, RATE, WARMUP_MS);
  const from = (await api<HubStats>(server, "/api/bench/events")).lastEventId + 1;
  await Promise.all(pools.map((p) => p.send({ cmd: "window", from })));
  const cpu0 = cpuMs(server.pid);
  let rssPeak = rssBytes(server.pid);
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssBytes(server.pid));
  }, 250);
  const pumped = await pump(server, RATE, MEASURE_MS);
  clearInterval(sampler);
  const cpuMsPerS = (cpuMs(server.pid) - cpu0) / (MEASURE_MS / 1000);
  // Events from other sources (the ops health check, …) may take ids in between: a subscriber is expected to
  // receive every bench event, and gaps are counted on every event id.
  const otherEvents = pumped.last - from + 1 - pumped.published;
  const results = await Promise.all(
    pools.map((p) =>
      p.send<WorkerResult>(
        { cmd: "wait", to: pumped.last, count: pumped.published, timeoutMs: 10_000 },
        15_000,
      ),
    ),
  );
  const hub = await api<HubStats>(server, "/api/bench/events");
  const latencies = new Float64Array(results.reduce((a, r) => a + r.latencies.length, 0));
  let offset = 0;
  for (const r of results) {
    latencies.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  return {
    latencies,
    received: results.reduce((a, r) => a + r.received, 0),
    expected: results.reduce((a, r) => a + r.expected, 0),
    gaps: results.reduce((a, r) => a + r.gaps, 0),
    reconciles: results.reduce((a, r) => a + r.reconciles, 0),
    errors: results.flatMap((r) => r.errors),
    rate: pumped.rate,
    otherEvents,
    cpuMsPerS,
    rssPeak,
    hub,
  };
}

export async function benchFanout(work: Workspace): Promise<void> {
  // No other event source: the watchtower and recovery would publish about the tmux sessions earlier
  // benchmarks left or killed on this workspace, in the middle of the measured event ids.
  const server = await startServer(work, 10_000, {
    SENTINEL_WATCHTOWER_ENABLED: "0",
    SENTINEL_RECOVERY_ENABLED: "0",
    SENTINEL_BENCH_EVENTS: "1",
    SENTINEL_RATE_LIMIT_PER_MINUTE: "10000000",
    SENTINEL_LOG_LEVEL: "warn",
  });
  const pools: SubscriberPool[] = [];
  try {
    // Baseline: one subscriber alone at the same rate.
    progress("fanout: baseline, 1 subscriber");
    const alone = await SubscriberPool.open(server, 1);
    const base = await run(server, [alone]);
    await alone.close();

    progress(`fanout: ${SUBSCRIBERS} subscribers + 1 that never reads`);
    for (let i = 0; i < WORKERS; i++) pools.push(await SubscriberPool.open(server, SUBSCRIBERS / WORKERS));
    const stalledWs = await openStalled(server);
    const idleRss = rssBytes(server.pid);
    const fan = await run(server, pools);
    stalledWs.terminate();
    fan.latencies.sort();
    base.latencies.sort();
    const p = (sorted: Float64Array, q: number) =>
      sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)]!;
    const drops = fan.expected - fan.received;
    const meta = {
      subscribers: SUBSCRIBERS,
      rate_target: RATE,
      rate_achieved: round(fan.rate, 1),
      event_bytes_approx: PAD_BYTES + 120,
      measured_s: MEASURE_MS / 1000,
      other_events: fan.otherEvents,
    };
    emit({
      bench: "fanout",
      metric: "p50_delivery",
      value: round(p(fan.latencies, 50), 2),
      unit: "ms",
      baseline: round(p(base.latencies, 50), 2),
      ratio: round(p(fan.latencies, 50) / p(base.latencies, 50), 2),
      ...meta,
    });
    emit({
      bench: "fanout",
      metric: "p99_delivery",
      value: round(p(fan.latencies, 99), 2),
      unit: "ms",
      baseline: round(p(base.latencies, 99), 2),
      ratio: round(p(fan.latencies, 99) / p(base.latencies, 99), 2),
      max: round(fan.latencies.at(-1)!, 2),
      target: "<= 100 ms",
      pass: p(fan.latencies, 99) <= 100,
      ...meta,
    });
    emit({
      bench: "fanout",
      metric: "fast_subscriber_drops",
      value: drops,
      unit: "events",
      baseline: base.expected - base.received,
      delivered: fan.received,
      expected: fan.expected,
      gaps: fan.gaps,
      reconcile_notices: fan.reconciles,
      errors: fan.errors,
      target: "0",
      pass: drops === 0 && fan.gaps === 0 && fan.reconciles === 0 && fan.errors.length === 0,
      ...meta,
    });
    emit({
      bench: "fanout",
      metric: "server_cpu",
      value: round(fan.cpuMsPerS / 10, 1),
      unit: "% of one core",
      baseline: round(base.cpuMsPerS / 10, 1),
      ratio: round(fan.cpuMsPerS / base.cpuMsPerS, 2),
      ...meta,
    });
    emit({
      bench: "fanout",
      metric: "server_rss_peak",
      value: round(fan.rssPeak / MB, 1),
      unit: "MiB",
      baseline: round(base.rssPeak / MB, 1),
      idle_with_subscribers: round(idleRss / MB, 1),
      stalled_subscriber: {
        max_queued_frames: fan.hub.maxQueued,
        max_socket_buffer_kib: round(fan.hub.maxBuffered / 1024, 1),
        overflowing: fan.hub.overflowing,
        dropped: fan.hub.dropped,
      },
      ...meta,
    });
  } finally {
    for (const pool of pools) await pool.close();
    await server.stop();
  }
}

/** A subscriber that completes the handshake and then never reads again. */
async function openStalled(server: Server) {
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/events`, ["sentinel.v1"], {
    headers: { Authorization: `Bearer ${TOKEN}` },
    perMessageDeflate: false,
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once("message", () => resolve());
      ws.once("error", reject);
    }),
    10_000,
    "stalled subscriber",
  );
  ws.pause();
  ws.on("error", () => undefined);
  return ws;
}
