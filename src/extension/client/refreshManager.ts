// Owns every source of tree refreshes (after vscode-docker's RefreshManager): the events socket and its
// reconciler, full loads over HTTP, mutation events that need a re-read, a safety poll that runs only while the
// socket is down and the view is visible, and manual refreshes. Each refresh is logged with its reason. The other
// views (Recordings, Events, Ops, Recovery) register their loads and redraws with its scheduler (`register`,
// `request`, `now`, `tick`: refreshScheduler.ts), which also reloads them when events may have been missed.
// No `vscode` import: the view's visibility comes in through `setViewVisible`.
import type { InspectorPatch, SessionPatch } from "../../protocol/activity.js";
import type { SeenAckMessage } from "../../protocol/eventMessages.js";
import { type EventEnvelope, EventType, type PayloadOf } from "../../protocol/events.js";
import type { Backoff } from "../util/backoff.js";
import { type Disposable, Emitter } from "../util/emitter.js";
import { errorMessage, type Logger } from "../util/log.js";
import { ApiClient, ApiError, type Endpoint, UnreachableError } from "./apiClient.js";
import { type ConnectionState, EventsConnection, type HandshakeFailure } from "./eventsConnection.js";
import { type Clock, type MissedReason, Reconciler, systemClock } from "./reconciler.js";
import {
  type AreaOptions,
  type AreaRefreshReason,
  type RefreshArea,
  type RefreshReason,
  RefreshScheduler,
  type Tick,
} from "./refreshScheduler.js";
import type { SessionsModel } from "./sessionsModel.js";

export interface RefreshStatus {
  connection: ConnectionState;
  /** The first sessions list has arrived. */
  loaded: boolean;
  /** The server says tmux is not installed (TMUX_NOT_FOUND). */
  tmuxMissing: boolean;
  /** The last load's failure, cleared by the next success. */
  error: string | undefined;
}

export interface RefreshManagerOptions {
  model: SessionsModel;
  log: Logger;
  /** Safety poll period while the socket is down and the view is visible. */
  pollIntervalMs?: number;
  /** Delay that groups re-reads caused by a burst of mutation events. */
  rereadDelayMs?: number;
  /** Parallel inspector loads in a full reload. */
  concurrency?: number;
  clock?: Clock;
  /** Reconnect delays of the events socket (default 0.5 s doubling to 15 s). */
  eventsBackoff?: Backoff;
  /** Tells the server owner that its server did not answer (it checks, and restarts or re-resolves it). */
  onUnreachable?(reason: string): void;
  /** The events socket was refused (401 after a token change, 503 while shutting down…). */
  onHandshakeFailure?(failure: HandshakeFailure): void;
}

export type { AreaRefreshReason, RefreshArea, RefreshReason, Tick } from "./refreshScheduler.js";

export interface SessionRename {
  from: string;
  to: string;
}

export class RefreshManager implements Disposable {
  readonly events: EventsConnection;
  readonly reconciler: Reconciler;
  private readonly scheduler: RefreshScheduler;
  private apiClient: ApiClient | undefined;
  private readonly model: SessionsModel;
  private readonly log: Logger;
  private viewVisible = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private sessionsTimer: NodeJS.Timeout | undefined;
  private readonly inspectorTimers = new Map<string, NodeJS.Timeout>();
  private readonly inspectorLoads = new Map<string, Promise<void>>();
  private reload: Promise<void> | undefined;
  private reloadAgain: string | undefined;
  private status: RefreshStatus = { connection: "idle", loaded: false, tmuxMissing: false, error: undefined };
  private readonly statusEmitter = new Emitter<RefreshStatus>();
  private readonly renameEmitter = new Emitter<SessionRename>();
  private readonly eventEmitter = new Emitter<EventEnvelope>();
  private readonly missedEmitter = new Emitter<MissedReason>();
  private readonly handlers = new Map<string, Set<(payload: unknown, event: EventEnvelope) => void>>();
  private readonly disposables: Disposable[] = [];
  private disposed = false;
  /** Reasons of the refreshes so far, newest last (at most 50), for diagnostics and tests. */
  readonly history: string[] = [];

  readonly onDidChangeStatus = this.statusEmitter.event;
  /** A session was renamed (terminals follow it). */
  readonly onDidRenameSession = this.renameEmitter.event;
  /** Every event of the stream, after the model has it (the Events view's log); by type: `onEvent`. */
  readonly onDidReceiveEvent = this.eventEmitter.event;
  /**
   * Events may have been lost (src/extension/client/reconciler.ts, MissedReason): fired after the sessions'
   * own repair was asked for; every other list kept current by events reloads on it.
   */
  readonly onDidMissEvents = this.missedEmitter.event;

  constructor(private readonly options: RefreshManagerOptions) {
    this.model = options.model;
    this.log = options.log;
    this.scheduler = new RefreshScheduler(
      (message) => this.note(message),
      (area, error) => this.log.warn(`refresh: ${area} failed: ${errorMessage(error)}`),
      options.clock ?? systemClock,
    );
    this.reconciler = new Reconciler(
      {
        delta: (since) => this.requireApi().delta(since),
        fullReload: (reason) => this.fullReload(reason),
        applyPatches: (sessionPatches, inspectorPatches) =>
          this.applyPatches(sessionPatches, inspectorPatches),
        onEvent: (event) => this.dispatch(event),
        missed: (reason) => {
          this.note(`events may have been missed (${reason})`);
          this.scheduler.missed(reason);
          this.missedEmitter.fire(reason);
        },
        log: (message) => this.log.debug(message),
      },
      options.clock ?? systemClock,
    );
    this.events = new EventsConnection({
      log: this.log,
      resumeQuery: () => this.reconciler.resumeQuery(),
      ...(options.eventsBackoff ? { backoff: options.eventsBackoff } : {}),
    });
    this.disposables.push(
      this.events.onDidOpen((info) => this.reconciler.connected(info)),
      this.events.onDidReceive((message) => {
        if (message.kind === "event") this.reconciler.handle(message.event);
        else this.onSeenAck(message.ack);
      }),
      this.events.onDidChangeState((state) => {
        this.setStatus({ connection: state });
        this.updatePolling();
        if (state === "closed") this.options.onUnreachable?.("events socket closed");
      }),
      this.events.onDidFail((failure) => this.options.onHandshakeFailure?.(failure)),
    );
  }

  get api(): ApiClient | undefined {
    return this.apiClient;
  }

  get endpoint(): Endpoint | undefined {
    return this.apiClient?.endpoint;
  }

  get currentStatus(): RefreshStatus {
    return this.status;
  }

  /** Points everything at a server (or at none). Another server means a clean slate and a full load. */
  setEndpoint(endpoint: Endpoint | undefined): void {
    const old = this.apiClient?.endpoint;
    if (old && endpoint && old.url === endpoint.url && old.token === endpoint.token) {
      this.events.reconnectNow();
      return;
    }
    this.apiClient = endpoint ? new ApiClient(endpoint) : undefined;
    this.reconciler.reset();
    if (!endpoint) {
      this.events.disconnect();
      this.updatePolling();
      return;
    }
    this.log.info(`refresh: connecting to ${endpoint.url}`);
    this.events.connect(endpoint);
    this.updatePolling();
  }

  setViewVisible(visible: boolean): void {
    if (visible === this.viewVisible) return;
    this.viewVisible = visible;
    this.updatePolling();
  }

  /** A full reload now (manual refresh, a picker that needs the list…). */
  refresh(reason: RefreshReason): Promise<void> {
    return this.fullReload(reason);
  }

  /** An area's load (Recordings, Events, Ops, Recovery): asked for with `request`/`now`, and after missed events. */
  register(area: RefreshArea, options: AreaOptions): Disposable {
    return this.scheduler.register(area, options);
  }

  /** The area's load soon (debounced per area); settles after it ran. */
  request(area: RefreshArea, reason: AreaRefreshReason): Promise<void> {
    return this.scheduler.request(area, reason);
  }

  /** The area's load now (a command that awaits it); settles after it ran. */
  now(area: RefreshArea, reason: AreaRefreshReason): Promise<void> {
    return this.scheduler.now(area, reason);
  }

  /** A redraw every `periodMs` on the one clock while the tick is active (relative times, a running recording). */
  tick(area: RefreshArea, periodMs: number, run: () => void): Tick {
    return this.scheduler.tick(area, periodMs, run);
  }

  /** The events of one type, with their payload typed by the protocol's catalogue (EventPayloadMap). */
  onEvent<T extends EventType>(
    type: T,
    handler: (payload: PayloadOf<T>, event: EventEnvelope<PayloadOf<T>>) => void,
  ): Disposable {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    const entry = handler as (payload: unknown, event: EventEnvelope) => void;
    set.add(entry);
    return { dispose: () => void set.delete(entry) };
  }

  /** Loads a session's windows and panes unless they are known. */
  ensureInspector(session: string): Promise<void> {
    if (this.model.inspector(session)) return Promise.resolve();
    return this.loadInspector(session, "expand");
  }

  /** Re-reads one session's windows and panes soon (grouping bursts). */
  scheduleInspectorReload(session: string): void {
    const existing = this.inspectorTimers.get(session);
    if (existing) return;
    this.inspectorTimers.set(
      session,
      setTimeout(() => {
        this.inspectorTimers.delete(session);
        void this.loadInspector(session, "mutation");
      }, this.options.rereadDelayMs ?? 40),
    );
  }

  scheduleSessionsReload(): void {
    if (this.sessionsTimer) return;
    this.sessionsTimer = setTimeout(() => {
      this.sessionsTimer = undefined;
      void this.loadSessions("mutation");
    }, this.options.rereadDelayMs ?? 40);
  }

  /** Applies patches from a seen response (HTTP) the way the stream would. */
  applySeenResult(result: {
    globalRev?: number;
    sessionPatches?: SessionPatch[];
    inspectorPatches?: InspectorPatch[];
  }): void {
    this.reconciler.applySeen(result);
  }

  dispose(): void {
    this.disposed = true;
    this.scheduler.dispose();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.sessionsTimer) clearTimeout(this.sessionsTimer);
    for (const timer of this.inspectorTimers.values()) clearTimeout(timer);
    this.inspectorTimers.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.reconciler.dispose();
    this.events.dispose();
    this.statusEmitter.dispose();
    this.renameEmitter.dispose();
    this.eventEmitter.dispose();
    this.missedEmitter.dispose();
    this.handlers.clear();
  }

  private requireApi(): ApiClient {
    if (!this.apiClient) throw new UnreachableError("no server");
    return this.apiClient;
  }

  private note(reason: string): void {
    this.history.push(reason);
    if (this.history.length > 50) this.history.splice(0, this.history.length - 50);
    this.log.debug(`refresh: ${reason}`);
  }

  private setStatus(patch: Partial<RefreshStatus>): void {
    const next = { ...this.status, ...patch };
    if (
      next.connection === this.status.connection &&
      next.loaded === this.status.loaded &&
      next.tmuxMissing === this.status.tmuxMissing &&
      next.error === this.status.error
    )
      return;
    this.status = next;
    this.statusEmitter.fire(next);
  }

  private updatePolling(): void {
    const shouldPoll =
      !this.disposed && this.apiClient !== undefined && this.viewVisible && this.status.connection !== "open";
    if (shouldPoll && !this.pollTimer) {
      this.pollTimer = setInterval(() => void this.fullReload("poll"), this.options.pollIntervalMs ?? 5000);
    } else if (!shouldPoll && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /** Sessions, then the windows and panes of every session; concurrent calls share one run plus one rerun. */
  private fullReload(reason: string): Promise<void> {
    if (this.reload) {
      this.reloadAgain ??= reason;
      return this.reload;
    }
    this.reload = (async () => {
      try {
        let next: string | undefined = reason;
        while (next !== undefined && !this.disposed) {
          this.reloadAgain = undefined;
          await this.runFullReload(next);
          next = this.reloadAgain;
        }
      } finally {
        this.reload = undefined;
      }
    })();
    return this.reload;
  }

  private async runFullReload(reason: string): Promise<void> {
    this.note(`full reload (${reason})`);
    const names = await this.loadSessions(reason);
    if (!names) return;
    const queue = [...names];
    const workers = Array.from(
      { length: Math.min(this.options.concurrency ?? 4, queue.length) },
      async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          await this.loadInspector(name, reason);
        }
      },
    );
    await Promise.all(workers);
  }

  /** The sessions list; the names, or undefined when it failed. */
  private async loadSessions(reason: string): Promise<string[] | undefined> {
    const api = this.apiClient;
    if (!api) return undefined;
    try {
      const sessions = await api.sessions();
      if (api !== this.apiClient) return undefined;
      this.model.replaceSessions(sessions);
      this.setStatus({ loaded: true, tmuxMissing: false, error: undefined });
      return sessions.map((s) => s.name);
    } catch (error) {
      if (api !== this.apiClient) return undefined;
      this.onLoadError(error, `sessions (${reason})`);
      return undefined;
    }
  }

  private loadInspector(session: string, reason: string): Promise<void> {
    const running = this.inspectorLoads.get(session);
    if (running) return running;
    const api = this.apiClient;
    if (!api) return Promise.resolve();
    const load = (async () => {
      try {
        const [windows, panes] = await Promise.all([api.windows(session), api.panes(session)]);
        if (api !== this.apiClient) return;
        this.model.setInspector(session, { windows, panes });
      } catch (error) {
        if (api !== this.apiClient) return;
        if (error instanceof ApiError && error.code === "SESSION_NOT_FOUND") {
          this.model.removeSession(session);
          return;
        }
        this.onLoadError(error, `windows of ${session} (${reason})`);
      } finally {
        this.inspectorLoads.delete(session);
      }
    })();
    this.inspectorLoads.set(session, load);
    return load;
  }

  private onLoadError(error: unknown, what: string): void {
    if (error instanceof ApiError && error.code === "TMUX_NOT_FOUND") {
      this.model.replaceSessions([]);
      this.setStatus({ loaded: true, tmuxMissing: true, error: error.message });
      return;
    }
    const message = errorMessage(error);
    this.log.warn(`refresh: loading ${what} failed: ${message}`);
    this.setStatus({ error: message });
    if (error instanceof UnreachableError) this.options.onUnreachable?.(message);
  }

  private applyPatches(sessionPatches?: SessionPatch[], inspectorPatches?: InspectorPatch[]): void {
    this.model.batch(() => {
      this.model.applySessionPatches(sessionPatches);
      this.model.applyInspectorPatches(inspectorPatches);
    });
  }

  private onSeenAck(ack: SeenAckMessage): void {
    if (ack.error) {
      this.log.warn(`seen ${ack.session}/${ack.scope}: ${ack.error}`);
      return;
    }
    this.reconciler.applySeen(ack);
  }

  /** `tmux.sessions.updated`: the model follows what it can, and the lists are re-read soon. */
  private onSessionsEvent(p: PayloadOf<typeof EventType.SessionsUpdated> | undefined): void {
    if (!p) return;
    if (!("action" in p)) {
      // A restore job succeeded (recovery.restore): its session is new.
      this.note(`event: sessions ${p.source} ${p.target}`);
      this.scheduleSessionsReload();
      return;
    }
    switch (p.action) {
      case "activity":
      case "seen":
        // Patches: the reconciler applied them.
        return;
      case "delete":
        this.note(`event: ${p.session} deleted`);
        this.model.removeSession(p.session);
        this.scheduleSessionsReload();
        return;
      case "rename":
        this.note(`event: ${p.session} renamed to ${p.newName}`);
        this.model.renameSession(p.session, p.newName);
        this.renameEmitter.fire({ from: p.session, to: p.newName });
        this.scheduleSessionsReload();
        return;
      case "window-meta":
      case "window-count":
      case "pane-count":
        this.note(`event: ${p.action} ${p.session}`);
        this.scheduleInspectorReload(p.session);
        this.scheduleSessionsReload();
        return;
      default:
        // create, icon, live-set (and an action a newer server adds): the list is cheap to re-read.
        this.note(`event: sessions ${p.action}`);
        this.scheduleSessionsReload();
        if (p.action === "create") this.scheduleInspectorReload(p.session);
    }
  }

  private dispatch(event: EventEnvelope): void {
    if (event.type === EventType.SessionsUpdated)
      this.onSessionsEvent(event.payload as PayloadOf<typeof EventType.SessionsUpdated> | undefined);
    else if (event.type === EventType.InspectorUpdated) {
      const p = event.payload as PayloadOf<typeof EventType.InspectorUpdated> | undefined;
      if (p?.session && p.action !== "seen") {
        this.note(`event: inspector ${p.action} ${p.session}`);
        this.scheduleInspectorReload(p.session);
      }
    }
    for (const handler of this.handlers.get(event.type) ?? []) {
      try {
        handler(event.payload, event);
      } catch (error) {
        this.log.error(`event ${event.type}: ${errorMessage(error)}`);
      }
    }
    this.eventEmitter.fire(event);
  }
}
