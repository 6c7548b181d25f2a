// Timestamps of the watchtower: stored as ISO 8601 with milliseconds (so changes within one second still
// order), served as RFC 3339 with seconds (spec §0.4). A zero time is stored as "".

export const ZERO_TIME = "0001-01-01T00:00:00Z";

export const isoNow = (date: Date = new Date()) => date.toISOString();

/** A stored time as RFC 3339 with seconds; "" stays "". */
export function toRfc3339(stored: string): string {
  if (!stored) return "";
  const ms = Date.parse(stored);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19)}Z` : "";
}

/** Like toRfc3339, but a zero time is Go's zero time (the GET routes' changedAt, spec §1.3). */
export const toRfc3339OrZero = (stored: string) => toRfc3339(stored) || ZERO_TIME;

export const isoFromEpochSeconds = (seconds: number) =>
  seconds > 0 ? new Date(seconds * 1000).toISOString() : "";

/** The later of two stored times ("" is the earliest). */
export const laterOf = (a: string, b: string) => (a >= b ? a : b);
