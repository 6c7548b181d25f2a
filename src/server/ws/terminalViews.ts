// The terminal views in use (tmux/viewSessions.ts): each `/ws/tmux` client that shows one window or pane through a
// view session of its own. Killing the user's session leaves its windows alive in the views grouped with it, so
// whenever sessions change (`tmux.sessions.updated`: an API kill at once, a kill from the tmux command line at the
// watchtower's next look) the views whose group has no user session left are ended, and their clients with them.
import type { FastifyBaseLogger } from "fastify";
import type { EventHub } from "../events/hub.js";
import type { Tmux } from "../tmux/adapter.js";
import { isViewSession } from "../tmux/viewSessions.js";

export class TerminalViews {
  /** View session name → its user session, and what ends its client (close 1000, which kills the view). */
  private readonly live = new Map<string, { session: string; end: () => void }>();
  private running: Promise<void> | undefined;
  private again = false;
  private readonly unobserve: () => void;

  constructor(
    private readonly tmux: Tmux,
    events: EventHub,
    private readonly log: FastifyBaseLogger,
  ) {
    this.unobserve = events.observe("tmux.sessions.updated", () => void this.prune());
  }

  get size(): number {
    return this.live.size;
  }

  /** Tracks a view of `session` until the returned function is called (its client ended). */
  add(view: string, session: string, end: () => void): () => void {
    const entry = { session, end };
    this.live.set(view, entry);
    return () => {
      if (this.live.get(view) === entry) this.live.delete(view);
    };
  }

  /**
   * The watchtower listed these sessions (every collect, changed or not: the creation and the kill of a session
   * may fall into one collect, which publishes no change). A view whose user session is not among them is checked.
   */
  listed(sessions: ReadonlySet<string>): void {
    for (const { session } of this.live.values()) {
      if (!sessions.has(session)) {
        void this.prune();
        return;
      }
    }
  }

  /** Ends the views whose session is gone. One check at a time; changes meanwhile get one more. */
  prune(): Promise<void> {
    if (!this.live.size) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.check();
      } while (this.again && this.live.size);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  dispose(): void {
    this.unobserve();
    this.live.clear();
  }

  private async check(): Promise<void> {
    let groups: Map<string, string[]>;
    try {
      groups = await this.tmux.sessionGroups();
    } catch (error) {
      this.log.debug({ err: error }, "terminal views: sessions not listed");
      return;
    }
    for (const [view, { end }] of [...this.live]) {
      const group = groups.get(view);
      // Gone already: its client ends by itself.
      if (!group) continue;
      if (group.some((name) => !isViewSession(name))) continue;
      this.log.info({ view }, "terminal view ended: its session is gone");
      this.live.delete(view);
      end();
    }
  }
}
