// Keystroke echo round trip: one printable character at a time into a session running `cat` (the tty echoes
// it), timed until the character comes back in the output. `/ws/tmux` against a plain node-pty `tmux attach`
// (the baseline), each on its own identical session, measured in alternating blocks so machine noise hits both
// alike. A third, informational client goes through bench/referenceProxy.ts, the smallest possible WebSocket
// proxy, to show which part of the difference is just the extra process and socket hop.
import { PtyTerm, type Term, WsTerm, waitQuiet } from "./clients.js";
import {
  emit,
  newSession,
  percentile,
  progress,
  round,
  type Server,
  sleep,
  type Workspace,
} from "./harness.js";
import { startReferenceProxy } from "./referenceProxy.js";

const WARMUP = 20;
const SAMPLES = 200;
const BLOCK = 50;
// Pause between keys: 30–50 ms, jittered (fast typing or key repeat, ~20–33 keys/s).
const TYPING_GAP_MS: [number, number] = [30, 50];
// An extra, informational pass with 2–6 ms between keys (a burst far faster than anyone types), where output
// coalescing shows up.
const BURST_GAP_MS: [number, number] = [2, 6];
const BURST_SAMPLES = 100;
const SAMPLE_TIMEOUT_MS = 2000;
const MAX_TIMEOUTS = 5;
// Letters that are no final byte of the escape sequences tmux sends around a plain echo.
const CHARS = ["x", "z", "y", "w"];
const COMMAND = "stty -icanon; exec cat >/dev/null"; // non-canonical: cat takes every key, the tty echoes it

const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[^[\]()]/g;

const stripEscapes = (text: string) => text.replace(ESCAPES, "");

type Label = "ws" | "pty" | "reference_proxy";

interface Subject {
  label: Label;
  session: string;
  term?: Term;
  typing: number[];
  burst: number[];
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
  gap: [number, number],
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
    await sleep(gap[0] + Math.random() * (gap[1] - gap[0]));
  }
}

export async function benchEcho(work: Workspace, server: Server): Promise<void> {
  const subjects: Subject[] = (["ws", "pty", "reference_proxy"] as const).map((label) => ({
    label,
    session: `bench-echo-${label.replace("_", "-")}`,
    typing: [],
    burst: [],
  }));
  const [ws, pty, ref] = subjects as [Subject, Subject, Subject];
  const state = { timeouts: 0 };
  try {
    for (const s of subjects) await newSession(work, s.session, COMMAND);
    const proxy = await startReferenceProxy(work.socket);
    ws.term = await WsTerm.connect(server, ws.session);
    pty.term = await PtyTerm.connect(work, pty.session);
    ref.term = await WsTerm.connect(proxy, ref.session);
    for (const s of subjects) {
      await waitQuiet(s.term!, 300, 5000);
      await sample(s, WARMUP, [], state, TYPING_GAP_MS);
    }
    for (let done = 0; done < SAMPLES; done += BLOCK) {
      for (const s of subjects) await sample(s, BLOCK, s.typing, state, TYPING_GAP_MS);
    }
    for (const s of subjects) await sample(s, BURST_SAMPLES, s.burst, state, BURST_GAP_MS);
    for (const s of subjects) {
      if (s.term!.errors.length) throw new Error(`${s.label} client errors: ${s.term!.errors.join("; ")}`);
    }
  } finally {
    for (const s of subjects) {
      await s.term?.close();
      await work.tmux("kill-session", "-t", `=${s.session}`).catch(() => undefined);
    }
  }
  for (const s of subjects) {
    if (s.typing.length < SAMPLES * 0.95) throw new Error(`${s.label}: only ${s.typing.length} samples`);
  }

  const p50 = percentile(ws.typing, 50);
  const p99 = percentile(ws.typing, 99);
  const b50 = percentile(pty.typing, 50);
  const b99 = percentile(pty.typing, 99);
  const r50 = percentile(ref.typing, 50);
  const r99 = percentile(ref.typing, 99);
  progress(
    `echo: ws p50 ${round(p50)} p99 ${round(p99)} ms; pty p50 ${round(b50)} p99 ${round(b99)} ms; ` +
      `reference proxy p50 ${round(r50)} p99 ${round(r99)} ms`,
  );
  const common = {
    gap_ms: TYPING_GAP_MS,
    samples: ws.typing.length,
    baseline_samples: pty.typing.length,
    timeouts: state.timeouts,
  };
  emit({
    bench: "echo",
    metric: "p50",
    value: round(p50),
    unit: "ms",
    baseline: round(b50),
    ratio: round(p50 / b50),
    target: "<= 2 ms",
    pass: p50 <= 2,
    ...common,
  });
  emit({
    bench: "echo",
    metric: "p99",
    value: round(p99),
    unit: "ms",
    baseline: round(b99),
    ratio: round(p99 / b99),
    target: "<= 10 ms",
    pass: p99 <= 10,
    max: round(Math.max(...ws.typing)),
    baseline_max: round(Math.max(...pty.typing)),
    ...common,
  });
  emit({
    bench: "echo",
    metric: "p50_ratio",
    value: round(p50 / b50),
    unit: "x",
    baseline: 1,
    ratio: round(p50 / b50),
    target: "ws p50 / baseline p50 <= 1.5",
    pass: p50 / b50 <= 1.5,
  });
  // Informational: the same keys through the minimal reference proxy (the floor for any Node WebSocket hop).
  emit({
    bench: "echo",
    metric: "p50_reference_proxy",
    value: round(r50),
    unit: "ms",
    baseline: round(b50),
    ratio: round(r50 / b50),
    p99: round(r99),
    server_p50_over_reference: round(p50 / r50),
    samples: ref.typing.length,
  });
  // Informational: keys 2–6 ms apart.
  emit({
    bench: "echo",
    metric: "p50_burst_2_6ms_gaps",
    value: round(percentile(ws.burst, 50)),
    unit: "ms",
    baseline: round(percentile(pty.burst, 50)),
    ratio: round(percentile(ws.burst, 50) / percentile(pty.burst, 50)),
    p99: round(percentile(ws.burst, 99)),
    baseline_p99: round(percentile(pty.burst, 99)),
    reference_proxy_p50: round(percentile(ref.burst, 50)),
    samples: ws.burst.length,
    baseline_samples: pty.burst.length,
  });
}
