// Throughput as users feel it: the time for `cat` of a ≥ 30 MB file in a session to drain to the client, i.e.
// until a marker printed after it arrives. `/ws/tmux` (ours) against a plain node-pty `tmux attach` on the same
// session (direct, the baseline: target ratio >= 1.0) and the naive relay of bench/referenceProxy.ts (bytes
// forwarded at once, one frame per PTY read; target: ours at least as fast too).
// tmux drops output for clients that fall behind (and redraws instead), so bytes/s alone is not comparable:
// the time to the marker is the figure, bytes and MB/s are reported beside it.
// The peers (bench/peers/: WeTTY, VibeTunnel) drain the same file on the same session through their own server,
// their figures as `<peer>*` keys and a `drain_vs_<peer>` line each (a `peer_skipped` line says why one is absent).
import { randomBytes } from "node:crypto";
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { PtyTerm, type Term, WsTerm, waitForText, waitQuiet } from "./clients.js";
import {
  cpuMs,
  emit,
  MB,
  median,
  newSession,
  nonce,
  progress,
  rotated,
  round,
  type Server,
  type Workspace,
} from "./harness.js";
import type { PeerName } from "./peers/install.js";
import { skipPeer } from "./peers/install.js";
import { startPeers } from "./peers/peers.js";
import { startReferenceProxy } from "./referenceProxy.js";

const FILE_BYTES = 32 * MB;
// Seven runs per client, the median reported: tmux is the bottleneck and a loaded machine moves single runs a lot
// (±15 % from one run to the next here). The clients take turns, each round in a rotated order, so that no client
// always runs right after the same one.
const RUNS = 7;
const RUN_TIMEOUT_MS = 60_000;
const SESSION = "bench-tp";
/** How each peer carries the drain (its `drain_vs_<peer>` line's baseline). */
const PEER_DRAIN: Record<PeerName, string> = {
  wetty:
    "WeTTY: socket.io frames batched by 2 ms / 512 KiB, a 2 MiB flow-control window the client acknowledges",
  vibetunnel:
    "VibeTunnel: the PTY's output written to the session's cast file, tailed to the client as SSE events",
};

export interface Run {
  ms: number;
  bytes: number;
  /** Chunks received: WebSocket frames for a ws client, PTY reads for the direct one. */
  frames: number;
  /** CPU the server (or relay) process spent during the run (ws runs only). */
  serverCpuMs?: number;
}

/** Base64 lines of random data (76 characters and a newline each), at least `size` bytes. */
export function makeFile(path: string, size: number): number {
  const fd = openSync(path, "w");
  try {
    let written = 0;
    while (written < size) {
      const b64 = randomBytes(57 * 4096).toString("base64");
      const lines: string[] = [];
      for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
      written += writeSync(fd, `${lines.join("\n")}\n`);
    }
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

export async function runOnce(term: Term, file: string, serverPid?: number): Promise<Run> {
  await waitQuiet(term, 300, 5000);
  term.write("clear\r");
  await waitQuiet(term, 300, 5000);
  const tag = nonce();
  // The literal marker only exists in the output: the command line holds `XDONE tag` with a space.
  const marker = `XDONE_${tag}`;
  const seen = waitForText(term, marker, RUN_TIMEOUT_MS);
  const bytesBefore = term.bytes;
  let frames = 0;
  const off = term.onData(() => {
    frames++;
  });
  const cpuBefore = serverPid === undefined ? 0 : cpuMs(serverPid);
  const started = performance.now();
  term.write(`cat ${file}; printf '%s_%s\\n' XDONE ${tag}\r`);
  const at = await seen.done.finally(off);
  const run: Run = { ms: at - started, bytes: term.bytes - bytesBefore, frames };
  if (serverPid !== undefined) run.serverCpuMs = cpuMs(serverPid) - cpuBefore;
  // Let tmux finish its redraw before the next run.
  await waitQuiet(term, 300, 10_000);
  if (term.errors.length) throw new Error(`${term.kind} client errors: ${term.errors.join("; ")}`);
  return run;
}

export async function benchThroughput(work: Workspace, server: Server): Promise<void> {
  const file = join(work.dir, "payload.txt");
  const size = makeFile(file, FILE_BYTES);
  progress(`throughput: ${round(size / MB, 1)} MB file`);
  await newSession(work, SESSION, "env PS1='$ ' bash --norc --noprofile");

  const proxy = await startReferenceProxy(work.socket);
  const peers = await startPeers(work, "throughput", () => SESSION);
  const load = [loadavg()[0]!];
  type Kind = "ws" | "pty" | "naive" | PeerName;
  const runs: Partial<Record<Kind, Run[]>> = { ws: [], pty: [], naive: [] };
  for (const peer of peers) runs[peer.name] = [];
  const kinds = Object.keys(runs) as Kind[];
  const peerFailures = new Map<PeerName, string>();
  for (let i = 0; i < RUNS; i++) {
    for (const kind of rotated(kinds, i)) {
      const peer = peers.find((p) => p.name === kind);
      if (peer && peerFailures.has(peer.name)) continue;
      let term: Term | undefined;
      try {
        term =
          kind === "ws"
            ? await WsTerm.connect(server, SESSION)
            : kind === "naive"
              ? await WsTerm.connect(proxy, SESSION)
              : peer
                ? await peer.connect()
                : await PtyTerm.connect(work, SESSION);
        const pid = kind === "ws" ? server.pid : kind === "naive" ? proxy.child.pid : peer?.pid;
        const run = await runOnce(term, file, pid);
        progress(
          `throughput ${kind} #${i + 1}: ${round(run.ms, 1)} ms, ${round(run.bytes / MB, 2)} MB received in ${run.frames} frames`,
        );
        runs[kind]!.push(run);
      } catch (error) {
        // A peer that fails is left out (and said so), not a failure of ours.
        if (!peer) throw error;
        peerFailures.set(peer.name, (error as Error).message);
      } finally {
        await term?.close();
      }
    }
  }
  load.push(loadavg()[0]!);
  proxy.child.kill("SIGKILL");
  for (const peer of peers) await peer.stop();
  for (const [name, reason] of peerFailures) {
    skipPeer(name, "throughput", reason);
    delete runs[name];
  }
  await work.tmux("kill-session", "-t", `=${SESSION}`).catch(() => undefined);

  for (const kind of kinds) {
    for (const run of runs[kind] ?? []) {
      if (run.bytes < 1024) throw new Error(`${kind} run received only ${run.bytes} bytes`);
    }
  }
  const [wsRuns, ptyRuns, naiveRuns] = [runs.ws!, runs.pty!, runs.naive!];
  const measuredPeers = peers.filter((p) => runs[p.name]).map((p) => ({ name: p.name, runs: runs[p.name]! }));
  const wsMs = median(wsRuns.map((r) => r.ms));
  const ptyMs = median(ptyRuns.map((r) => r.ms));
  const naiveMs = median(naiveRuns.map((r) => r.ms));
  const wsBytes = median(wsRuns.map((r) => r.bytes));
  const ptyBytes = median(ptyRuns.map((r) => r.bytes));
  const wsRate = median(wsRuns.map((r) => r.bytes / MB / (r.ms / 1000)));
  const ptyRate = median(ptyRuns.map((r) => r.bytes / MB / (r.ms / 1000)));
  const ratio = ptyMs / wsMs;
  emit({
    bench: "throughput",
    metric: "drain_time_to_marker",
    value: round(wsMs, 1),
    unit: "ms",
    baseline: round(ptyMs, 1),
    ratio: round(ratio),
    target: "ratio (baseline_time / ws_time) >= 1.0",
    pass: ratio >= 1,
    file_bytes: size,
    runs_ms: wsRuns.map((r) => round(r.ms, 1)),
    baseline_runs_ms: ptyRuns.map((r) => round(r.ms, 1)),
    server_cpu_ms: wsRuns.map((r) => round(r.serverCpuMs ?? 0, 0)),
    naive: round(naiveMs, 1),
    naive_runs_ms: naiveRuns.map((r) => round(r.ms, 1)),
    naive_cpu_ms: naiveRuns.map((r) => round(r.serverCpuMs ?? 0, 0)),
    frames: wsRuns.map((r) => r.frames),
    naive_frames: naiveRuns.map((r) => r.frames),
    ...Object.fromEntries(
      measuredPeers.flatMap(({ name, runs: r }) => [
        [name, round(median(r.map((run) => run.ms)), 1)],
        [`${name}_runs_ms`, r.map((run) => round(run.ms, 1))],
        [`${name}_cpu_ms`, r.map((run) => round(run.serverCpuMs ?? 0, 0))],
        [`${name}_frames`, r.map((run) => run.frames)],
      ]),
    ),
    load_avg_1m: load.map((l) => round(l, 2)),
  });
  // The naive relay forwards every PTY read at once: more frames, more CPU taken from tmux (the bottleneck).
  emit({
    bench: "throughput",
    metric: "drain_vs_naive_relay",
    value: round(wsMs, 1),
    unit: "ms",
    baseline: round(naiveMs, 1),
    ratio: round(naiveMs / wsMs),
    target: "ratio (naive_time / ws_time) >= 1.0",
    pass: naiveMs >= wsMs,
  });
  for (const { name, runs: r } of measuredPeers) {
    const peerMs = median(r.map((run) => run.ms));
    emit({
      bench: "throughput",
      metric: `drain_vs_${name}`,
      value: round(wsMs, 1),
      unit: "ms",
      baseline: round(peerMs, 1),
      ratio: round(peerMs / wsMs),
      target: `ratio (${name}_time / ws_time) >= 1.0`,
      pass: peerMs >= wsMs,
      baseline_is: PEER_DRAIN[name],
    });
  }
  emit({
    bench: "throughput",
    metric: "bytes_received",
    value: wsBytes,
    unit: "bytes",
    baseline: ptyBytes,
    ratio: round(wsBytes / ptyBytes),
    file_bytes: size,
    runs: wsRuns.map((r) => r.bytes),
    baseline_runs: ptyRuns.map((r) => r.bytes),
    naive_runs: naiveRuns.map((r) => r.bytes),
    ...Object.fromEntries(
      measuredPeers.map(({ name, runs: r }) => [`${name}_runs`, r.map((run) => run.bytes)]),
    ),
  });
  emit({
    bench: "throughput",
    metric: "received_rate",
    value: round(wsRate, 2),
    unit: "MB/s",
    baseline: round(ptyRate, 2),
    ratio: round(wsRate / ptyRate),
    file_rate_ws: round(size / MB / (wsMs / 1000), 2),
    file_rate_baseline: round(size / MB / (ptyMs / 1000), 2),
  });
}
