// `session.activity` ops timeline entries (spec §4.1 step 11, §8; issue 14 item 2): when a session gets new tmux
// timeline rows (the watchtower publishes `tmux.timeline.updated {sessions}`), the ops timeline records source
// `watchtower`, severity info, resource = the session, message `Terminal activity detected in <S>`.
//
// The Go server writes one per collect per affected session, and collects once a second, so a session that keeps
// printing gets at most one entry a second. This watchtower collects as often as output comes (up to ~10 times a
// second), so the same pace is kept here: at most one entry per session per `intervalMs` (the watchtower tick,
// 1 s by default); activity inside that spell is written once when it ends, so the last activity is never lost.
// Like the Go server's, the entries are stored without an `ops.timeline.updated` event of their own (the
// periodic timeline push and GET /api/ops/timeline carry them), so terminal output does not flood the event stream.
import type { EventHub } from "../../events/hub.js";
import type { OpsTimeline } from "./timeline.js";

export const SESSION_ACTIVITY_EVENT = "session.activity";

export interface SessionActivityOptions {
  /** At most one entry per session this often (default 1000 ms). */
  intervalMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

export class SessionActivityRecorder {
  private readonly intervalMs: number;
  /** When each session's last entry was written (ms); entries older than the interval are forgotten. */
  private readonly written = new Map<string, number>();
  /** Sessions with activity since their last entry, written when their interval ends. */
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly unobserve: () => void;
  private closed = false;

  constructor(
    events: EventHub,
    private readonly timeline: Pick<OpsTimeline, "record">,
    private readonly options: SessionActivityOptions = {},
  ) {
    this.intervalMs = Math.max(0, options.intervalMs ?? 1000);
    this.unobserve = events.observe("tmux.timeline.updated", (payload) =>
      this.activity(payload?.sessions ?? []),
    );
  }

  /** Sessions that got tmux timeline rows now. */
  activity(sessions: readonly string[]): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.written.size > 1024) this.forget(now);
    for (const raw of sessions) {
      const session = raw.trim();
      if (!session) continue;
      const last = this.written.get(session);
      if (last === undefined || now - last >= this.intervalMs) {
        this.pending.delete(session);
        this.write(session, now);
      } else {
        this.pending.add(session);
      }
    }
    this.schedule(now);
  }

  close(): void {
    this.closed = true;
    this.unobserve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = Date.now();
    for (const session of [...this.pending]) {
      const last = this.written.get(session) ?? 0;
      if (now - last < this.intervalMs) continue;
      this.pending.delete(session);
      this.write(session, now);
    }
    this.schedule(now);
  }

  private schedule(now: number): void {
    if (this.timer || this.pending.size === 0) return;
    let due = Number.POSITIVE_INFINITY;
    for (const session of this.pending)
      due = Math.min(due, (this.written.get(session) ?? 0) + this.intervalMs);
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - now));
    this.timer.unref();
  }

  private write(session: string, now: number): void {
    this.written.set(session, now);
    try {
      this.timeline.record(
        {
          source: "watchtower",
          eventType: SESSION_ACTIVITY_EVENT,
          severity: "info",
          resource: session,
          message: `Terminal activity detected in ${session}`,
          details: "",
        },
        { publish: false },
      );
    } catch (error) {
      this.options.log?.warn({ err: error, session }, "ops timeline write failed");
    }
  }

  private forget(now: number): void {
    for (const [session, at] of this.written) {
      if (now - at >= this.intervalMs && !this.pending.has(session)) this.written.delete(session);
    }
  }
}
