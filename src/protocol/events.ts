// The /ws/events envelope (spec §3.2). Event payload shapes are declared next to it as each source lands.

export interface EventEnvelope<P = unknown> {
  /** Process-wide, monotonic, starting at 1; 0 only for `events.ready`. */
  eventId: number;
  type: string;
  /** RFC 3339, seconds, UTC. */
  timestamp: string;
  payload?: P;
}

/** RFC 3339 with second precision in UTC, as Go's time.RFC3339 prints it. */
export function rfc3339Seconds(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
