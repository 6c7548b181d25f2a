// `/ws/logs` (spec §2.5): streams `journalctl … --follow` of one service or unit. A status frame first, then
// one `{"type":"log","line"}` text frame per line (a line is cut at 64 KiB), pings every 20 s; close 1000
// `done` at EOF, 1011 `stream error` when journalctl fails, 1011 `stream start failed` (after an error message)
// when the stream cannot start. Client text is ignored; the child is killed when the socket closes.
import { spawn } from "node:child_process";
import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import type { LogsStreamMessage } from "../../protocol/ops.js";

export const MAX_LOG_LINE = 64 * 1024;

export interface LogsOptions {
  /** The command to follow, or the error message to send instead (then close 1011 `stream start failed`). */
  command: { file: string; args: string[] } | { error: string };
  log: FastifyBaseLogger;
  pingIntervalMs?: number;
}

const send = (ws: WebSocket, message: LogsStreamMessage) => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
};

export function attachLogs(ws: WebSocket, options: LogsOptions): { dispose(): void } {
  if ("error" in options.command) {
    send(ws, { type: "error", message: options.command.error });
    ws.close(1011, "stream start failed");
    return { dispose: () => ws.close(1001, "server shutting down") };
  }
  const { file, args } = options.command;
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], shell: false });
  let stderr = "";
  let partial = "";
  let closed = false;
  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };
  const emit = (line: string) => {
    send(ws, { type: "log", line: line.length > MAX_LOG_LINE ? line.slice(0, MAX_LOG_LINE) : line });
  };
  send(ws, { type: "status", state: "streaming" });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    // A line longer than the limit is sent cut, and its rest dropped up to its end.
    if (partial.length > MAX_LOG_LINE * 4) partial = partial.slice(0, MAX_LOG_LINE);
    for (const line of lines) emit(line.replace(/\r$/, ""));
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  child.on("error", (error) => {
    options.log.warn({ err: error }, "log stream could not start");
    send(ws, { type: "error", message: `log stream failed: ${error.message}` });
    finish(1011, "stream start failed");
  });
  child.on("close", (code) => {
    if (partial) emit(partial);
    partial = "";
    if (code === 0 || closed) finish(1000, "done");
    else {
      send(ws, { type: "error", message: stderr.trim().split("\n")[0] || `journalctl exited with ${code}` });
      finish(1011, "stream error");
    }
  });
  const ping = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping("k");
  }, options.pingIntervalMs ?? 20_000);
  ws.on("close", () => {
    closed = true;
    clearInterval(ping);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });
  return {
    dispose: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      finish(1001, "server shutting down");
    },
  };
}
