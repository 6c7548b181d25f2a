// The server process's output as the extension reads it: stdout and stderr split into lines, stderr lines as log
// entries. The ready line and runtime.json are src/protocol/runtime.ts. No `vscode` import.
import { parseJsonObject } from "../../protocol/runtime.js";

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
  const value = trimmed.startsWith("{") ? parseJsonObject(trimmed) : undefined;
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
