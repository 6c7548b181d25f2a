// One `/ws/tmux` attachment (spec §2 with Appendix A's fixes): a `tmux attach` client in a PTY (pty/terminalPipe.ts:
// coalesced binary frames, backpressure that pauses the PTY while the socket is congested), keyboard bytes and
// resize frames from the socket, pings. With `?record=1` the frames the client is sent, its resizes and (when
// input capture is on) its keys are recorded as they happen. A confined client (a token limited to one session)
// gets a read-only tmux client that is never written to; its keys are typed into the session's active pane by
// PaneInput (paneInput.ts, ADR 0012), so no tmux key binding or prompt can take it out of its session.
import type { FastifyBaseLogger } from "fastify";
import { Value } from "typebox/value";
import type { RawData, WebSocket } from "ws";
import { ResizeMessage } from "../../protocol/schemas/terminal.js";
import {
  DEFAULT_TERMINAL_SIZE,
  type ErrorMessage,
  type StatusMessage,
  TERMINAL_LIMITS,
} from "../../protocol/terminal.js";
import { TerminalPipe } from "../pty/terminalPipe.js";
import type { TerminalTap } from "../pty/terminalTap.js";
import type { Tmux } from "../tmux/adapter.js";
import type { ViewTarget } from "../tmux/viewSessions.js";
import { PaneInput } from "./paneInput.js";

export interface AttachOptions {
  tmux: Tmux;
  session: string;
  cols?: number;
  rows?: number;
  log: FastifyBaseLogger;
  /** Pause the PTY while more than this many bytes wait in the socket. */
  highWatermark?: number;
  /** Resume once the socket has drained below this. */
  lowWatermark?: number;
  pingIntervalMs?: number;
  /** Starts a recording of this client at its initial size (`?record=1`); may throw. */
  record?: (size: { cols: number; rows: number }) => TerminalTap;
  /** Keyboard bytes, for the session's recordings that capture input. */
  onInput?: (bytes: Buffer) => void;
  /** Confine the client to the session's panes (a session-limited token); `readOnly`: it types nothing. */
  confine?: { readOnly: boolean };
  /** Sizes of what is typed and drawn (the watchtower's `terminalTraffic`). */
  traffic?: (input: number, output: number) => void;
  /** Told when the tmux client ended by itself (the watchtower's `noteMutation`). */
  clientExited?: () => void;
  /** Show one window or pane in a view session of its own (`?window=` / `?pane=`, tmux/viewSessions.ts). */
  view?: { name: string; target: ViewTarget };
}

export const MAX_CONTROL_FRAME = 8 * 1024;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(value)));

export function clampSize(cols: number, rows: number): { cols: number; rows: number } {
  return {
    cols: clamp(cols, TERMINAL_LIMITS.minCols, TERMINAL_LIMITS.maxCols),
    rows: clamp(rows, TERMINAL_LIMITS.minRows, TERMINAL_LIMITS.maxRows),
  };
}

export function attachTerminal(ws: WebSocket, options: AttachOptions): { dispose(): void; end(): void } {
  const { tmux, session, log, view } = options;
  const size = clampSize(
    options.cols ?? DEFAULT_TERMINAL_SIZE.cols,
    options.rows ?? DEFAULT_TERMINAL_SIZE.rows,
  );

  let finished = false;
  let tap: TerminalTap | undefined;
  let exitCode: number | undefined;
  // A confined view types into what it shows: its pane, or its own current window's active pane.
  const viewInput = view && ("pane" in view.target ? view.target.pane : `=${view.name}:`);
  const confined = options.confine
    ? new PaneInput({
        tmux,
        session,
        log,
        readOnly: options.confine.readOnly,
        ...(viewInput ? { target: viewInput } : {}),
      })
    : undefined;

  const pipe = new TerminalPipe({
    tmux,
    session,
    ...size,
    log,
    // A confined client's tmux client only draws; the session's mouse option is left as it is.
    ...(confined ? { attachFlags: ["read-only"], mouse: false } : {}),
    ...(view ? { view } : {}),
    ...(options.highWatermark !== undefined ? { highWatermark: options.highWatermark } : {}),
    ...(options.lowWatermark !== undefined ? { lowWatermark: options.lowWatermark } : {}),
    output: (frame) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame, { binary: true });
      tap?.output(frame);
    },
    pending: () => ws.bufferedAmount + (tap?.backlog() ?? 0),
    ...(options.traffic ? { traffic: options.traffic } : {}),
    ...(options.clientExited ? { clientExited: options.clientExited } : {}),
    // Any end of the tmux client (detach, session killed, EIO race) is a normal end: 1000 "done".
    onExit: (code) => {
      log.info({ session, exitCode: code }, "terminal detached");
      exitCode = code;
      finish(1000, "done");
    },
  });

  const finish = (code: number, reason: string) => {
    if (finished) return;
    finished = true;
    clearInterval(ping);
    confined?.dispose();
    pipe.dispose(code === 1000);
    tap?.end(exitCode);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };

  const sendJson = (message: StatusMessage | ErrorMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const onMessage = (data: RawData, isBinary: boolean) => {
    if (finished || !pipe.running) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      const typed = confined ? confined.write(bytes) : bytes;
      if (!confined) pipe.write(bytes);
      else if (typed.length) pipe.noteInput(typed.length);
      if (!typed.length) return;
      tap?.input(typed);
      options.onInput?.(typed);
      return;
    }
    if (bytes.length > MAX_CONTROL_FRAME) {
      sendJson({
        type: "error",
        code: "CONTROL_FRAME_TOO_LARGE",
        message: "control frame larger than 8 KiB",
      });
      finish(1011, "control frame too large");
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString("utf8"));
    } catch {
      return;
    }
    if (!Value.Check(ResizeMessage, message)) return;
    if (!(message.cols > 0 && message.rows > 0)) return;
    const next = clampSize(message.cols, message.rows);
    if (tap) {
      // Output drawn at the old size is recorded before the `r` event, the redraw after it.
      pipe.flush();
      tap.resize(next.cols, next.rows);
    }
    pipe.resize(next.cols, next.rows);
  };

  const ping = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping("k");
  }, options.pingIntervalMs ?? 30_000);

  ws.on("message", onMessage);
  ws.once("close", () => finish(1000, "done"));
  ws.on("error", (error) => {
    log.debug({ err: error, session }, "terminal socket error");
    finish(1011, "connection error");
  });

  const start = async () => {
    if (finished) return;
    if (options.record) {
      try {
        tap = options.record(size);
      } catch (error) {
        log.error({ err: error, session }, "unable to start recording");
        sendJson({ type: "error", code: "RECORDING_FAILED", message: "unable to start recording" });
        finish(1011, "recording failed");
        return;
      }
    }
    try {
      if (!(await pipe.start())) return;
    } catch (error) {
      log.error({ err: error, session }, "unable to start terminal");
      sendJson({ type: "error", code: "PTY_FAILED", message: "unable to start terminal" });
      finish(1011, "pty start failed");
      return;
    }
    sendJson({ type: "status", state: "attached", session, ...(tap ? { recordingId: tap.id } : {}) });
  };
  start().catch((error) => {
    log.error({ err: error, session }, "terminal failed");
    finish(1011, "connection error");
  });

  return {
    dispose: () => finish(1001, "server shutting down"),
    /** What it showed is gone (a view whose session was killed): the end a tmux client's exit would give. */
    end: () => finish(1000, "done"),
  };
}
