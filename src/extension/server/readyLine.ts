// The server's stdout protocol: one JSON line `{"event":"ready","url","port","pid","version"}` once it listens
// (src/server/cli.ts). Also `<data-dir>/runtime.json`, which a running server leaves for other clients of the
// same user and host. No `vscode` import.

export interface ReadyInfo {
  url: string;
  port: number;
  pid: number;
  version: string;
}

export interface RuntimeInfo extends ReadyInfo {
  startedAt: string;
  /** The tmux socket the server uses, "" for tmux's default; undefined when the server did not say. */
  tmuxSocket: string | undefined;
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;
const isPid = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

function httpUrl(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  try {
    const url = new URL(v);
    return url.protocol === "http:" || url.protocol === "https:" ? v.replace(/\/+$/, "") : undefined;
  } catch {
    return undefined;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The ready line, or undefined for any other line (a log line, a partial line, garbage). */
export function parseReadyLine(line: string): ReadyInfo | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  const value = parseObject(trimmed);
  if (value?.event !== "ready") return undefined;
  const url = httpUrl(value.url);
  if (!url || !isPort(value.port) || !isPid(value.pid)) return undefined;
  return {
    url,
    port: value.port,
    pid: value.pid,
    version: typeof value.version === "string" ? value.version : "",
  };
}

/** `runtime.json`'s content, or undefined when it is not a complete, sane record. */
export function parseRuntimeInfo(text: string): RuntimeInfo | undefined {
  const value = parseObject(text);
  if (!value) return undefined;
  const url = httpUrl(value.url);
  if (!url || !isPort(value.port) || !isPid(value.pid) || typeof value.version !== "string") return undefined;
  return {
    url,
    port: value.port,
    pid: value.pid,
    version: value.version,
    startedAt: typeof value.startedAt === "string" ? value.startedAt : "",
    tmuxSocket: typeof value.tmuxSocket === "string" ? value.tmuxSocket : undefined,
  };
}

/** Splits a byte stream decoded as text into lines; keeps a partial last line until it completes. */
export class LineSplitter {
  private rest = "";

  /** Complete lines in `chunk` (plus what was held back), without their line breaks. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split(/\r?\n/);
    this.rest = lines.pop() ?? "";
    // A runaway line without a break must not grow without bound.
    if (this.rest.length > 64 * 1024) {
      lines.push(this.rest);
      this.rest = "";
    }
    return lines;
  }

  /** What is left when the stream ends. */
  flush(): string[] {
    const rest = this.rest;
    this.rest = "";
    return rest ? [rest] : [];
  }
}

/** pino's numeric levels (the server logs JSON lines on stderr) mapped to log methods. */
export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error";

export interface ServerLogLine {
  level: LogLevelName;
  message: string;
}

/**
 * One stderr line of the server as a log entry: pino JSON lines become `msg` plus the interesting fields at their
 * level; anything else (start-up banner, a crash trace) is kept verbatim at `info` (`error` when it looks like one).
 */
export function parseServerLogLine(line: string): ServerLogLine | undefined {
  const trimmed = line.trimEnd();
  if (!trimmed.trim()) return undefined;
  const value = trimmed.startsWith("{") ? parseObject(trimmed) : undefined;
  if (!value || typeof value.level !== "number") {
    return { level: /error|exception|^sentinel:/i.test(trimmed) ? "error" : "info", message: trimmed };
  }
  const n = value.level;
  const level: LogLevelName =
    n >= 50 ? "error" : n >= 40 ? "warn" : n >= 30 ? "info" : n >= 20 ? "debug" : "trace";
  const skip = new Set(["level", "time", "pid", "hostname", "msg", "v"]);
  const extras = Object.entries(value)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const msg = typeof value.msg === "string" ? value.msg : "";
  return { level, message: [msg, ...extras].filter(Boolean).join(" ") };
}
