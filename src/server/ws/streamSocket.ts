// `/api/sessions/{id}/ws`: the terminal stream of the second source document, for a tmux session. The same
// tmux client, coalescing and backpressure as /ws/tmux (pty/terminalPipe.ts); only the framing differs:
// - server → client: binary frames `0xBF`, 4-byte big-endian length, UTF-8 bytes. A frame never ends inside
//   a character, and each frame is valid UTF-8 on its own: tmux's bytes pass unchanged, except a character tmux
//   itself cut short (it drops output mid-character for a client that falls behind) becomes U+FFFD.
// - client → server: text JSON `{type:"input",data}`, `{type:"resize",cols,rows}`, `{type:"ping"}` (answered
//   `{"type":"pong"}`). Anything else (binary, not JSON, another type, bad fields) closes with 1003.
// - close codes: 1000 session ended or client closed, 1001 server shutdown, 1003 unsupported data,
//   1008 policy (auth; see gateway.ts), 1011 server error (the terminal could not be started).
import type { FastifyBaseLogger } from "fastify";
import { Value } from "typebox/value";
import type { RawData, WebSocket } from "ws";
import {
  STREAM_FRAME_MAGIC,
  STREAM_HEADER_BYTES,
  StreamCloseCode,
  type StreamPongMessage,
} from "../../protocol/recording.js";
import { StreamInputMessage, StreamResizeMessage } from "../../protocol/schemas/recording.js";
import { DEFAULT_TERMINAL_SIZE } from "../../protocol/terminal.js";
import { TerminalPipe } from "../pty/terminalPipe.js";
import { Utf8Chunker, wellFormed } from "../pty/utf8.js";
import type { Tmux } from "../tmux/adapter.js";
import { PaneInput } from "./paneInput.js";
import { clampSize } from "./tmuxAttach.js";

export interface StreamOptions {
  tmux: Tmux;
  session: string;
  cols?: number;
  rows?: number;
  log: FastifyBaseLogger;
  highWatermark?: number;
  lowWatermark?: number;
  pingIntervalMs?: number;
  /** Keyboard bytes, for the session's recordings that capture input. */
  onInput?: (bytes: Buffer) => void;
  /** Confine the client to the session's panes (a session-limited token; tmuxAttach.ts, ADR 0012). */
  confine?: { readOnly: boolean };
  /** Sizes of what is typed and drawn (the watchtower's `terminalTraffic`). */
  traffic?: (input: number, output: number) => void;
  /** Told when the tmux client ended by itself (the watchtower's `noteMutation`). */
  clientExited?: () => void;
}

/** The largest payload of one frame, as for /ws/tmux. */
export const STREAM_MAX_PAYLOAD = 64 * 1024;

/**
 * Splits whole UTF-8 characters into pieces of at most `max` bytes, each cut before a lead byte. (A chunk can
 * run past `max` by the few bytes of a character held back from the previous one, or by replacement characters.)
 */
export function* utf8Pieces(bytes: Buffer, max = STREAM_MAX_PAYLOAD): Generator<Buffer> {
  let start = 0;
  while (bytes.length - start > max) {
    let cut = start + max;
    while (cut > start && (bytes[cut]! & 0xc0) === 0x80) cut--;
    if (cut === start) cut = start + max;
    yield bytes.subarray(start, cut);
    start = cut;
  }
  if (start < bytes.length) yield bytes.subarray(start);
}

/** `0xBF` + length + bytes, in one buffer. */
export function streamFrame(bytes: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(STREAM_HEADER_BYTES + bytes.length);
  frame[0] = STREAM_FRAME_MAGIC;
  frame.writeUInt32BE(bytes.length, 1);
  bytes.copy(frame, STREAM_HEADER_BYTES);
  return frame;
}

export type ParsedStreamMessage =
  | { type: "input"; data: string }
  | { type: "resize"; cols: number; rows: number }
  | { type: "ping" }
  | { type: "invalid"; reason: string };

/** Parses one client text message; anything the protocol does not define is `invalid`. */
export function parseStreamMessage(text: string): ParsedStreamMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { type: "invalid", reason: "invalid json" };
  }
  const type = (message as { type?: unknown } | null)?.type;
  if (type === "input") {
    return Value.Check(StreamInputMessage, message)
      ? { type, data: message.data }
      : { type: "invalid", reason: "bad input message" };
  }
  if (type === "resize") {
    if (!Value.Check(StreamResizeMessage, message) || message.cols <= 0 || message.rows <= 0) {
      return { type: "invalid", reason: "bad resize message" };
    }
    return { type, cols: message.cols, rows: message.rows };
  }
  if (type === "ping") return { type };
  return { type: "invalid", reason: "unsupported message type" };
}

export function attachStream(ws: WebSocket, options: StreamOptions): { dispose(): void } {
  const { tmux, session, log } = options;
  const size = clampSize(
    options.cols ?? DEFAULT_TERMINAL_SIZE.cols,
    options.rows ?? DEFAULT_TERMINAL_SIZE.rows,
  );
  const chunker = new Utf8Chunker();
  let finished = false;
  const confined = options.confine
    ? new PaneInput({ tmux, session, log, readOnly: options.confine.readOnly })
    : undefined;

  const send = (bytes: Buffer) => {
    if (!bytes.length || ws.readyState !== ws.OPEN) return;
    for (const piece of utf8Pieces(wellFormed(bytes))) ws.send(streamFrame(piece), { binary: true });
  };

  const pipe = new TerminalPipe({
    tmux,
    session,
    ...size,
    log,
    ...(confined ? { attachFlags: ["read-only"], mouse: false } : {}),
    ...(options.highWatermark !== undefined ? { highWatermark: options.highWatermark } : {}),
    ...(options.lowWatermark !== undefined ? { lowWatermark: options.lowWatermark } : {}),
    output: (chunk) => send(chunker.push(chunk)),
    pending: () => ws.bufferedAmount,
    ...(options.traffic ? { traffic: options.traffic } : {}),
    ...(options.clientExited ? { clientExited: options.clientExited } : {}),
    onExit: (exitCode) => {
      log.info({ session, exitCode }, "stream detached");
      finish(StreamCloseCode.Normal, "session ended");
    },
  });

  const finish = (code: number, reason: string) => {
    if (finished) return;
    finished = true;
    clearInterval(ping);
    const normal = code === StreamCloseCode.Normal;
    confined?.dispose();
    pipe.dispose(normal);
    if (normal) send(chunker.end());
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };

  const onMessage = (data: RawData, isBinary: boolean) => {
    if (finished) return;
    if (isBinary) {
      finish(StreamCloseCode.Unsupported, "binary messages are not supported");
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const message = parseStreamMessage(bytes.toString("utf8"));
    switch (message.type) {
      case "invalid":
        log.debug({ session, reason: message.reason }, "stream message refused");
        finish(StreamCloseCode.Unsupported, message.reason);
        return;
      case "ping": {
        const pong: StreamPongMessage = { type: "pong" };
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(pong));
        return;
      }
      case "input": {
        const data = Buffer.from(message.data, "utf8");
        const keys = confined ? confined.write(data) : data;
        if (!keys.length) return;
        if (!confined) pipe.write(keys);
        else pipe.noteInput(keys.length);
        options.onInput?.(keys);
        return;
      }
      case "resize": {
        const next = clampSize(message.cols, message.rows);
        pipe.resize(next.cols, next.rows);
        return;
      }
    }
  };

  const ping = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping("k");
  }, options.pingIntervalMs ?? 30_000);

  ws.on("message", onMessage);
  ws.once("close", () => finish(StreamCloseCode.Normal, "done"));
  ws.on("error", (error) => {
    log.debug({ err: error, session }, "stream socket error");
    finish(StreamCloseCode.ServerError, "connection error");
  });

  pipe.start().catch((error) => {
    log.error({ err: error, session }, "unable to start terminal");
    finish(StreamCloseCode.ServerError, "unable to start terminal");
  });

  return { dispose: () => finish(StreamCloseCode.GoingAway, "server shutting down") };
}
