// Cron expressions and time zones of schedules (spec §0.6, §1.8), through croner: 5 fields (`min hour dom month
// dow`), 6 with seconds first (this port), the descriptors `@yearly @annually @monthly @weekly @daily @midnight
// @hourly`, and `@every <Go duration>` (`@every 90s`, `@every 1h30m`), which croner has no syntax for.
// Day-of-month and day-of-week combine with OR when both are restricted, as in robfig/cron and Vixie cron.
import { Cron } from "croner";

const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`1h30m`, `90s`, `1.5h`) in milliseconds, or undefined when it does not parse. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (!s || s === "0") return s === "0" ? 0 : undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return total;
}

export type CronSpec =
  /** Fires every `everyMs` after the previous fire (robfig: rounded to whole seconds, at least 1 s). */
  { kind: "every"; everyMs: number } | { kind: "pattern"; pattern: string };

/** Parses an expression; undefined when it is not valid (the route answers `invalid cron expression`). */
export function parseCron(expr: string): CronSpec | undefined {
  const text = expr.trim().replace(/\s+/g, " ");
  if (!text) return undefined;
  if (text.startsWith("@")) {
    const lower = text.toLowerCase();
    if (lower.startsWith("@every ")) {
      const ms = parseGoDuration(text.slice(7));
      if (ms === undefined || ms <= 0) return undefined;
      return { kind: "every", everyMs: Math.max(1000, Math.floor(ms / 1000) * 1000) };
    }
    if (!DESCRIPTORS.has(lower)) return undefined;
    return compiles(lower) ? { kind: "pattern", pattern: lower } : undefined;
  }
  const fields = text.split(" ").length;
  if (fields !== 5 && fields !== 6) return undefined;
  return compiles(text) ? { kind: "pattern", pattern: text } : undefined;
}

function compiles(pattern: string): boolean {
  try {
    makeCron(pattern, "UTC");
    return true;
  } catch {
    return false;
  }
}

function makeCron(pattern: string, timezone: string): Cron {
  return new Cron(pattern, {
    paused: true,
    timezone,
    mode: "5-or-6-parts",
    domAndDow: false,
  });
}

/** The zone of the host, for `Local`. */
export function localTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * The IANA zone to compute with, or undefined when the name is unknown. `UTC` and `Local` as in Go's
 * LoadLocation; "" is UTC.
 */
export function resolveTimezone(name: string): string | undefined {
  const tz = name.trim();
  if (tz === "" || tz === "UTC") return "UTC";
  if (tz === "Local") return localTimezone();
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The first fire strictly after `after`, or undefined when the expression never fires again. */
export function nextFire(spec: CronSpec, timezone: string, after: Date): Date | undefined {
  if (spec.kind === "every") {
    // robfig's ConstantDelaySchedule: the next whole second past after+every.
    const next = Math.floor((after.getTime() + spec.everyMs) / 1000) * 1000;
    return new Date(next);
  }
  const tz = resolveTimezone(timezone) ?? "UTC";
  const next = makeCron(spec.pattern, tz).nextRun(after);
  return next ?? undefined;
}

/** RFC 3339 with second precision in UTC (the form every schedule time is stored and compared in). */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * `runAt` of a `once` schedule: RFC 3339 with a zone (`Z` or `±hh:mm`), fractional seconds allowed, as Go's
 * time.RFC3339 parses it. Undefined when it does not parse.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 59) return undefined;
  const date = new Date(
    text
      .trim()
      .replace(/^(.{10})t/, "$1T")
      .replace(/z$/, "Z"),
  );
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject dates JS rolls over (Feb 30): the calendar date must read back unchanged in the given offset.
  const offset = m[8]!.toUpperCase() === "Z" ? 0 : offsetMinutes(m[8]!);
  const local = new Date(date.getTime() + offset * 60_000);
  if (local.getUTCFullYear() !== y || local.getUTCMonth() + 1 !== mo || local.getUTCDate() !== d)
    return undefined;
  return date;
}

function offsetMinutes(offset: string): number {
  const sign = offset.startsWith("-") ? -1 : 1;
  const [h, m] = offset.slice(1).split(":").map(Number) as [number, number];
  return sign * (h * 60 + m);
}
