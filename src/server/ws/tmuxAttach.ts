// One `/ws/tmux` attachment (spec §2 with Appendix A's fixes): a `tmux attach` client in a PTY, its output
// coalesced into binary frames, keyboard bytes and resize frames from the socket, pings, and backpressure
// that pauses the PTY while the socket is congested. Owns the PTY, the coalescer and its timers.
import type * as NodePty from "@lydell/node-pty";
import type { IPty } from "@lydell/node-pty";
import type { FastifyBaseLogger } from "fastify";
import { Value } from "typebox/value";
import type { RawData, WebSocket } from "ws";
import {
  DEFAULT_TERMINAL_SIZE,
  type ErrorMessage,
  ResizeMessage,
  type StatusMessage,
  TERMINAL_LIMITS,
} from "../../protocol/terminal.js";
import type { Tmux } from "../tmux/adapter.js";
import { OutputCoalescer } from "./outputCoalescer.js";

// The native PTY module is loaded on the first attach, not at start-up.
let ptyModule: typeof NodePty | undefined;
const spawn: typeof NodePty.spawn = (...args) => {
  ptyModule ??= require("@lydell/node-pty") as typeof NodePty;
  return ptyModule.spawn(...args);
};

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
}

export const MAX_CONTROL_FRAME = 8 * 1024;
const DRAIN_POLL_MS = 10;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(value)));

export function clampSize(cols: number, rows: number): { cols: number; rows: number } {
  return {
    cols: clamp(cols, TERMINAL_LIMITS.minCols, TERMINAL_LIMITS.maxCols),
    rows: clamp(rows, TERMINAL_LIMITS.minRows, TERMINAL_LIMITS.maxRows),
  };
}

export function attachTerminal(ws: WebSocket, options: AttachOptions): { dispose(): void } {
  const { tmux, session, log } = options;
  const high = options.highWatermark ?? 1024 * 1024;
  const low = options.lowWatermark ?? 256 * 1024;
  const size = clampSize(
    options.cols ?? DEFAULT_TERMINAL_SIZE.cols,
    options.rows ?? DEFAULT_TERMINAL_SIZE.rows,
  );

  let pty: IPty | undefined;
  let paused = false;
  let drainTimer: NodeJS.Timeout | undefined;
  let finished = false;
  const disposables: Array<() => void> = [];

  const sendFrame = (frame: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame, { binary: true });
    if (!paused && ws.bufferedAmount > high) {
      paused = true;
      pty?.pause();
      waitForDrain();
    }
  };
  const coalescer = new OutputCoalescer(sendFrame);

  const waitForDrain = () => {
    drainTimer = setTimeout(() => {
      drainTimer = undefined;
      if (finished) return;
      if (ws.bufferedAmount < low) {
        paused = false;
        pty?.resume();
      } else {
        waitForDrain();
      }
    }, DRAIN_POLL_MS);
  };

  const finish = (code: number, reason: string) => {
    if (finished) return;
    finished = true;
    if (drainTimer) clearTimeout(drainTimer);
    clearInterval(ping);
    for (const d of disposables.splice(0)) d();
    if (code === 1000) coalescer.flush();
    coalescer.dispose();
    if (pty) {
      try {
        pty.kill("SIGKILL");
      } catch {
        // already gone
      }
      pty = undefined;
    }
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };

  const sendJson = (message: StatusMessage | ErrorMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const onMessage = (data: RawData, isBinary: boolean) => {
    if (finished || !pty) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      // node-pty writes strings and Buffers alike to the PTY socket; a Buffer keeps the bytes exact.
      pty.write(bytes as unknown as string);
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
    try {
      pty.resize(next.cols, next.rows);
    } catch (error) {
      log.debug({ err: error, session }, "resize failed");
    }
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
    // Best-effort: web terminals want tmux mouse support, set before the client attaches (spec §2.2 step 2).
    // The seed's rewriting of the global mouse bindings (§2.2 step 1) is left out: it edits the user's tmux
    // key tables, which a VS Code terminal does not need.
    await tmux.setSessionOption(session, "mouse", "on").catch(() => undefined);
    if (finished) return;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(tmux.childEnv())) if (v !== undefined) env[k] = v;
    env.TERM ||= "xterm-256color";
    env.LANG ||= "C.UTF-8";
    try {
      pty = spawn(tmux.binary, tmux.attachArgs(session), {
        name: "xterm-256color",
        cols: size.cols,
        rows: size.rows,
        cwd: process.env.HOME || process.cwd(),
        env,
        encoding: null,
      });
    } catch (error) {
      log.error({ err: error, session }, "unable to start terminal");
      sendJson({ type: "error", code: "PTY_FAILED", message: "unable to start terminal" });
      finish(1011, "pty start failed");
      return;
    }
    sendJson({ type: "status", state: "attached", session });
    const data = pty.onData((chunk) => coalescer.push(chunk as unknown as Buffer));
    // Any end of the tmux client (detach, session killed, EIO race) is a normal end: 1000 "done".
    const exit = pty.onExit(({ exitCode }) => {
      log.info({ session, exitCode }, "terminal detached");
      pty = undefined;
      finish(1000, "done");
    });
    disposables.push(
      () => data.dispose(),
      () => exit.dispose(),
    );
  };
  start().catch((error) => {
    log.error({ err: error, session }, "terminal failed");
    finish(1011, "connection error");
  });

  return { dispose: () => finish(1001, "server shutting down") };
}
