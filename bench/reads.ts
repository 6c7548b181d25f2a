// Reads under load (issue 17): `GET /api/tmux/sessions` with 10 sessions at 200 concurrent clients for 10 s
// (autocannon), beside `GET /api/meta` (no tmux, no store) under the same load in the same run. Besides the
// request rate and the p99 latency, it counts the store's committed write transactions during each window from
// the SQLite file's change counter (header bytes 24-27, bumped by every commit that changed the file), with the
// server's timed writers off: a read that collects and finds a change, or syncs, shows up there.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import {
  createWorkspace,
  emit,
  newSession,
  progress,
  round,
  type Server,
  sleep,
  startServer,
  TOKEN,
} from "./harness.js";

const SESSIONS = 10;
const CONNECTIONS = 200;
const DURATION_S = 10;
const PREFIX = "rd";
/** Quiet panes: a shell that reads no rc file (a user's rc could print, or start slowly). */
const SHELL = "env PS1='$ ' bash --norc --noprofile";

/** The SQLite file change counter (bumped by each committed write transaction, rollback-journal mode). */
function changeCounter(dbPath: string): number {
  return readFileSync(dbPath).readUInt32BE(24);
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
  commits: number;
}

async function load(server: Server, dbPath: string, path: string): Promise<Load> {
  const before = changeCounter(dbPath);
  const result = await autocannon({
    url: server.url + path,
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const commits = changeCounter(dbPath) - before;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
    commits,
  };
}

async function api<T>(server: Server, path: string): Promise<T> {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return ((await response.json()) as { data: T }).data;
}

export async function benchReads(): Promise<void> {
  const work = createWorkspace();
  for (let s = 0; s < SESSIONS; s++) await newSession(work, `${PREFIX}${s}`, SHELL);
  const dataDir = join(work.dir, "reads-data");
  const server = await startServer(
    work,
    10_000,
    {
      SENTINEL_LOG_LEVEL: "warn",
      // The per-address limit (6000 a minute by default) would answer most of one load generator's requests 429.
      SENTINEL_RATE_LIMIT_PER_MINUTE: "100000000",
      // Nothing writes on a timer (the full collect's counters, recovery's snapshots): every commit counted in a
      // window is the load's.
      SENTINEL_WATCHTOWER_SAFETY_INTERVAL: "1h",
      SENTINEL_RECOVERY_ENABLED: "false",
    },
    dataDir,
  );
  const dbPath = join(dataDir, "sentinel.db");
  try {
    // Served from the projection once the first collect listed every session.
    for (let i = 0; ; i++) {
      const stats = await api<{ collectTotal: number }>(server, "/api/tmux/activity/stats");
      const { sessions } = await api<{ sessions: unknown[] }>(server, "/api/tmux/sessions");
      if (stats.collectTotal > 0 && sessions.length === SESSIONS) break;
      if (i > 100) throw new Error("the server does not list every session");
      await sleep(100);
    }
    await sleep(2000);
    progress(`reads: GET /api/meta, ${CONNECTIONS} clients, ${DURATION_S} s`);
    const meta = await load(server, dbPath, "/api/meta");
    progress(`reads: GET /api/tmux/sessions, ${CONNECTIONS} clients, ${DURATION_S} s`);
    const sessions = await load(server, dbPath, "/api/tmux/sessions");
    const extraCommits = Math.max(0, sessions.commits - meta.commits);
    const perRead = sessions.requests ? extraCommits / sessions.requests : Number.NaN;
    const common = { bench: "reads", sessions: SESSIONS, connections: CONNECTIONS, seconds: DURATION_S };
    emit({
      ...common,
      metric: "sessions_req_per_s",
      value: round(sessions.rps, 0),
      unit: "req/s",
      baseline: round(meta.rps, 0),
      ratio: round(sessions.rps / meta.rps),
      target: ">= 3000",
      pass: sessions.rps >= 3000,
      failed: sessions.failed,
      baselineFailed: meta.failed,
    });
    emit({
      ...common,
      metric: "sessions_latency_p99",
      value: sessions.p99,
      unit: "ms",
      baseline: meta.p99,
      p50: sessions.p50,
      baselineP50: meta.p50,
      target: "<= 200",
      pass: sessions.p99 <= 200 && sessions.failed === 0,
    });
    emit({
      ...common,
      metric: "store_commits_per_read",
      value: round(perRead, 4),
      unit: "commits",
      commits: sessions.commits,
      baseline: meta.commits,
      requests: sessions.requests,
      target: "0 (commits beyond the same-length /api/meta window)",
      pass: extraCommits === 0,
    });
  } finally {
    await server.stop();
  }
}
