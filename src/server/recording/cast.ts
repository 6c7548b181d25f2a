// asciicast v2 lines (https://docs.asciinema.org/manual/asciicast/v2/): one JSON header line, then one JSON
// array per event: [seconds since the start, type, data]. This server writes only the header fields
// version, width, height, timestamp and env, and only the event types o, i, r and m.

export type CastEventType = "o" | "i" | "r" | "m";

export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time of the start, in whole seconds. */
  timestamp: number;
  env: Record<string, string>;
}

export function castHeader(width: number, height: number, startedAtMs: number, env: Record<string, string>) {
  const header: CastHeader = { version: 2, width, height, timestamp: Math.floor(startedAtMs / 1000), env };
  return header;
}

export function headerLine(header: CastHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** Seconds with microsecond precision, never in exponent notation. */
export function formatSeconds(seconds: number): string {
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 0).toFixed(6);
}

/** One event line. `data` must be well-formed text (no lone surrogates): callers decode bytes with pty/utf8.ts. */
export function eventLine(seconds: number, type: CastEventType, data: string): string {
  return `[${formatSeconds(seconds)}, "${type}", ${JSON.stringify(data)}]\n`;
}

/** `r` data: "COLSxROWS". */
export const sizeData = (cols: number, rows: number) => `${cols}x${rows}`;

/** The time of an event line, or undefined when the line is not an event (the header, or not JSON). */
export function eventTime(line: string): number | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (Array.isArray(value) && typeof value[0] === "number" && Number.isFinite(value[0])) return value[0];
  } catch {
    // not JSON
  }
  return undefined;
}

/** The header parsed from a first line, or undefined when it is not an asciicast v2 header. */
export function parseHeader(line: string): CastHeader | undefined {
  try {
    const value = JSON.parse(line) as Partial<CastHeader> | null;
    if (
      value &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      value.version === 2 &&
      Number.isInteger(value.width) &&
      Number.isInteger(value.height)
    ) {
      return value as CastHeader;
    }
  } catch {
    // not JSON
  }
  return undefined;
}
