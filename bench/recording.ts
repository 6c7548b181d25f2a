// Recording overhead, in one run: `/ws/tmux` with `?record=1` (the client's frames recorded as an asciicast)
// against the same endpoint without it (the baseline), alternating so machine noise hits both alike.
// - throughput: the time for `cat` of a 16 MB file to drain to the client (bench/throughput.ts's measure);
//   target: baseline_time / recorded_time >= 0.9;
// - echo: keystroke round trips into `cat` in two identical sessions, one client recorded (p50, p99);
// - cast bytes per MB of output: the cast's size over what the recorded client received.
import { join } from "node:path";
import { type Term, WsTerm, waitQuiet } from "./clients.js";
import { roundTrip } from "./echo.js";
import {
  emit,
  MB,
  median,
  newSession,
  percentile,
  progress,
  round,
  type Server,
  sleep,
  TOKEN,
  type Workspace,
} from "./harness.js";
import { makeFile, type Run, runOnce } from "./throughput.js";

const FILE_BYTES = 16 * MB;
const RUNS = 3;
const SESSION = "bench-rec-tp";
const ECHO_SAMPLES = 200;
const ECHO_BLOCK = 50;
const ECHO_GAP_MS: [number, number] = [30, 50];
const ECHO_COMMAND = "stty -icanon; exec cat >/dev/null";
const CHARS = ["x", "z", "y", "w"];

type Mode = "off" | "on";

interface RecordingRow {
  id: string;
  session: string;
  source: string;
  status: string;
  bytes: number;
}

async function api<T>(server: Server, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(server.url + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) },
  });
  if (!res.ok && res.status !== 204) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** The running client recording of `session` (the one `?record=1` just started). */
async function activeRecording(server: Server, session: string): Promise<string> {
  const { data } = await api<{ data: { recordings: RecordingRow[] } }>(server, "/api/recordings");
  const row = data.recordings.find(
    (r) => r.session === session && r.source === "client" && r.status === "recording",
  );
  if (!row) throw new Error(`no running recording of ${session}`);
  return row.id;
}

/** Waits for the recording to be closed (the client has gone) and returns its final size. */
async function finalBytes(server: Server, id: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { data } = await api<{ data: { recording: RecordingRow } }>(server, `/api/recordings/${id}`);
    if (data.recording.status !== "recording") return data.recording.bytes;
    await sleep(25);
  }
  throw new Error(`recording ${id} did not stop`);
}

const connect = (server: Server, session: string, mode: Mode) =>
  WsTerm.connect(server, session, 120, 40, mode === "on" ? "&record=1" : "");

async function sampleEcho(term: Term, count: number, into: number[], timeouts: { n: number }): Promise<void> {
  for (let i = 0; i < count; i++) {
    const ms = await roundTrip(term, CHARS[i % CHARS.length]!);
    if (ms === undefined) {
      if (++timeouts.n > 5) throw new Error("too many echo timeouts");
      await waitQuiet(term, 100, 1000);
    } else {
      into.push(ms);
    }
    await sleep(ECHO_GAP_MS[0] + Math.random() * (ECHO_GAP_MS[1] - ECHO_GAP_MS[0]));
  }
}

export async function benchRecording(work: Workspace, server: Server): Promise<void> {
  const created: string[] = [];
  try {
    await throughput(work, server, created);
    await echo(work, server, created);
  } finally {
    for (const id of created)
      await api(server, `/api/recordings/${id}`, { method: "DELETE" }).catch(() => undefined);
  }
}

async function throughput(work: Workspace, server: Server, created: string[]): Promise<void> {
  const file = join(work.dir, "recording-payload.txt");
  const size = makeFile(file, FILE_BYTES);
  await newSession(work, SESSION, "env PS1='$ ' bash --norc --noprofile");
  const runs: Record<Mode, Run[]> = { off: [], on: [] };
  const castPerMb: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const order: Mode[] = i % 2 === 0 ? ["off", "on"] : ["on", "off"];
      for (const mode of order) {
        const term = await connect(server, SESSION, mode);
        const id = mode === "on" ? await activeRecording(server, SESSION) : undefined;
        if (id) created.push(id);
        let run: Run;
        try {
          run = await runOnce(term, file, server.pid);
        } finally {
          await term.close();
        }
        runs[mode].push(run);
        let note = "";
        if (id) {
          const bytes = await finalBytes(server, id);
          castPerMb.push(bytes / (term.bytes / MB));
          note = `, cast ${round(bytes / MB, 2)} MB for ${round(term.bytes / MB, 2)} MB received`;
        }
        progress(`recording throughput ${mode} #${i + 1}: ${round(run.ms, 1)} ms${note}`);
      }
    }
  } finally {
    await work.tmux("kill-session", "-t", `=${SESSION}`).catch(() => undefined);
  }
  const onMs = median(runs.on.map((r) => r.ms));
  const offMs = median(runs.off.map((r) => r.ms));
  const ratio = offMs / onMs;
  emit({
    bench: "recording",
    metric: "throughput_drain_time",
    value: round(onMs, 1),
    unit: "ms",
    baseline: round(offMs, 1),
    ratio: round(ratio),
    target: "ratio (time without recording / time with) >= 0.9",
    pass: ratio >= 0.9,
    file_bytes: size,
    runs_ms: runs.on.map((r) => round(r.ms, 1)),
    baseline_runs_ms: runs.off.map((r) => round(r.ms, 1)),
    server_cpu_ms: runs.on.map((r) => round(r.serverCpuMs ?? 0, 0)),
    baseline_server_cpu_ms: runs.off.map((r) => round(r.serverCpuMs ?? 0, 0)),
  });
  emit({
    bench: "recording",
    metric: "cast_bytes_per_mb_output",
    value: Math.round(median(castPerMb)),
    unit: "bytes/MB",
    baseline: MB,
    ratio: round(median(castPerMb) / MB),
    runs: castPerMb.map((v) => Math.round(v)),
    workload: "cat of base64 lines through tmux",
  });
}

async function echo(work: Workspace, server: Server, created: string[]): Promise<void> {
  const sessions: Record<Mode, string> = { off: "bench-rec-echo-off", on: "bench-rec-echo-on" };
  const terms: Partial<Record<Mode, Term>> = {};
  const samples: Record<Mode, number[]> = { off: [], on: [] };
  const timeouts = { n: 0 };
  try {
    for (const mode of ["off", "on"] as const) {
      await newSession(work, sessions[mode], ECHO_COMMAND);
      terms[mode] = await connect(server, sessions[mode], mode);
      if (mode === "on") created.push(await activeRecording(server, sessions.on));
      await waitQuiet(terms[mode]!, 300, 5000);
      await sampleEcho(terms[mode]!, 20, [], timeouts);
    }
    for (let done = 0; done < ECHO_SAMPLES; done += ECHO_BLOCK) {
      for (const mode of ["off", "on"] as const)
        await sampleEcho(terms[mode]!, ECHO_BLOCK, samples[mode], timeouts);
    }
  } finally {
    for (const mode of ["off", "on"] as const) {
      await terms[mode]?.close();
      await work.tmux("kill-session", "-t", `=${sessions[mode]}`).catch(() => undefined);
    }
  }
  for (const mode of ["off", "on"] as const) {
    if (samples[mode].length < ECHO_SAMPLES * 0.95)
      throw new Error(`echo ${mode}: only ${samples[mode].length}`);
  }
  const p50 = percentile(samples.on, 50);
  const b50 = percentile(samples.off, 50);
  const p99 = percentile(samples.on, 99);
  const b99 = percentile(samples.off, 99);
  progress(
    `recording echo: on p50 ${round(p50)} p99 ${round(p99)} ms; off p50 ${round(b50)} p99 ${round(b99)} ms`,
  );
  emit({
    bench: "recording",
    metric: "echo_p50",
    value: round(p50),
    unit: "ms",
    baseline: round(b50),
    ratio: round(p50 / b50),
    samples: samples.on.length,
    baseline_samples: samples.off.length,
    timeouts: timeouts.n,
  });
  emit({
    bench: "recording",
    metric: "echo_p99",
    value: round(p99),
    unit: "ms",
    baseline: round(b99),
    ratio: round(p99 / b99),
  });
}
