// The events hub (spec §3.2): one process-wide monotonic eventId, synchronous fan-out, and a ring of recent
// events (bounded by count and bytes) so a client reconnecting with `since` can be replayed what it missed or
// told to reconcile. Each event is serialised once, into a WebSocket frame every subscriber writes as is.
// Subscribers own their bounded queues (src/server/events/outbox.ts); the hub never waits for anyone.
import { randomBytes } from "node:crypto";
import {
  type EventEnvelope,
  type PayloadOf,
  type ReconcilePayload,
  rfc3339Seconds,
} from "../../protocol/events.js";
import { textFrame } from "./frame.js";

/** What the ring keeps and subscribers send: the id and the wire frame, not the payload objects. */
export interface PublishedEvent {
  readonly eventId: number;
  readonly type: string;
  /** The envelope as JSON in a complete WebSocket text frame (./frame.ts), shared by every subscriber and the ring. */
  readonly frame: Buffer;
}

/** `envelope` is the object the frame was made from: read it, never change it. */
export type EventListener = (event: PublishedEvent, envelope: EventEnvelope) => void;

/** What a subscriber reports about its own queue, for the hub's stats. */
export interface SubscriberStats {
  queued: number;
  /** Bytes waiting in the subscriber's socket. */
  buffered: number;
  dropped: number;
  overflowing: boolean;
}

export interface SubscribeOptions {
  /** The last eventId the client has seen (`?since=`); absent: live events only. */
  since?: number;
  /** The hub epoch the client's `since` came from (`?epoch=`); another epoch means the server restarted. */
  epoch?: string;
  stats?: () => SubscriberStats;
}

export type Resume =
  /** Events after `since`, oldest first (empty when the client is up to date or gave no `since`). */
  | { replay: PublishedEvent[] }
  /** `since` cannot be served from the ring: the client must reconcile through delta. */
  | { reconcile: ReconcilePayload };

export interface Subscription {
  resume: Resume;
  unsubscribe(): void;
}

export interface HubStats {
  subscribers: number;
  lastEventId: number;
  ringEvents: number;
  ringBytes: number;
  /** The oldest eventId still in the ring, 0 when it is empty. */
  oldestEventId: number;
  /** Events dropped for slow subscribers, over the hub's lifetime (closed subscribers included). */
  dropped: number;
  overflowing: number;
  maxQueued: number;
  maxBuffered: number;
}

export interface HubOptions {
  ringEvents?: number;
  ringBytes?: number;
}

/** A server-side reaction to one event type (see `observe`). */
export type EventObserver<T extends string> = (payload: PayloadOf<T> | undefined) => void;

interface Subscriber {
  listener: EventListener;
  stats: (() => SubscriberStats) | undefined;
}

export class EventHub {
  /** Identifies this hub's eventId sequence: ids restart at 1 with every process, epochs never repeat. */
  readonly epoch = randomBytes(8).toString("hex");
  private nextId = 1;
  private readonly subscribers = new Set<Subscriber>();
  private readonly observers = new Map<string, Set<(payload: unknown) => void>>();
  /** Work that runs only while someone subscribes (`whileSubscribed`), with its stop while it runs. */
  private readonly whileListened = new Map<() => () => void, (() => void) | undefined>();
  /** Circular buffer of the newest events; `head` is the oldest, `count` how many are kept. */
  private readonly ring: Array<PublishedEvent | undefined>;
  private head = 0;
  private count = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  private droppedByClosed = 0;

  constructor(options: HubOptions = {}) {
    this.ring = new Array(Math.max(1, options.ringEvents ?? 1024));
    this.maxBytes = options.ringBytes ?? 4 * 1024 * 1024;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The id of the newest published event; 0 before the first. */
  get lastEventId(): number {
    return this.nextId - 1;
  }

  publish<T extends string>(type: T, payload?: PayloadOf<T>): EventEnvelope<PayloadOf<T>> {
    const envelope: EventEnvelope<PayloadOf<T>> = {
      eventId: this.nextId++,
      type,
      timestamp: rfc3339Seconds(),
    };
    if (payload !== undefined && payload !== null) envelope.payload = payload;
    const event: PublishedEvent = {
      eventId: envelope.eventId,
      type,
      frame: textFrame(JSON.stringify(envelope)),
    };
    this.remember(event);
    for (const subscriber of [...this.subscribers]) {
      try {
        subscriber.listener(event, envelope);
      } catch {
        // A subscriber's failure is its own; the others still get the event.
      }
    }
    const observers = this.observers.get(type);
    if (observers) {
      for (const observer of [...observers]) {
        try {
          observer(payload);
        } catch {
          // Same as a subscriber: an observer's failure is its own.
        }
      }
    }
    return envelope;
  }

  /**
   * Adds a listener and, in the same synchronous step (no event can slip in between), works out what the
   * client missed since `since`.
   */
  subscribe(listener: EventListener, options: SubscribeOptions = {}): Subscription {
    const subscriber: Subscriber = { listener, stats: options.stats };
    this.subscribers.add(subscriber);
    const resume =
      options.since === undefined ? { replay: [] } : this.resumeFrom(options.since, options.epoch);
    if (this.subscribers.size === 1) for (const start of this.whileListened.keys()) this.startListened(start);
    return {
      resume,
      unsubscribe: () => {
        if (!this.subscribers.delete(subscriber)) return;
        this.droppedByClosed += subscriber.stats?.().dropped ?? 0;
        if (this.subscribers.size === 0)
          for (const start of this.whileListened.keys()) this.stopListened(start);
      },
    };
  }

  /**
   * Runs `start` while the hub has subscribers: when the first one subscribes (at once if some already do), and
   * what it returns when the last one leaves. For work that only feeds subscribers (the ops pushes): with nobody
   * listening it costs no timer, so no wake-up. Returns the function that removes it (stopping it if it runs).
   */
  whileSubscribed(start: () => () => void): () => void {
    this.whileListened.set(start, undefined);
    if (this.subscribers.size > 0) this.startListened(start);
    return () => {
      this.stopListened(start);
      this.whileListened.delete(start);
    };
  }

  private startListened(start: () => () => void): void {
    if (this.whileListened.get(start)) return;
    this.whileListened.set(start, start());
  }

  private stopListened(start: () => () => void): void {
    const stop = this.whileListened.get(start);
    if (!stop) return;
    this.whileListened.set(start, undefined);
    stop();
  }

  /**
   * Calls `observer` with the payload of every later event of `type`, after the subscribers, synchronously. For
   * reactions inside the server (e.g. the ops timeline's `session.activity` entries): an observer is not a
   * subscriber, so it is not counted in `subscriberCount` or the stats. Returns the function that removes it.
   */
  observe<T extends string>(type: T, observer: EventObserver<T>): () => void {
    let set = this.observers.get(type);
    if (!set) {
      set = new Set();
      this.observers.set(type, set);
    }
    const fn = observer as (payload: unknown) => void;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  stats(): HubStats {
    let dropped = this.droppedByClosed;
    let overflowing = 0;
    let maxQueued = 0;
    let maxBuffered = 0;
    for (const subscriber of this.subscribers) {
      const s = subscriber.stats?.();
      if (!s) continue;
      dropped += s.dropped;
      if (s.overflowing) overflowing++;
      maxQueued = Math.max(maxQueued, s.queued);
      maxBuffered = Math.max(maxBuffered, s.buffered);
    }
    return {
      subscribers: this.subscribers.size,
      lastEventId: this.lastEventId,
      ringEvents: this.count,
      ringBytes: this.bytes,
      oldestEventId: this.oldest()?.eventId ?? 0,
      dropped,
      overflowing,
      maxQueued,
      maxBuffered,
    };
  }

  private resumeFrom(since: number, epoch: string | undefined): Resume {
    const last = this.lastEventId;
    if (epoch !== undefined && epoch !== this.epoch) {
      return { reconcile: { reason: "restarted", since, lastEventId: last } };
    }
    if (since === last) return { replay: [] };
    if (since > last) return { reconcile: { reason: "restarted", since, lastEventId: last } };
    const oldest = this.oldest()?.eventId ?? this.nextId;
    if (since + 1 < oldest) return { reconcile: { reason: "evicted", since, lastEventId: last } };
    const replay: PublishedEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const event = this.ring[(this.head + i) % this.ring.length]!;
      if (event.eventId > since) replay.push(event);
    }
    return { replay };
  }

  private oldest(): PublishedEvent | undefined {
    return this.count ? this.ring[this.head] : undefined;
  }

  private remember(event: PublishedEvent): void {
    const capacity = this.ring.length;
    if (this.count === capacity) this.forgetOldest();
    this.ring[(this.head + this.count) % capacity] = event;
    this.count++;
    this.bytes += event.frame.length;
    // Keep at least the newest event, however large.
    while (this.bytes > this.maxBytes && this.count > 1) this.forgetOldest();
  }

  private forgetOldest(): void {
    const event = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.bytes -= event.frame.length;
  }
}
