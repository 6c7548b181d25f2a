// How a started server tells its clients where it is, declared once for the server (src/server/cli.ts writes
// them) and the extension (src/extension/server/serverManager.ts reads them): the ready line, one JSON line on
// stdout once it listens, and `<data-dir>/runtime.json` (mode 0600), which a running server leaves for other
// clients of the same user and host (design.md: one server per host and user, reused).

/** The ready line: `{"event":"ready","url","port","pid","version","auth"}`. */
export interface ReadyLine {
  event: "ready";
  url: string;
  port: number;
  pid: number;
  version: string;
  /** "token", or "none" when config.toml says `auth = "none"`. */
  auth: string;
}

/** What a client reads from the ready line. */
export interface ReadyInfo {
  url: string;
  port: number;
  pid: number;
  version: string;
}

/** `<data-dir>/runtime.json`, written atomically once the server listens and removed on a graceful stop. */
export interface RuntimeInfo extends ReadyInfo {
  startedAt: string;
  /** The tmux socket every tmux call uses ("" for tmux's default server): a client reuses only a match. */
  tmuxSocket: string;
}

/** The file's name inside the data directory. */
export const RUNTIME_FILE = "runtime.json";

/** The ready line as the server prints it (without its line break). */
export function formatReadyLine(line: Omit<ReadyLine, "event">): string {
  const ready: ReadyLine = { event: "ready", ...line };
  return JSON.stringify(ready);
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

/** A JSON object, or undefined for anything else (garbage, an array, a partial line). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
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
  const value = parseJsonObject(trimmed);
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

/**
 * `runtime.json`'s content, or undefined when it is not a complete, sane record. `tmuxSocket` is undefined when
 * the server did not say (an older server).
 */
export function parseRuntimeInfo(
  text: string,
): (Omit<RuntimeInfo, "tmuxSocket"> & { tmuxSocket: string | undefined }) | undefined {
  const value = parseJsonObject(text);
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
