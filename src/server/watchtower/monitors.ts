// One tmux control-mode client per watched session (ADR 0004). tmux sends a control client `%output` only for
// panes of the session it is attached to, and structure notices (`%window-add`, `%sessions-changed`,
// `%unlinked-window-*`, …) for every session. Each pane that writes is paused for its client
// (`refresh-client -A %N:pause`) until the next collect continues it, so a pane that prints continuously costs
// one notice per collect, not its whole output. (Not `off`/`on`: tmux 3.3a's server crashes, SIGSEGV, when a
// pane switched off is switched on again while it writes; pause/continue discards the same way and does not.)
import { existsSync, readFileSync } from "node:fs";
import type { FastifyBaseLogger } from "fastify";
import { isProcessAlive } from "../pidAlive.js";
import type { Tmux } from "../tmux/adapter.js";
import type { ControlClient } from "../tmux/control.js";
import type { TmuxRunner } from "../tmux/queries.js";

export interface MonitorHandlers {
  /** A pane of `session` wrote output. */
  output(paneId: string, session: string): void;
  /** Windows, panes, sessions or clients changed somewhere (names, layout, add, close…). */
  structure(reason: string): void;
  /** A client for `session` is up: what its panes wrote before it was watched needs a capture. */
  watched(session: string): void;
}

interface Monitor {
  client: ControlClient;
  session: string;
  /** Panes paused on this client since the last resume. */
  paused: Set<string>;
  startedAt: number;
  /** tmux has answered this client's first command: it is past its identify handshake. */
  ready: boolean;
}

/** Notices that do not change what the watchtower projects. */
const IGNORED = new Set([
  "session-changed",
  "exit",
  "message",
  "config-error",
  "pause",
  "continue",
  "subscription-changed",
]);

export const MONITOR_FLAGS = ["ignore-size", "read-only"];
/**
 * The TERM of every watchtower client, `sentinel-watchtower-<pid of its server>`: tmux lists it as
 * `client_termname`, so the clients of any Sentinel server on this tmux server are recognised (and not counted
 * as attached), and those left behind by a server that died are found and removed.
 */
export const MONITOR_TERM_PREFIX = "sentinel-watchtower";
export const monitorTerm = (ownerPid = process.pid) => `${MONITOR_TERM_PREFIX}-${ownerPid}`;

/** The server process a watchtower client's TERM names, if it is one. */
export function monitorOwner(term: string): number | undefined {
  const m = /^sentinel-watchtower-(\d+)$/.exec(term);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether `pid` may be a tmux client process. Where /proc is readable (Linux) its command name must be tmux's: a
 * pid reported by a tmux server in another PID namespace must never kill an unrelated process here.
 */
function isTmuxProcess(pid: number): boolean {
  let comm: string;
  try {
    comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch (error) {
    // No /proc (macOS, BSD): tmux named the pid as its client's; ENOENT on Linux: it is gone already.
    return (error as NodeJS.ErrnoException).code !== "ENOENT" || !existsSync("/proc/self/comm");
  }
  return comm.startsWith("tmux");
}

/**
 * Kills the tmux client processes of watchtower clients whose server is gone (a server killed with SIGKILL
 * cannot stop its own). Such a client may never leave on its own: tmux 3.3a can wait forever to flush output
 * that nobody reads, and then even `kill-server` cannot finish. Returns how many were removed.
 */
export function removeOrphans(clients: Array<{ term: string; pid: number }>): number {
  let removed = 0;
  for (const c of clients) {
    const owner = monitorOwner(c.term);
    if (owner === undefined || owner === process.pid || isProcessAlive(owner)) continue;
    if (!Number.isInteger(c.pid) || c.pid <= 0 || !isTmuxProcess(c.pid)) continue;
    try {
      process.kill(c.pid, "SIGKILL");
      removed++;
    } catch {
      // Already gone, or not ours to kill.
    }
  }
  return removed;
}

/** A new session is watched once it is this old (ms)… */
const ATTACH_SETTLE_MS = 500;
/** …and tmux has sent no broadcast notice for this long… */
const ATTACH_QUIET_MS = 300;
/** …or, at the latest, once it is this old. */
const ATTACH_MAX_WAIT_MS = 3000;

export class Monitors {
  private readonly monitors = new Map<string, Monitor>();
  /** Sessions whose client ended on its own: when it may be started again, and how many times in a row. */
  private readonly backoff = new Map<string, { until: number; failures: number }>();
  private closed = false;
  private lastLive: Array<{ name: string; destroyUnattached: boolean }> = [];
  /** When a session was first wanted, and when any client last saw a broadcast notice. */
  private readonly firstWanted = new Map<string, number>();
  private lastNoticeAt = 0;
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tmux: Tmux,
    private readonly handlers: MonitorHandlers,
    private readonly log: FastifyBaseLogger,
    private readonly maxMonitors: number,
  ) {}

  get size(): number {
    return this.monitors.size;
  }

  /** Sessions being watched. */
  sessions(): string[] {
    return [...this.monitors.keys()];
  }

  /** tmux's names of the watchtower's own clients (`client-<pid>`), not counted as attached. */
  clientNames(): Set<string> {
    const names = new Set<string>();
    for (const m of this.monitors.values())
      if (m.client.pid !== undefined) names.add(`client-${m.client.pid}`);
    return names;
  }

  /** A command channel to the tmux server through one of the clients, if any is up. */
  runner(): TmuxRunner | undefined {
    for (const m of this.monitors.values()) {
      if (m.client.isOpen) {
        const client = m.client;
        return (args, timeoutMs) => client.command(args, timeoutMs);
      }
    }
    return undefined;
  }

  /**
   * Watches exactly the live sessions (at most `maxMonitors`), except those with `destroy-unattached` (a client
   * would keep them alive) and those backing off after their client ended.
   */
  sync(live: Array<{ name: string; destroyUnattached: boolean }>): void {
    if (this.closed) return;
    this.lastLive = live;
    const wanted = new Set<string>();
    for (const s of live) if (!s.destroyUnattached) wanted.add(s.name);
    for (const [session, m] of this.monitors) {
      if (!wanted.has(session)) {
        this.monitors.delete(session);
        m.client.close("session no longer watched");
      }
    }
    for (const name of [...this.backoff.keys()]) if (!wanted.has(name)) this.backoff.delete(name);
    for (const name of [...this.firstWanted.keys()]) if (!wanted.has(name)) this.firstWanted.delete(name);
    const now = Date.now();
    for (const name of wanted) if (!this.firstWanted.has(name)) this.firstWanted.set(name, now);
    // One client attaches at a time: the next starts once tmux has answered the last (see start()).
    if ([...this.monitors.values()].some((m) => !m.ready)) return;
    let wait = Number.POSITIVE_INFINITY;
    for (const session of wanted) {
      if (this.monitors.size >= this.maxMonitors) break;
      if (this.monitors.has(session)) continue;
      const b = this.backoff.get(session);
      if (b && b.until > now) continue;
      const delay = this.attachDelay(session, now);
      if (delay > 0) {
        wait = Math.min(wait, delay);
        continue;
      }
      this.start(session);
      return;
    }
    if (Number.isFinite(wait) && !this.quietTimer) {
      this.quietTimer = setTimeout(() => {
        this.quietTimer = undefined;
        this.sync(this.lastLive);
      }, wait);
      this.quietTimer.unref();
    }
  }

  /**
   * How long to hold a client back. tmux 3.3a–3.5a crash when a notice reaches a control client in its identify
   * handshake (tmux PR #4980), and notices come in bursts: a script that makes sessions and then renames, splits
   * and configures them. So a session is watched once it has existed for a moment and no notice has been seen
   * for a while; past a limit it is watched anyway. Its panes are captured when it is (see `watched`).
   */
  private attachDelay(session: string, now: number): number {
    const since = now - (this.firstWanted.get(session) ?? now);
    if (since >= ATTACH_MAX_WAIT_MS) return 0;
    return Math.max(0, ATTACH_SETTLE_MS - since, ATTACH_QUIET_MS - (now - this.lastNoticeAt));
  }

  /** Continues every pane paused since the last call, and waits until tmux has done it. */
  async resume(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const m of this.monitors.values()) {
      if (m.paused.size === 0 || !m.client.isOpen) continue;
      const args = ["refresh-client"];
      for (const pane of m.paused) args.push("-A", `${pane}:continue`);
      m.paused.clear();
      pending.push(m.client.command(args).catch(() => undefined));
    }
    await Promise.all(pending);
  }

  close(): void {
    this.closed = true;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    for (const m of this.monitors.values()) m.client.close("server shutting down");
    this.monitors.clear();
  }

  private start(session: string): void {
    const client = this.tmux.openControl(session, MONITOR_FLAGS, monitorTerm());
    const monitor: Monitor = { client, session, paused: new Set(), startedAt: Date.now(), ready: false };
    this.monitors.set(session, monitor);
    // Attaching clients one by one keeps at most one of them in its identify handshake at any time, the window
    // in which tmux 3.3a–3.5a crash when a notification reaches a control client (tmux PR #4980).
    const next = () => {
      if (monitor.ready) return;
      monitor.ready = true;
      if (this.monitors.get(session) === monitor) this.handlers.watched(session);
      this.sync(this.lastLive);
    };
    client.command(["display-message", "-p", "ready"]).then(next, next);
    client.on("output", (paneId) => {
      if (!monitor.paused.has(paneId)) {
        monitor.paused.add(paneId);
        client.command(["refresh-client", "-A", `${paneId}:pause`]).catch(() => undefined);
      }
      this.handlers.output(paneId, session);
    });
    client.on("notification", (name, args) => {
      // %pause/%continue and the like answer this client's own commands; they are not broadcasts.
      if (!IGNORED.has(name)) this.lastNoticeAt = Date.now();
      // A client moved to another session (its own was destroyed with detach-on-destroy off) is not needed.
      if (name === "session-changed" && args.split(" ").slice(1).join(" ") !== session) {
        client.close("moved to another session");
        return;
      }
      if (!IGNORED.has(name)) this.handlers.structure(name);
    });
    client.on("exit", (reason) => {
      if (this.monitors.get(session) === monitor) this.monitors.delete(session);
      if (this.closed) return;
      const lived = Date.now() - monitor.startedAt;
      const failures = lived < 5000 ? (this.backoff.get(session)?.failures ?? 0) + 1 : 1;
      this.backoff.set(session, {
        until: Date.now() + Math.min(30_000, 250 * 2 ** (failures - 1)),
        failures,
      });
      this.log.debug({ session, reason }, "watchtower: control client ended");
      this.handlers.structure("monitor-exit");
    });
  }
}
