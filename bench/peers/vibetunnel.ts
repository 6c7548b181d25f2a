// VibeTunnel (npm `vibetunnel`, installed by scripts/bench-peers.mjs) as a measured peer: one VibeTunnel server
// per benchmark (loopback, --no-auth, no mDNS, no push; its HOME and control dir in the bench's temp dir), and
// VibeTunnelTerm, a client the way its web client talks to it: each connection is a VibeTunnel session whose
// command is `tmux -S <bench socket> attach-session -t =<session>` (POST /api/sessions, the PTY owned by the
// server), output from the session's SSE stream (GET /api/sessions/:id/stream: asciicast events `[t, "o", text]`,
// tailed from the cast file the PTY writes), input over its input WebSocket (/ws/input?sessionId=, raw text);
// closing deletes the session (its PTY, so its `tmux attach`, is killed).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { type ClientRequest, request } from "node:http";
import { join } from "node:path";
import WebSocket from "ws";
import { BaseTerm, type Term } from "../clients.js";
import { ownChild, type Workspace, withTimeout } from "../harness.js";
import type { PeerInstall } from "./install.js";
import { freePort, waitListening } from "./net.js";

export interface VibeTunnelServer {
  port: number;
  pid: number;
  child: ChildProcess;
  logTail(): string;
  stop(): Promise<void>;
}

let homes = 0;

/** A VibeTunnel server for the workspace's tmux; stopped by `stop()` or the bench's cleanup. */
export async function startVibeTunnel(install: PeerInstall, work: Workspace): Promise<VibeTunnelServer> {
  const port = await freePort();
  // It keeps logs and session dirs (the casts) under HOME/.vibetunnel: never the user's.
  const home = join(work.dir, `vibetunnel-${homes++}`);
  mkdirSync(home, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      install.main,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--no-auth",
      "--no-mdns",
      "--push-disabled",
    ],
    {
      cwd: work.dir,
      env: { ...work.env, HOME: home, VIBETUNNEL_CONTROL_DIR: join(home, "control") },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const { logTail, stop } = ownChild(child, 6000);
  try {
    await waitListening("vibetunnel", child, port, 20000, logTail);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid!, child, logTail, stop };
}

function api(port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : undefined);
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A VibeTunnel session attached to `session` of the workspace's tmux. */
export class VibeTunnelTerm extends BaseTerm implements Term {
  readonly kind = "vibetunnel" as const;
  private closing = false;
  private stream?: ClientRequest;
  private input?: WebSocket;

  private constructor(
    private readonly server: VibeTunnelServer,
    private readonly id: string,
  ) {
    super();
  }

  static async connect(
    server: VibeTunnelServer,
    work: Workspace,
    session: string,
    cols = 120,
    rows = 40,
  ): Promise<VibeTunnelTerm> {
    const created = (await api(server.port, "POST", "/api/sessions", {
      command: ["tmux", "-S", work.socket, "attach-session", "-t", `=${session}`],
      workingDir: work.dir,
      name: session,
      cols,
      rows,
    })) as { sessionId?: string };
    if (!created?.sessionId) throw new Error(`vibetunnel: no session id in ${JSON.stringify(created)}`);
    const term = new VibeTunnelTerm(server, created.sessionId);
    try {
      const drawn = new Promise<void>((resolve) => {
        const off = term.onData(() => {
          off();
          resolve();
        });
      });
      await withTimeout(term.open(), 10_000, `vibetunnel stream and input for ${session}`);
      await withTimeout(drawn, 10_000, `vibetunnel output for ${session}`);
    } catch (error) {
      await term.close();
      throw error;
    }
    return term;
  }

  /** Opens the SSE stream and the input WebSocket. */
  private async open(): Promise<void> {
    const path = `/api/sessions/${encodeURIComponent(this.id)}/stream`;
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: this.server.port, path, headers: { accept: "text/event-stream" } },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`vibetunnel stream: ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding("utf8");
          let pending = "";
          res.on("data", (chunk: string) => {
            pending += chunk;
            let end = pending.indexOf("\n\n");
            while (end !== -1) {
              this.event(pending.slice(0, end));
              pending = pending.slice(end + 2);
              end = pending.indexOf("\n\n");
            }
          });
          res.on("end", () => {
            if (!this.closing) this.errors.push("vibetunnel: the stream ended");
          });
          resolve();
        },
      );
      req.on("error", (error) => {
        if (!this.closing) this.errors.push(`vibetunnel stream: ${error.message}`);
        reject(error);
      });
      req.end();
      this.stream = req;
    });
    const ws = new WebSocket(
      `ws://127.0.0.1:${this.server.port}/ws/input?sessionId=${encodeURIComponent(this.id)}`,
      { perMessageDeflate: false },
    );
    this.input = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.on("error", (error) => this.errors.push(`vibetunnel input: ${error.message}`));
    ws.on("close", () => {
      if (!this.closing) this.errors.push("vibetunnel input: closed");
    });
  }

  /** One SSE event: `data: <json>`; output events are `[t, "o", text]`, `["exit", …]` ends the session. */
  private event(block: string): void {
    for (const line of block.split("\n")) {
      if (!line.startsWith("data: ")) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.slice(6));
      } catch {
        continue;
      }
      if (!Array.isArray(parsed)) continue;
      if (parsed[0] === "exit") {
        if (!this.closing) this.errors.push("vibetunnel: the command exited");
      } else if (parsed[1] === "o" && typeof parsed[2] === "string") {
        this.deliver(Buffer.from(parsed[2], "utf8"));
      }
    }
  }

  write(data: string | Buffer): void {
    this.input?.send(typeof data === "string" ? data : data.toString("utf8"));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.input?.close();
    this.stream?.destroy();
    await api(this.server.port, "DELETE", `/api/sessions/${encodeURIComponent(this.id)}`).catch(
      () => undefined,
    );
  }
}
