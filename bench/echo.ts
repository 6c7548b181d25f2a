// Keystroke echo round trip at three typing rates: one printable character at a time into a session running
// `cat` (the tty echoes it), timed until the character comes back in the output, then a pause of 5, 33 or 150 ms
// (paste or key repeat, fast typing, ordinary typing) before the next key; 200 keys per rate and client. Four
// clients, each on its own identical session, measured in alternating blocks so machine noise hits all alike:
// - ours: `/ws/tmux` of the server under test;
// - direct: a plain node-pty `tmux attach` (the floor for anything tmux-backed);
// - naive: bench/referenceProxy.ts, a bare ws + node-pty relay forwarding bytes at once (the floor for any
//   WebSocket relay: the cost of the extra process and socket hop);
//   Its server watches a tmux server of its own (`createWorkspace`), on which only its client types: on the
//   shared one its watchtower would see every other client's typing as activity in other sessions, and the
//   collects and the fast probe beat that follow a block of theirs would be charged to the start of ours
//   (SENTINEL_BENCH_ECHO_SHARED_TMUX=1 measures it that way: the cost of watching others type, which the activity
//   bench's "one pane printing" covers);
// - ours_relay_only (informational): `/ws/tmux` of a second server started with SENTINEL_WATCHTOWER_ENABLED=false
//   and SENTINEL_RECOVERY_ENABLED=false, which tells the relay path's own cost (pty/ pipe and coalescing, ws) from
//   what the server's other work costs the typing: the watchtower's reaction to the typed output, and the
//   recovery collector's periodic listing and write (every 5 s; its synchronous part stalls the event loop, which
//   shows in p99 and CPU at 33 and 150 ms between keys).
// - the peers (bench/peers/: WeTTY, VibeTunnel), each a client of the peer's server on a session of its own; their
//   figures ride along as `wetty*` / `vibetunnel*` keys of the same lines (a `peer_skipped` line says why one is
//   absent).
// Targets (issue 17) against the naive relay at every rate: p50 <= 1.3x, p99 <= 2x, server CPU while typing the
// 200 keys <= 1.5x the relay's (each process's threads' time on a CPU from schedstat, harness.ts `threadCpuMs`; it
// was clock ticks of /proc/<pid>/stat, 10 ms, as much as the effects measured over a block).
import { loadavg } from "node:os";
import { PtyTerm, type Term, WsTerm, waitQuiet } from "./clients.js";
import {
  createWorkspace,
  emit,
  newSession,
  percentile,
  progress,
  rotated,
  round,
  type Server,
  serverCpuMs,
  sleep,
  startServer,
  threadCpuMs,
  type Workspace,
} from "./harness.js";
import type { PeerName } from "./peers/install.js";
import { skipPeer } from "./peers/install.js";
import { type PeerServer, startPeers } from "./peers/peers.js";
import { startReferenceProxy } from "./referenceProxy.js";

const WARMUP = 20;
const SAMPLES = 200;
const BLOCK = 50;
/** Pause between an echo and the next key, per rate. */
export const GAPS_MS = [5, 33, 150] as const;
const SAMPLE_TIMEOUT_MS = 2000;
const MAX_TIMEOUTS = 5;
// Letters that are no final byte of the escape sequences tmux sends around a plain echo.
const CHARS = ["x", "z", "y", "w"];
const COMMAND = "stty -icanon; exec cat >/dev/null"; // non-canonical: cat takes every key, the tty echoes it
/** Ours on the tmux server the other clients type on, as before (see the header). */
const SHARED_TMUX = process.env.SENTINEL_BENCH_ECHO_SHARED_TMUX === "1";
const P50_TARGET = 1.3;
const P99_TARGET = 2;
const CPU_TARGET = 1.5;

const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[^[\]()]/g;

const stripEscapes = (text: string) => text.replace(ESCAPES, "");

type Label = "ours" | "direct" | "naive" | "ours_relay_only" | PeerName;

interface Subject {
  label: Label;
  session: string;
  term?: Term;
  /** Round trips per gap. */
  samples: Map<number, number[]>;
  /** The process relaying this client's keys and output (ours: the server, naive: the relay), if any. */
  pid?: number;
  /** CPU that process spent while this client typed, per gap. */
  cpuMs: Map<number, number>;
  /** How that CPU is read: ours adds the query shell's (`serverCpuMs`). */
  readCpu?: (pid: number) => number;
}

/** One round trip in milliseconds, or undefined on timeout. */
export function roundTrip(term: Term, char: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let started = 0;
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, SAMPLE_TIMEOUT_MS);
    const off = term.onData((chunk) => {
      if (!stripEscapes(chunk.toString("latin1")).includes(char)) return;
      const at = performance.now();
      off();
      clearTimeout(timer);
      resolve(at - started);
    });
    started = performance.now();
    term.write(char);
  });
}

async function sample(
  subject: Subject,
  count: number,
  into: number[],
  state: { timeouts: number },
  gapMs: number,
): Promise<void> {
  const term = subject.term!;
  for (let i = 0; i < count; i++) {
    const ms = await roundTrip(term, CHARS[i % CHARS.length]!);
    if (ms === undefined) {
      state.timeouts++;
      if (state.timeouts > MAX_TIMEOUTS) throw new Error(`${subject.label}: too many echo timeouts`);
      await waitQuiet(term, 100, 1000);
    } else {
      into.push(ms);
    }
    await sleep(gapMs);
  }
}

export async function benchEcho(work: Workspace, server: Server): Promise<void> {
  const peers = await startPeers(work, "echo", (name) => `bench-echo-${name}`);
  const labels: Label[] = ["ours", "direct", "naive", "ours_relay_only", ...peers.map((p) => p.name)];
  let subjects: Subject[] = labels.map((label) => ({
    label,
    session: `bench-echo-${label.replaceAll("_", "-")}`,
    samples: new Map(GAPS_MS.map((gap) => [gap, []])),
    cpuMs: new Map(GAPS_MS.map((gap) => [gap, 0])),
  }));
  const [ours, direct, naive, relay] = subjects as [Subject, Subject, Subject, Subject];
  const peerOf = (s: Subject): PeerServer | undefined => peers.find((p) => p.name === s.label);
  const state = { timeouts: 0 };
  const load: number[] = [];
  let second: Server | undefined;
  let own: Server | undefined;
  const oursWork = SHARED_TMUX ? work : createWorkspace();
  try {
    for (const s of subjects) await newSession(s === ours ? oursWork : work, s.session, COMMAND);
    const proxy = await startReferenceProxy(work.socket);
    if (!SHARED_TMUX) own = await startServer(oursWork, 10_000);
    const oursServer = own ?? server;
    ours.pid = oursServer.pid;
    ours.readCpu = relay.readCpu = serverCpuMs;
    naive.pid = proxy.child.pid;
    second = await startServer(work, 10_000, {
      SENTINEL_WATCHTOWER_ENABLED: "false",
      SENTINEL_RECOVERY_ENABLED: "false",
    });
    relay.pid = second.pid;
    ours.term = await WsTerm.connect(oursServer, ours.session);
    direct.term = await PtyTerm.connect(work, direct.session);
    naive.term = await WsTerm.connect(proxy, naive.session);
    relay.term = await WsTerm.connect(second, relay.session);
    for (const peer of peers) {
      const subject = subjects.find((s) => s.label === peer.name)!;
      try {
        subject.pid = peer.pid;
        subject.term = await peer.connect();
      } catch (error) {
        // A peer that does not run here is left out, not a failure of ours.
        skipPeer(peer.name, "echo", (error as Error).message);
        await peer.stop();
        await work.tmux("kill-session", "-t", `=${subject.session}`).catch(() => undefined);
        subjects = subjects.filter((s) => s !== subject);
      }
    }
    for (const s of subjects) {
      await waitQuiet(s.term!, 300, 5000);
      await sample(s, WARMUP, [], state, 33);
    }
    load.push(loadavg()[0]!);
    let block = 0;
    for (const gap of GAPS_MS) {
      for (let done = 0; done < SAMPLES; done += BLOCK) {
        // Rotate the order block by block: no client always follows the same one.
        const order = rotated(subjects, block);
        block++;
        for (const s of order) {
          const readCpu = s.readCpu ?? threadCpuMs;
          const before = s.pid === undefined ? 0 : readCpu(s.pid);
          await sample(s, BLOCK, s.samples.get(gap)!, state, gap);
          if (s.pid !== undefined) s.cpuMs.set(gap, s.cpuMs.get(gap)! + readCpu(s.pid) - before);
        }
      }
      load.push(loadavg()[0]!);
      const line = subjects
        .map((s) => {
          const v = s.samples.get(gap)!;
          return `${s.label} p50 ${round(percentile(v, 50))} p99 ${round(percentile(v, 99))}`;
        })
        .join("; ");
      progress(`echo, ${gap} ms between keys: ${line} ms`);
    }
    for (const s of subjects) {
      if (s.term!.errors.length) throw new Error(`${s.label} client errors: ${s.term!.errors.join("; ")}`);
    }
  } finally {
    for (const s of subjects) {
      await s.term?.close();
      await (s === ours ? oursWork : work).tmux("kill-session", "-t", `=${s.session}`).catch(() => undefined);
    }
    await second?.stop();
    await own?.stop();
    for (const peer of peers) await peer.stop();
  }
  for (const s of subjects) {
    for (const gap of GAPS_MS) {
      const n = s.samples.get(gap)!.length;
      if (n < SAMPLES * 0.95) throw new Error(`${s.label}, ${gap} ms gaps: only ${n} samples`);
    }
  }

  for (const gap of GAPS_MS) {
    const [o, d, n, q] = [ours, direct, naive, relay].map((s) => s.samples.get(gap)!) as [
      number[],
      number[],
      number[],
      number[],
    ];
    const peerSubjects = subjects.filter((s) => peerOf(s));
    for (const [metric, p, target] of [
      ["p50", 50, P50_TARGET],
      ["p99", 99, P99_TARGET],
    ] as const) {
      const value = percentile(o, p);
      const naiveValue = percentile(n, p);
      const directValue = percentile(d, p);
      emit({
        bench: "echo",
        metric: `${metric}_gap_${gap}ms`,
        value: round(value),
        unit: "ms",
        baseline: round(naiveValue),
        ratio: round(value / naiveValue),
        target: `<= ${target} x naive relay`,
        pass: value <= target * naiveValue,
        direct: round(directValue),
        ratio_vs_direct: round(value / directValue),
        naive_vs_direct: round(naiveValue / directValue),
        gap_ms: gap,
        samples: o.length,
        direct_samples: d.length,
        naive_samples: n.length,
        relay_only: round(percentile(q, p)),
        relay_only_ratio: round(percentile(q, p) / naiveValue),
        relay_only_samples: q.length,
        max: round(Math.max(...o)),
        naive_max: round(Math.max(...n)),
        ...peerFigures(peerSubjects, (peer) => {
          const v = peer.samples.get(gap)!;
          return {
            "": round(percentile(v, p)),
            ratio_vs: round(value / percentile(v, p)),
            samples: v.length,
            max: round(Math.max(...v)),
          };
        }),
        timeouts: state.timeouts,
        load_avg_1m: load.map((l) => round(l, 2)),
      });
    }
    // CPU of the server, and of the naive relay, while their own client typed the 200 keys (the server's also
    // covers what it does about the typing, e.g. the watchtower's reaction to the output, and its idle work).
    const cpu = ours.cpuMs.get(gap)!;
    const naiveCpu = naive.cpuMs.get(gap)!;
    emit({
      bench: "echo",
      metric: `server_cpu_gap_${gap}ms`,
      value: round(cpu, 0),
      unit: "ms",
      baseline: round(naiveCpu, 0),
      ratio: round(cpu / naiveCpu),
      target: `<= ${CPU_TARGET} x naive relay`,
      pass: cpu <= CPU_TARGET * naiveCpu,
      gap_ms: gap,
      keys: o.length,
      relay_only: round(relay.cpuMs.get(gap)!, 0),
      relay_only_ratio: round(relay.cpuMs.get(gap)! / naiveCpu),
      // Each peer's server process's CPU while its client typed (its `tmux attach` is a process of its own, as
      // ours is).
      ...peerFigures(peerSubjects, (peer) => ({
        "": round(peer.cpuMs.get(gap)!, 0),
        ratio_vs: round(cpu / peer.cpuMs.get(gap)!),
      })),
    });
  }
}

/**
 * A peer's figures as keys of a line: `""` becomes `<peer>`, `ratio_vs` becomes `ratio_vs_<peer>`, any other key
 * `<peer>_<key>` (e.g. wetty, ratio_vs_wetty, wetty_samples).
 */
function peerFigures(
  peers: Subject[],
  figures: (peer: Subject) => Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const peer of peers) {
    for (const [key, value] of Object.entries(figures(peer))) {
      out[key === "" ? peer.label : key === "ratio_vs" ? `ratio_vs_${peer.label}` : `${peer.label}_${key}`] =
        value;
    }
  }
  return out;
}
