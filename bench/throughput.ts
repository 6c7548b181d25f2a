// Throughput as users feel it: the time for `cat` of a ≥ 30 MB file in a session to drain to the client, i.e.
// until a marker printed after it arrives. `/ws/tmux` (ours) against a plain node-pty `tmux attach` on the same
// session (direct, the baseline: target ratio >= 1.0) and the naive relay of bench/referenceProxy.ts (bytes
// forwarded at once, one frame per PTY read; target: ours at least as fast too).
// tmux drops output for clients that fall behind (and redraws instead), so bytes/s alone is not comparable:
// the time to the marker is the figure, bytes and MB/s are reported beside it.
// WeTTY (a peer, when installed: bench/peers/) drains the same file through a wetty process on the same session,
// its figures as `wetty*` keys and a `drain_vs_wetty` line (a `peer_skipped` line says why when it is absent).
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
  round,
  type Server,
  type Workspace,
} from "./harness.js";
import { skipPeer } from "./peers/install.js";
import { startWettyPeer, WettyTerm } from "./peers/wetty.js";
import { startReferenceProxy } from "./referenceProxy.js";

const FILE_BYTES = 32 * MB;
// Five runs per client, the median reported: tmux is the bottleneck and a loaded machine moves single runs a lot.
const RUNS = 5;
const RUN_TIMEOUT_MS = 60_000;
const SESSION = "bench-tp";

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
  const wetty = await startWettyPeer(work, "throughput", SESSION);
  const load = [loadavg()[0]!];
  const runs: Record<"ws" | "pty" | "naive" | "wetty", Run[]> = { ws: [], pty: [], naive: [], wetty: [] };
  const kinds: Array<keyof typeof runs> = ["ws", "pty", "naive"];
  if (wetty) kinds.push("wetty");
  let wettyFailure: string | undefined;
  for (let i = 0; i < RUNS; i++) {
    for (const kind of kinds) {
      if (kind === "wetty" && wettyFailure) continue;
      let term: Term | undefined;
      try {
        term =
          kind === "ws"
            ? await WsTerm.connect(server, SESSION)
            : kind === "naive"
              ? await WsTerm.connect(proxy, SESSION)
              : kind === "wetty"
                ? await WettyTerm.connect(wetty!)
                : await PtyTerm.connect(work, SESSION);
        const pid =
          kind === "ws"
            ? server.pid
            : kind === "naive"
              ? proxy.child.pid
              : kind === "wetty"
                ? wetty!.pid
                : undefined;
        const run = await runOnce(term, file, pid);
        progress(
          `throughput ${kind} #${i + 1}: ${round(run.ms, 1)} ms, ${round(run.bytes / MB, 2)} MB received in ${run.frames} frames`,
        );
        runs[kind].push(run);
      } catch (error) {
        // A peer that fails is left out (and said so), not a failure of ours.
        if (kind !== "wetty") throw error;
        wettyFailure = (error as Error).message;
      } finally {
        await term?.close();
      }
    }
  }
  load.push(loadavg()[0]!);
  proxy.child.kill("SIGKILL");
  await wetty?.stop();
  if (wettyFailure) {
    skipPeer("wetty", "throughput", wettyFailure);
    runs.wetty = [];
  }
  await work.tmux("kill-session", "-t", `=${SESSION}`).catch(() => undefined);

  for (const kind of kinds) {
    for (const run of runs[kind]) {
      if (run.bytes < 1024) throw new Error(`${kind} run received only ${run.bytes} bytes`);
    }
  }
  const wsMs = median(runs.ws.map((r) => r.ms));
  const ptyMs = median(runs.pty.map((r) => r.ms));
  const naiveMs = median(runs.naive.map((r) => r.ms));
  const wettyMs = runs.wetty.length ? median(runs.wetty.map((r) => r.ms)) : undefined;
  const wsBytes = median(runs.ws.map((r) => r.bytes));
  const ptyBytes = median(runs.pty.map((r) => r.bytes));
  const wsRate = median(runs.ws.map((r) => r.bytes / MB / (r.ms / 1000)));
  const ptyRate = median(runs.pty.map((r) => r.bytes / MB / (r.ms / 1000)));
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
    runs_ms: runs.ws.map((r) => round(r.ms, 1)),
    baseline_runs_ms: runs.pty.map((r) => round(r.ms, 1)),
    server_cpu_ms: runs.ws.map((r) => round(r.serverCpuMs ?? 0, 0)),
    naive: round(naiveMs, 1),
    naive_runs_ms: runs.naive.map((r) => round(r.ms, 1)),
    naive_cpu_ms: runs.naive.map((r) => round(r.serverCpuMs ?? 0, 0)),
    frames: runs.ws.map((r) => r.frames),
    naive_frames: runs.naive.map((r) => r.frames),
    ...(wettyMs !== undefined && {
      wetty: round(wettyMs, 1),
      wetty_runs_ms: runs.wetty.map((r) => round(r.ms, 1)),
      wetty_cpu_ms: runs.wetty.map((r) => round(r.serverCpuMs ?? 0, 0)),
      wetty_frames: runs.wetty.map((r) => r.frames),
    }),
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
  if (wettyMs !== undefined) {
    // WeTTY: socket.io frames batched by 2 ms / 512 KiB, a flow-control window of 2 MiB acknowledged by the client.
    emit({
      bench: "throughput",
      metric: "drain_vs_wetty",
      value: round(wsMs, 1),
      unit: "ms",
      baseline: round(wettyMs, 1),
      ratio: round(wettyMs / wsMs),
      target: "ratio (wetty_time / ws_time) >= 1.0",
      pass: wettyMs >= wsMs,
      baseline_is: "WeTTY (wetty process + its socket.io client protocol), same session and file",
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
    runs: runs.ws.map((r) => r.bytes),
    baseline_runs: runs.pty.map((r) => r.bytes),
    naive_runs: runs.naive.map((r) => r.bytes),
    ...(runs.wetty.length && { wetty_runs: runs.wetty.map((r) => r.bytes) }),
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
