// Recovery cost, in-process against its own private tmux server (it kills that server): a workspace of 10 sessions
// × 5 panes (two windows of 3 and 2 panes, every pane in its own directory).
// - snapshot cost per collect (CPU ms of this process, wall ms, tmux calls), in steady state (nothing changed):
//   from the watchtower projection (the server's normal path) and from tmux's listings (its fallback, the
//   baseline), plus the seed's per-session listing (list-sessions, then list-windows and list-panes per session)
//   timed the same way for comparison;
// - restore time for the whole workspace after `kill-server`: ten restore jobs through the recovery service
//   (job rows, progress and events included), against the baseline of building the same workspace with plain
//   tmux commands at the start of the run.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import type { SessionSnapshot } from "../src/protocol/recovery.js";
import { loadConfig } from "../src/server/config.js";
import { EventHub } from "../src/server/events/hub.js";
import { collectOnce } from "../src/server/recovery/collector.js";
import { layoutGeometry } from "../src/server/recovery/layout.js";
import { Recovery } from "../src/server/recovery/service.js";
import { Store } from "../src/server/store/database.js";
import { openTmuxRepos } from "../src/server/store/repositories.js";
import { Tmux } from "../src/server/tmux/adapter.js";
import { Watchtower } from "../src/server/watchtower/engine.js";
import { createWorkspace, emit, median, progress, round, sleep, type Workspace } from "./harness.js";

const SESSIONS = 10;
const WINDOW_PANES = [3, 2];
const COLLECTS = 20;
const SHELL = "/bin/sh";

class CountingTmux extends Tmux {
  calls = 0;
  override run(args: string[], timeoutMs?: number): Promise<string> {
    this.calls++;
    return super.run(args, timeoutMs);
  }
}

const silent = {
  level: "silent",
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silent;
  },
} as unknown as FastifyBaseLogger;

const sessionName = (i: number) => `rec-${String(i).padStart(2, "0")}`;

/** Builds the workspace with plain tmux commands; returns how long that took (the restore baseline). */
async function build(work: Workspace): Promise<number> {
  const started = performance.now();
  for (let s = 0; s < SESSIONS; s++) {
    const name = sessionName(s);
    const dir = (w: number, p: number) => {
      const path = join(work.dir, "ws", name, `w${w}p${p}`);
      mkdirSync(path, { recursive: true });
      return path;
    };
    await work.tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", dir(0, 0), SHELL);
    if (s === 0) await work.tmux("set-option", "-g", "default-command", SHELL);
    for (const [w, panes] of WINDOW_PANES.entries()) {
      if (w > 0) await work.tmux("new-window", "-d", "-t", `=${name}:${w}`, "-c", dir(w, 0));
      for (let p = 1; p < panes; p++) {
        await work.tmux("split-window", "-d", "-t", `=${name}:${w}`, p % 2 ? "-h" : "-v", "-c", dir(w, p));
      }
    }
  }
  return performance.now() - started;
}

interface Sample {
  cpuMs: number;
  wallMs: number;
  calls: number;
}

async function measure(tmux: CountingTmux, fn: () => Promise<unknown>): Promise<Sample> {
  const calls = tmux.calls;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs, calls: tmux.calls - calls };
}

function report(metric: string, samples: Sample[], baseline?: Sample[], extra: Record<string, unknown> = {}) {
  const cpu = median(samples.map((s) => s.cpuMs));
  const base = baseline ? median(baseline.map((s) => s.cpuMs)) : undefined;
  emit({
    bench: "recovery",
    metric: `${metric}_cpu_ms`,
    value: round(cpu),
    unit: "ms",
    ...(base !== undefined ? { baseline: round(base), ratio: round(cpu / base) } : {}),
    wall_ms_p50: round(median(samples.map((s) => s.wallMs))),
    tmux_calls: median(samples.map((s) => s.calls)),
    ...(baseline ? { baseline_tmux_calls: median(baseline.map((s) => s.calls)) } : {}),
    sessions: SESSIONS,
    panes: SESSIONS * WINDOW_PANES.reduce((a, b) => a + b, 0),
    samples: samples.length,
    ...extra,
  });
}

export async function benchRecovery(): Promise<void> {
  const work = createWorkspace();
  const buildMs = await build(work);
  progress(`recovery: workspace built in ${round(buildMs, 1)} ms`);
  const config = loadConfig({ dataDir: join(work.dir, "data"), tmuxSocket: work.socket }, { HOME: work.dir });
  config.watchtower.mode = "poll";
  const store = Store.open(join(config.dataDir, "sentinel.db"));
  const tmux = new CountingTmux({ socketPath: work.socket });
  const events = new EventHub();
  const repos = openTmuxRepos(store);
  const watchtower = new Watchtower({ repos, tmux, events, log: silent, config: config.watchtower });
  const recovery = new Recovery({
    store,
    tmux,
    events,
    log: silent,
    config: config.recovery,
    projection: repos.projection,
    projectionCurrent: () => true,
  });
  try {
    // One watchtower collect fills the projection; closed at once, so its timers do not run during the figures.
    await watchtower.collectNow();
    watchtower.close();
    const deps = (fromProjection: boolean) => ({
      store,
      repo: recovery.repo,
      tmux,
      projection: repos.projection,
      projectionCurrent: () => fromProjection,
      readBootId: async () => "bench-boot",
      maxSnapshots: 300,
    });
    // The first collect stores every session's snapshot; the ones measured find nothing changed.
    const first = await collectOnce(deps(true));
    if (first.changed.length !== SESSIONS) throw new Error(`first collect stored ${first.changed.length}`);
    const projection: Sample[] = [];
    const fromTmux: Sample[] = [];
    const seed: Sample[] = [];
    for (let i = 0; i < COLLECTS; i++) {
      projection.push(await measure(tmux, () => collectOnce(deps(true))));
      fromTmux.push(await measure(tmux, () => collectOnce(deps(false))));
      seed.push(
        await measure(tmux, async () => {
          const sessions = await tmux.listSessions();
          for (const s of sessions) await Promise.all([tmux.listWindows(s.name), tmux.listPanes(s.name)]);
        }),
      );
    }
    const stored = recovery.repo.snapshots(sessionName(0), 300).length;
    report("collect_from_projection", projection, fromTmux, { snapshots_stored_per_session: stored });
    report("collect_from_tmux", fromTmux);
    report("seed_per_session_listing", seed);

    // Restore: the tmux server dies, a new one runs, every session comes back through a restore job.
    const snapshots = recovery.repo
      .sessions()
      .map((s) => recovery.snapshot(s.latestSnapshotId)!)
      .sort((a, b) => a.payload.sessionName.localeCompare(b.payload.sessionName));
    await work.tmux("kill-server");
    // The old server may still be going away on the socket: retry the new one for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await work.tmux("new-session", "-d", "-s", "scratch", SHELL);
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await sleep(100);
      }
    }
    await work.tmux("set-option", "-g", "default-command", SHELL);
    const calls = tmux.calls;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const jobs = snapshots.map(
      (s) =>
        recovery.startRestore(s.meta.id, { mode: "safe", conflictPolicy: "rename", targetSession: "" }).id,
    );
    for (;;) {
      const open = jobs.filter((id) => {
        const status = recovery.job(id)?.status;
        return status !== "succeeded" && status !== "failed";
      });
      if (!open.length) break;
      await sleep(5);
    }
    const restoreMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const failed = jobs.map((id) => recovery.job(id)!).filter((j) => j.status !== "succeeded");
    if (failed.length) throw new Error(`restores failed: ${failed.map((j) => j.error).join("; ")}`);
    // What tmux shows must be what was snapshotted (pane counts and layout geometry per window).
    for (const { payload } of snapshots)
      check(
        payload,
        await work.tmux(
          "list-windows",
          "-t",
          `=${payload.sessionName}`,
          "-F",
          "#{window_index}|#{window_panes}|#{window_layout}",
        ),
      );
    emit({
      bench: "recovery",
      metric: "restore_workspace_ms",
      value: round(restoreMs, 1),
      unit: "ms",
      baseline: round(buildMs, 1),
      ratio: round(restoreMs / buildMs),
      baseline_is: "building the same workspace with plain tmux commands",
      per_session_ms: round(restoreMs / SESSIONS, 1),
      cpu_ms: round((used.user + used.system) / 1000, 1),
      tmux_calls: tmux.calls - calls,
      sessions: SESSIONS,
      panes: SESSIONS * WINDOW_PANES.reduce((a, b) => a + b, 0),
    });
  } finally {
    await recovery.close();
    watchtower.close();
    store.close();
  }
}

function check(snapshot: SessionSnapshot, listing: string): void {
  const got = listing
    .trim()
    .split("\n")
    .map((line) => {
      const [index, panes, layout] = line.split("|");
      return `${index}:${panes}:${layoutGeometry(layout!)}`;
    });
  const want = snapshot.windows.map((w) => `${w.index}:${w.panes}:${layoutGeometry(w.layout)}`);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(
      `${snapshot.sessionName} restored as ${JSON.stringify(got)}, not ${JSON.stringify(want)}`,
    );
  }
}
