// Server memory: RSS idle (no session; and one session with one attached client, beside the naive relay in
// the same state, target <= 60 MB, and its peak while that client drains 32 MB, target <= idle + 16 MB: issue 17),
// with 20 attached clients (one per session), and the growth while one client stops
// reading (its TCP socket paused) for 20 s of `yes` in its session. Meanwhile a second session prints a
// timestamped counter; a `/ws/tmux` client and a plain node-pty client (the baseline) both watch it, so the
// latency of the other clients under the flood is measured against tmux's own under the same load.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { mallocTuning } from "../src/extension/server/serverEnv.js";
import { PtyTerm, type Term, WsTerm, waitQuiet } from "./clients.js";
import {
  emit,
  MB,
  median,
  newSession,
  ownChild,
  percentile,
  progress,
  ROOT,
  round,
  rssBytes,
  rssParts,
  type Server,
  sleep,
  type Workspace,
  withTimeout,
} from "./harness.js";
import { skipPeer } from "./peers/install.js";
import { startPeers } from "./peers/peers.js";
import { startReferenceProxy } from "./referenceProxy.js";
import { makeFile, runOnce } from "./throughput.js";

const CLIENTS = 20;
const FLOOD_MS = 20_000;
const RSS_SAMPLE_MS = 250;
const COUNTER_PERIOD_S = 0.05;
const IDLE_WATCH_MS = 3000;
const SHELL = "env PS1='$ ' bash --norc --noprofile";

async function steadyRss(pid: number, readings = 5, gapMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < readings; i++) {
    values.push(rssBytes(pid));
    await sleep(gapMs);
  }
  return median(values);
}

/** Watches counter lines `T<epoch seconds>.<micro>` and records each new line's delivery latency. */
class CounterWatch {
  latencies: number[] = [];
  private last = 0;
  private tail = "";
  private readonly off: () => void;

  constructor(readonly term: Term) {
    this.off = term.onData((chunk) => {
      const now = Date.now();
      const text = this.tail + chunk.toString("latin1");
      for (const match of text.matchAll(/T(\d{10})[.,](\d{6})(?=\D)/g)) {
        const at = Number(match[1]) * 1000 + Number(match[2]) / 1000;
        // tmux redraws old lines at times; only lines never seen before count.
        if (at <= this.last) continue;
        this.last = at;
        this.latencies.push(now - at);
      }
      this.tail = text.slice(-24);
    });
  }

  take(): number[] {
    const out = this.latencies;
    this.latencies = [];
    return out;
  }

  stop(): void {
    this.off();
  }
}

const summary = (values: number[]) => ({
  p50: round(percentile(values, 50), 2),
  p99: round(percentile(values, 99), 2),
  max: round(Math.max(...values), 2),
  lines: values.length,
});

interface BareNode {
  rss: number;
  parts: { anon: number; file: number };
}

/** RSS of a bare `node` that only keeps its event loop alive: what any Node server costs before its own code. */
async function bareNodeRss(): Promise<BareNode> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    await sleep(1000);
    if (child.pid === undefined || child.exitCode !== null) throw new Error("bare node did not start");
    return { rss: await steadyRss(child.pid, 3), parts: rssParts(child.pid) };
  } finally {
    child.kill("SIGKILL");
  }
}

const IDLE_TARGET_MB = 60;

interface StackFloor {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/**
 * The stack's floor (bench/stackFloor.ts: a naive relay on fastify, ws, the WASM SQLite store, node-pty and TypeBox),
 * built by scripts/build.mjs into the workspace and started through the same loader, with the environment the
 * server gets (glibc's malloc settings, ADR 0020) and a data dir of its own.
 */
async function startStackFloor(work: Workspace): Promise<StackFloor> {
  const out = join(work.dir, "stack-floor");
  const dataDir = join(work.dir, "stack-floor-data");
  mkdirSync(dataDir, { recursive: true });
  await promisify(execFile)(process.execPath, [
    join(ROOT, "scripts", "build.mjs"),
    "--outdir",
    out,
    "--server-entry",
    join(ROOT, "bench", "stackFloor.ts"),
  ]);
  const child = spawn(process.execPath, [join(out, "server.js"), work.socket, dataDir], {
    env: { ...work.env, ...mallocTuning(work.env), SENTINEL_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { logTail, stop } = ownChild(child, 3000, ["stderr"]);
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    lines.once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`stack floor exited with ${code}:\n${logTail()}`)));
  });
  try {
    const { port, pid } = await withTimeout(ready, 15_000, "stack floor start");
    lines.on("line", () => undefined);
    return { port, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
const DRAIN_BYTES = 32 * MB;
const DRAIN_GROWTH_TARGET_MB = 16;

/** Samples a process's RSS every 50 ms while `work` runs; returns the highest reading. */
async function peakRssDuring(pid: number, work: Promise<unknown>): Promise<number> {
  let peak = rssBytes(pid);
  let running = true;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, rssBytes(pid));
      await sleep(50);
    }
  })();
  try {
    await work;
  } finally {
    running = false;
    await sampling;
  }
  return Math.max(peak, rssBytes(pid));
}

/**
 * RSS of the server and of the naive relay (bench/referenceProxy.ts, run through tsx) each with one session and
 * one attached client that has gone quiet: what a user with one terminal open pays. Then each client drains a
 * 32 MB `cat` (as the throughput bench does) while its process's RSS is sampled: the peak above that idle figure.
 * The peers (bench/peers/: WeTTY, VibeTunnel), each a server with one attached client on a session of its own,
 * ride along as `<peer>_*` keys of the same lines (a `peer_skipped` line says why one is absent).
 */
async function oneSessionRss(work: Workspace, server: Server, bare: BareNode): Promise<void> {
  const proxy = await startReferenceProxy(work.socket);
  const file = join(work.dir, "memory-drain.txt");
  const size = makeFile(file, DRAIN_BYTES);
  const terms: Term[] = [];
  const floor = await startStackFloor(work);
  const peers = await startPeers(work, "memory", (name) => `bench-mem-one-${name}`);
  const peerTerms: Array<{ name: string; pid: number; term: Term; idle: number; peak: number }> = [];
  try {
    await newSession(work, "bench-mem-one", SHELL);
    await newSession(work, "bench-mem-one-naive", SHELL);
    await newSession(work, "bench-mem-one-floor", SHELL);
    const ours = await WsTerm.connect(server, "bench-mem-one");
    const naive = await WsTerm.connect(proxy, "bench-mem-one-naive");
    const floorTerm = await WsTerm.connect(floor, "bench-mem-one-floor");
    terms.push(ours, naive, floorTerm);
    for (const peer of peers) {
      try {
        await newSession(work, `bench-mem-one-${peer.name}`, SHELL);
        const term = await peer.connect();
        terms.push(term);
        peerTerms.push({ name: peer.name, pid: peer.pid, term, idle: 0, peak: 0 });
      } catch (error) {
        skipPeer(peer.name, "memory", (error as Error).message);
      }
    }
    await Promise.all(terms.map((t) => waitQuiet(t, 300, 5000)));
    await sleep(1000);
    const oursIdle = await steadyRss(server.pid);
    const oursParts = rssParts(server.pid);
    const naiveIdle = await steadyRss(proxy.child.pid!);
    const floorIdle = await steadyRss(floor.pid);
    for (const p of peerTerms) p.idle = await steadyRss(p.pid);
    const peersSaid = (key: "idle" | "peak") =>
      peerTerms.map((p) => `, ${p.name} ${round(p[key] / MB, 1)} MB`).join("");
    progress(
      `memory: one session RSS ${round(oursIdle / MB, 1)} MB (naive relay ${round(naiveIdle / MB, 1)} MB, the stack's floor ${round(floorIdle / MB, 1)} MB${peersSaid("idle")})`,
    );
    emit({
      bench: "memory",
      metric: "rss_idle_one_session",
      value: round(oursIdle / MB, 2),
      unit: "MB",
      baseline: round(naiveIdle / MB, 2),
      ratio: round(oursIdle / naiveIdle),
      baseline_is: "naive relay (ws + node-pty, under tsx) with one attached client",
      bare_node_MB: round(bare.rss / MB, 2),
      // Where it goes (ADR 0020): pages of mapped files (the node binary's code and data) and own memory.
      rss_file_MB: round(oursParts.file / MB, 2),
      rss_anon_MB: round(oursParts.anon / MB, 2),
      bare_node_file_MB: round(bare.parts.file / MB, 2),
      bare_node_anon_MB: round(bare.parts.anon / MB, 2),
      // What the stack itself costs (bench/stackFloor.ts): the target's reach without replacing it (ADR 0020).
      stack_floor_MB: round(floorIdle / MB, 2),
      stack_floor_is:
        "bench/stackFloor.ts: a naive relay on fastify, ws, the WASM SQLite store, node-pty and TypeBox, built and started as the server is",
      above_stack_floor_MB: round((oursIdle - floorIdle) / MB, 2),
      ...Object.fromEntries(
        peerTerms.flatMap((p) => [
          [`${p.name}_MB`, round(p.idle / MB, 2)],
          [`ratio_vs_${p.name}`, round(oursIdle / p.idle)],
        ]),
      ),
      target: `<= ${IDLE_TARGET_MB} MB`,
      pass: oursIdle <= IDLE_TARGET_MB * MB,
    });
    const oursPeak = await peakRssDuring(server.pid, runOnce(ours, file));
    const naivePeak = await peakRssDuring(proxy.child.pid!, runOnce(naive, file));
    for (const p of peerTerms) p.peak = await peakRssDuring(p.pid, runOnce(p.term, file));
    const growth = oursPeak - oursIdle;
    progress(
      `memory: drain peak ${round(oursPeak / MB, 1)} MB (naive relay ${round(naivePeak / MB, 1)} MB${peersSaid("peak")})`,
    );
    emit({
      bench: "memory",
      metric: "rss_peak_over_idle_during_drain",
      value: round(growth / MB, 2),
      unit: "MB",
      baseline: round((naivePeak - naiveIdle) / MB, 2),
      baseline_is: "the naive relay's peak over its idle, same drain",
      file_bytes: size,
      rss_idle_MB: round(oursIdle / MB, 2),
      rss_peak_MB: round(oursPeak / MB, 2),
      ...Object.fromEntries(
        peerTerms.flatMap((p) => [
          [`${p.name}_peak_over_idle_MB`, round((p.peak - p.idle) / MB, 2)],
          [`${p.name}_peak_MB`, round(p.peak / MB, 2)],
        ]),
      ),
      target: `<= ${DRAIN_GROWTH_TARGET_MB} MB`,
      pass: growth <= DRAIN_GROWTH_TARGET_MB * MB,
    });
  } finally {
    await Promise.all(terms.map((t) => t.close()));
    proxy.child.kill("SIGTERM");
    await floor.stop();
    for (const peer of peers) await peer.stop();
    rmSync(file, { force: true });
    for (const name of [
      "bench-mem-one",
      "bench-mem-one-naive",
      "bench-mem-one-floor",
      ...peers.map((p) => `bench-mem-one-${p.name}`),
    ])
      await work.tmux("kill-session", "-t", `=${name}`).catch(() => undefined);
  }
}

export async function benchMemory(work: Workspace, server: Server): Promise<void> {
  const pid = server.pid;
  const bare = await bareNodeRss();
  const idle = await steadyRss(pid);
  progress(`memory: idle RSS ${round(idle / MB, 1)} MB (bare node ${round(bare.rss / MB, 1)} MB)`);
  await oneSessionRss(work, server, bare);

  const clients: WsTerm[] = [];
  const others: Term[] = [];
  let flood: WsTerm | undefined;
  try {
    for (let i = 0; i < CLIENTS; i++) {
      const name = `bench-mem-${i}`;
      await newSession(work, name, SHELL);
      clients.push(await WsTerm.connect(server, name));
    }
    await Promise.all(clients.map((c) => waitQuiet(c, 300, 5000)));
    await sleep(1000);
    const with20 = await steadyRss(pid);
    for (const c of clients) if (c.bytes === 0) throw new Error("an attached client received no output");
    progress(`memory: RSS with ${CLIENTS} clients ${round(with20 / MB, 1)} MB`);
    emit({
      bench: "memory",
      metric: "rss_idle",
      value: round(idle / MB, 2),
      unit: "MB",
      baseline: round(bare.rss / MB, 2),
      ratio: round(idle / bare.rss),
      baseline_is: "node -e 'setInterval(() => {}, 1000)'",
    });
    emit({
      bench: "memory",
      metric: `rss_${CLIENTS}_clients`,
      value: round(with20 / MB, 2),
      unit: "MB",
      baseline: round(idle / MB, 2),
      ratio: round(with20 / idle),
      per_client_MB: round((with20 - idle) / CLIENTS / MB, 3),
      clients: CLIENTS,
    });

    // The counter session and its two watchers.
    await newSession(
      work,
      "bench-counter",
      `bash --norc --noprofile -c 'while :; do printf "T%s\\n" "$EPOCHREALTIME"; sleep ${COUNTER_PERIOD_S}; done'`,
    );
    const counterWs = await WsTerm.connect(server, "bench-counter");
    others.push(counterWs);
    const counterPty = await PtyTerm.connect(work, "bench-counter");
    others.push(counterPty);
    const watchWs = new CounterWatch(counterWs);
    const watchPty = new CounterWatch(counterPty);
    await sleep(500);
    watchWs.take();
    watchPty.take();
    await sleep(IDLE_WATCH_MS);
    const idleWs = watchWs.take();
    const idlePty = watchPty.take();

    // The slow reader.
    await newSession(work, "bench-flood", SHELL);
    flood = await WsTerm.connect(server, "bench-flood");
    await waitQuiet(flood, 300, 5000);
    const before = await steadyRss(pid);
    flood.pauseReading();
    const bytesAtPause = flood.bytes;
    await work.tmux("send-keys", "-t", "=bench-flood:", "yes", "Enter");
    const samples: number[] = [];
    const started = performance.now();
    while (performance.now() - started < FLOOD_MS) {
      samples.push(rssBytes(pid));
      await sleep(RSS_SAMPLE_MS);
    }
    const floodWs = watchWs.take();
    const floodPty = watchPty.take();
    const peak = Math.max(...samples);
    const end = samples[samples.length - 1]!;
    const growth = peak - before;
    progress(`memory: slow reader growth ${round(growth / MB, 2)} MB (peak ${round(peak / MB, 1)} MB)`);

    // The paused client must still be alive: resume it and expect output.
    flood.resumeReading();
    const resumeDeadline = performance.now() + 5000;
    while (flood.bytes === bytesAtPause && performance.now() < resumeDeadline) await sleep(50);
    const resumedBytes = flood.bytes - bytesAtPause;
    // Close the flood client before its session goes away (that close is expected, not an error).
    const floodErrors = [...flood.errors];
    await flood.close();
    await work.tmux("send-keys", "-t", "=bench-flood:", "C-c").catch(() => undefined);
    await work.tmux("kill-session", "-t", "=bench-flood").catch(() => undefined);
    await sleep(300);
    const afterFlood = await steadyRss(pid, 3);

    emit({
      bench: "memory",
      metric: "rss_growth_slow_reader",
      value: round(growth / MB, 2),
      unit: "MB",
      baseline: round(before / MB, 2),
      target: "<= 16 MB",
      pass: growth <= 16 * MB && resumedBytes > 0,
      seconds: FLOOD_MS / 1000,
      rss_peak_MB: round(peak / MB, 2),
      rss_end_of_flood_MB: round(end / MB, 2),
      rss_after_flood_MB: round(afterFlood / MB, 2),
      bytes_before_pause: bytesAtPause,
      bytes_after_resume: resumedBytes,
      alive_after_resume: resumedBytes > 0,
    });

    for (const [kind, values] of [
      ["ws", floodWs],
      ["pty", floodPty],
    ] as const) {
      if (values.length === 0) throw new Error(`${kind} counter client received nothing during the flood`);
    }
    const expected = FLOOD_MS / 1000 / COUNTER_PERIOD_S;
    const during = summary(floodWs);
    const duringPty = summary(floodPty);
    emit({
      bench: "memory",
      metric: "other_client_latency_during_flood_p50",
      value: during.p50,
      unit: "ms",
      baseline: duringPty.p50,
      ratio: round(during.p50 / Math.max(duringPty.p50, 1)),
      target: "other clients keep receiving (>= 50% of counter lines), p99 <= 100 ms",
      pass: during.lines >= expected * 0.5 && during.p99 <= 100,
      p99: during.p99,
      max: during.max,
      lines: during.lines,
      baseline_p99: duringPty.p99,
      baseline_max: duringPty.max,
      baseline_lines: duringPty.lines,
      expected_lines_approx: Math.round(expected),
      before_flood: summary(idleWs),
      baseline_before_flood: summary(idlePty),
    });
    if (floodErrors.length) throw new Error(`flood client errors: ${floodErrors.join("; ")}`);
    for (const term of [...clients, counterWs, counterPty]) {
      if (term.errors.length) throw new Error(`${term.kind} client errors: ${term.errors.join("; ")}`);
    }
    watchWs.stop();
    watchPty.stop();
  } finally {
    await Promise.all([...clients, ...others, ...(flood ? [flood] : [])].map((c) => c.close()));
    await work.tmux("kill-session", "-t", "=bench-flood").catch(() => undefined);
    await work.tmux("kill-session", "-t", "=bench-counter").catch(() => undefined);
    for (let i = 0; i < CLIENTS; i++)
      await work.tmux("kill-session", "-t", `=bench-mem-${i}`).catch(() => undefined);
  }
}
