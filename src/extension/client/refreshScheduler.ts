// The refresh schedule of every view (owned by RefreshManager, docs/decisions/0016-extension-structure.md): each
// area registers its load once; events, commands and visibility ask for it with a typed reason through
// `request` (debounced per area: the first request starts the area's delay, the ones during it join that load)
// or `now`; loads of an area never overlap (SingleFlight). When events may have been missed, every area that
// keeps a list current by events is reloaded here, so no view tracks event ids or reconnects itself. One clock
// redraws what changes with time alone (relative times, a running recording) for the areas that ask for it
// while they are visible. No view keeps a timer of its own. No `vscode` import.
import type { Disposable } from "../util/emitter.js";
import { SingleFlight } from "../util/singleFlight.js";
import { type Clock, type MissedReason, systemClock } from "./reconciler.js";

export type RefreshArea = "sessions" | "recordings" | "events" | "ops" | "recovery";

/** Why a caller asks for a full reload of the sessions (the events stream's own reasons are the reconciler's). */
export type RefreshReason =
  | "manual"
  | "session picker"
  | "terminal profile"
  | "restore finished"
  | "test api";

/** Why an area's list is reloaded or redrawn. */
export type AreaRefreshReason =
  | RefreshReason
  /** Events may have been lost (a gap in ids, a reconnect, a reconcile notice, the first connection). */
  | `events ${MissedReason}`
  /** An event that changes the area's list arrived. */
  | "event"
  /** The view became visible. */
  | "view shown"
  /** A command changed what the list shows (a runbook started, an alert acknowledged, a restore). */
  | "command"
  /** A recording runs: its size and event count move without events. */
  | "live recording"
  /** A recording or a list the picker needs is not loaded yet. */
  | "picker";

export interface AreaOptions {
  /** Requests within this many ms of the first one share one load (0: the next turn of the event loop). */
  debounceMs: number;
  load(reason: AreaRefreshReason): Promise<void> | void;
  /** Reload when events may have been missed (a list kept current by events); default true. */
  reloadOnMissedEvents?: boolean;
}

/** A redraw on the shared clock; runs every `periodMs` while `active`. */
export interface Tick extends Disposable {
  active: boolean;
}

interface Area {
  options: AreaOptions;
  flight: SingleFlight;
  /** The reason of the latest request (a rerun is for the requests that joined the run before it). */
  reason: AreaRefreshReason;
  timer: unknown;
  /** Settles when the debounced load has run. */
  pending: { promise: Promise<void>; resolve(): void } | undefined;
}

interface TickEntry {
  area: RefreshArea;
  periodMs: number;
  run(): void;
  active: boolean;
  dueAt: number;
}

export class RefreshScheduler implements Disposable {
  private readonly areas = new Map<RefreshArea, Area>();
  private readonly ticks = new Set<TickEntry>();
  private clockTimer: unknown;
  private clockDueAt = Number.POSITIVE_INFINITY;
  private disposed = false;

  constructor(
    private readonly note: (message: string) => void,
    private readonly onError: (area: RefreshArea, error: unknown) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The area's load; one per area. */
  register(area: RefreshArea, options: AreaOptions): Disposable {
    if (this.areas.has(area)) throw new Error(`refresh area ${area} is registered twice`);
    const entry: Area = {
      options,
      reason: "manual",
      timer: undefined,
      pending: undefined,
      flight: new SingleFlight(async () => {
        const reason = entry.reason;
        this.note(`${area} (${reason})`);
        try {
          await options.load(reason);
        } catch (error) {
          this.onError(area, error);
        }
      }),
    };
    this.areas.set(area, entry);
    return {
      dispose: () => {
        if (this.areas.get(area) !== entry) return;
        this.cancel(entry);
        this.areas.delete(area);
      },
    };
  }

  /** A load of the area soon (grouped with the other requests of its debounce delay); settles after it ran. */
  request(area: RefreshArea, reason: AreaRefreshReason): Promise<void> {
    const entry = this.areas.get(area);
    if (!entry || this.disposed) return Promise.resolve();
    entry.reason = reason;
    if (entry.pending) return entry.pending.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    entry.pending = { promise, resolve };
    entry.timer = this.clock.setTimeout(() => {
      const pending = entry.pending;
      entry.timer = undefined;
      entry.pending = undefined;
      void entry.flight.run().finally(() => pending?.resolve());
    }, entry.options.debounceMs);
    return promise;
  }

  /** A load of the area now (joining the one under way, which then runs again); settles after it ran. */
  now(area: RefreshArea, reason: AreaRefreshReason): Promise<void> {
    const entry = this.areas.get(area);
    if (!entry || this.disposed) return Promise.resolve();
    entry.reason = reason;
    // A debounced request waiting is served by this load.
    const pending = entry.pending;
    this.cancel(entry);
    const run = entry.flight.run();
    if (pending) void run.finally(() => pending.resolve());
    return run;
  }

  /** Events may have been lost: every area that keeps a list current by events reloads. */
  missed(reason: MissedReason): void {
    for (const [area, entry] of this.areas) {
      if (entry.options.reloadOnMissedEvents !== false) void this.request(area, `events ${reason}`);
    }
  }

  /** A redraw of the area every `periodMs` on the one clock, while the returned tick is active. */
  tick(area: RefreshArea, periodMs: number, run: () => void): Tick {
    const entry: TickEntry = { area, periodMs, run, active: false, dueAt: 0 };
    this.ticks.add(entry);
    const scheduler = this;
    return {
      get active() {
        return entry.active;
      },
      set active(value: boolean) {
        if (value === entry.active) return;
        entry.active = value;
        entry.dueAt = scheduler.clock.now() + periodMs;
        scheduler.armClock();
      },
      dispose() {
        scheduler.ticks.delete(entry);
        scheduler.armClock();
      },
    };
  }

  dispose(): void {
    this.disposed = true;
    for (const entry of this.areas.values()) this.cancel(entry);
    this.areas.clear();
    this.ticks.clear();
    if (this.clockTimer !== undefined) this.clock.clearTimeout(this.clockTimer);
    this.clockTimer = undefined;
  }

  private cancel(entry: Area): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.pending = undefined;
  }

  /** One timer for every active tick: it wakes at the earliest due one. */
  private armClock(): void {
    if (this.disposed) return;
    let dueAt = Number.POSITIVE_INFINITY;
    for (const t of this.ticks) if (t.active) dueAt = Math.min(dueAt, t.dueAt);
    if (dueAt === this.clockDueAt) return;
    if (this.clockTimer !== undefined) this.clock.clearTimeout(this.clockTimer);
    this.clockTimer = undefined;
    this.clockDueAt = dueAt;
    if (dueAt === Number.POSITIVE_INFINITY) return;
    this.clockTimer = this.clock.setTimeout(
      () => {
        this.clockTimer = undefined;
        this.clockDueAt = Number.POSITIVE_INFINITY;
        const now = this.clock.now();
        for (const t of [...this.ticks]) {
          if (!t.active || t.dueAt > now) continue;
          t.dueAt = now + t.periodMs;
          try {
            t.run();
          } catch (error) {
            this.onError(t.area, error);
          }
        }
        this.armClock();
      },
      Math.max(0, dueAt - this.clock.now()),
    );
  }
}
