// The events hub (spec §3.2): one process-wide monotonic eventId, synchronous fan-out to subscribers, and a
// ring of recent events so a client reconnecting with `since` can be replayed what it missed. Each subscriber
// owns its own bounded queue (see the /ws/events socket); the hub never waits for anyone.
import { type EventEnvelope, rfc3339Seconds } from "../../protocol/events.js";

export type EventListener = (event: EventEnvelope) => void;

export interface Subscription {
  /** Events after `since` still in the ring, oldest first; `undefined` if `since` predates the ring (reconcile). */
  replay: EventEnvelope[] | undefined;
  unsubscribe(): void;
}

export class EventHub {
  private nextId = 1;
  private readonly listeners = new Set<EventListener>();
  private readonly ring: EventEnvelope[] = [];

  constructor(private readonly ringSize = 1024) {}

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** The id the next published event will get, minus one. */
  get lastEventId(): number {
    return this.nextId - 1;
  }

  publish<P>(type: string, payload?: P): EventEnvelope<P> {
    const event: EventEnvelope<P> = { eventId: this.nextId++, type, timestamp: rfc3339Seconds() };
    if (payload !== undefined && payload !== null) event.payload = payload;
    this.ring.push(event);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure is its own; the others still get the event.
      }
    }
    return event;
  }

  subscribe(listener: EventListener, since?: number): Subscription {
    this.listeners.add(listener);
    return {
      replay: since === undefined ? [] : this.replaySince(since),
      unsubscribe: () => {
        this.listeners.delete(listener);
      },
    };
  }

  private replaySince(since: number): EventEnvelope[] | undefined {
    if (since >= this.lastEventId) return [];
    const oldest = this.ring[0]?.eventId ?? this.nextId;
    if (since + 1 < oldest) return undefined;
    return this.ring.filter((e) => e.eventId > since);
  }
}
