// `npm run bench`: every benchmark in sequence against the built server (dist/server.js), each figure as one
// JSON line on stdout with its baseline measured in the same run; progress on stderr. Names on the command line
// pick a subset: `node --import tsx bench/run.ts echo memory`. The peers (WeTTY, VibeTunnel: bench/peers/) are
// measured beside ours in echo, throughput and memory, installed on first use; `--no-peers` (or
// SENTINEL_BENCH_PEERS=0) leaves them out.
// Everything runs on a private tmux socket in a temp dir that is killed and removed at the end, even on failure.
import { existsSync } from "node:fs";
import { benchActivity } from "./activity.js";
import { benchColdStart } from "./coldStart.js";
import { benchEcho } from "./echo.js";
import { benchFanout } from "./fanout.js";
import {
  cleanupAll,
  createWorkspace,
  emit,
  progress,
  SERVER_JS,
  type Server,
  startServer,
  type Workspace,
  withTimeout,
} from "./harness.js";
import { benchMemory } from "./memory.js";
import { disablePeers } from "./peers/install.js";
import { benchReads } from "./reads.js";
import { benchRecording } from "./recording.js";
import { benchRecovery } from "./recovery.js";
import { benchThroughput } from "./throughput.js";

const TOTAL_DEADLINE_MS = 1_680_000;

interface Bench {
  name: string;
  timeoutMs: number;
  /** Whether it wants a fresh server of its own (memory figures must not carry earlier runs' state). */
  freshServer: boolean;
  /** Starts its own servers (with its own environment): gets none. */
  selfServed?: boolean;
  run(work: Workspace, server: Server | undefined): Promise<void>;
}

const BENCHES: Bench[] = [
  // 21 drains of 32 MB (35 with the peers): ~140 s here, over 200 s when the machine is loaded (load average 20+).
  { name: "throughput", timeoutMs: 500_000, freshServer: false, run: (w, s) => benchThroughput(w, s!) },
  // Three typing rates x 200 keys x 4 clients (6 with the peers): ~3-5 minutes, most of it the 150 ms pauses.
  { name: "echo", timeoutMs: 540_000, freshServer: false, run: (w, s) => benchEcho(w, s!) },
  { name: "memory", timeoutMs: 150_000, freshServer: true, run: (w, s) => benchMemory(w, s!) },
  {
    name: "cold_start",
    timeoutMs: 60_000,
    freshServer: false,
    selfServed: true,
    run: (w) => benchColdStart(w),
  },
  { name: "fanout", timeoutMs: 90_000, freshServer: false, selfServed: true, run: (w) => benchFanout(w) },
  { name: "recording", timeoutMs: 120_000, freshServer: false, run: (w, s) => benchRecording(w, s!) },
  { name: "recovery", timeoutMs: 120_000, freshServer: false, selfServed: true, run: () => benchRecovery() },
  // 10 s of /api/meta, then 10 s of /api/tmux/sessions, 200 clients each, on a server and tmux of its own.
  { name: "reads", timeoutMs: 90_000, freshServer: false, selfServed: true, run: () => benchReads() },
  // ~4 minutes of latencies and CPU windows, then ~2 more of writes while a terminal types (up to 10 s each).
  {
    name: "activity",
    timeoutMs: 480_000,
    freshServer: false,
    selfServed: true,
    run: () => benchActivity(),
  },
];

async function main(): Promise<number> {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run npm run build`);
  const args = process.argv.slice(2);
  if (args.includes("--no-peers")) disablePeers();
  const wanted = args.filter((a) => a !== "--no-peers");
  const unknown = wanted.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(", ")}`);
  const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES;

  const work = createWorkspace();
  progress(`workspace ${work.dir}`);
  let shared: Server | undefined;
  let failures = 0;
  for (const bench of selected) {
    const started = performance.now();
    progress(`${bench.name}: start`);
    let own: Server | undefined;
    try {
      let server: Server | undefined;
      if (!bench.selfServed) {
        if (bench.freshServer) server = own = await startServer(work);
        else server = shared ??= await startServer(work);
      }
      await withTimeout(bench.run(work, server), bench.timeoutMs, bench.name);
    } catch (error) {
      failures++;
      const message = (error as Error).message;
      progress(`${bench.name}: FAILED: ${message}`);
      emit({ bench: bench.name, metric: "error", value: Number.NaN, unit: "", pass: false, error: message });
      // A broken shared server would spoil the next benchmark: start another one.
      if (shared) {
        progress(`server log tail:\n${shared.logTail().slice(-2000)}`);
        await shared.stop();
        shared = undefined;
      }
    } finally {
      if (own) await own.stop();
    }
    progress(`${bench.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (shared) await shared.stop();
  return failures ? 1 : 0;
}

let finishing = false;
async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await cleanupAll();
  }
  process.exit(code);
}

const deadline = setTimeout(() => {
  progress(`total deadline of ${TOTAL_DEADLINE_MS / 1000} s passed: aborting`);
  void finish(2);
}, TOTAL_DEADLINE_MS);
deadline.unref();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void finish(130);
  });
}

main().then(
  (code) => finish(code),
  (error) => {
    progress(`fatal: ${(error as Error).stack ?? error}`);
    return finish(1);
  },
);
