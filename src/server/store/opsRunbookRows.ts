// How the runbook tables (spec §9, migration 6) hold times and lists: every time is written as RFC 3339 UTC
// with second precision (so `next_run_at <= now` compares as strings) and read back as RFC 3339 whatever SQL
// wrote; step lists and results are JSON arrays.

export const nowRfc3339 = (date: Date = new Date()) => `${date.toISOString().slice(0, 19)}Z`;

/** RFC 3339 on the wire, whatever SQL wrote (`YYYY-MM-DD HH:MM:SS` from a column default; §0.4). */
export function rfc3339(value: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(" ", "T")}Z` : value;
}

export function parseJson<T>(text: string, fallback: T): T {
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? (value as T) : fallback;
  } catch {
    return fallback;
  }
}
