// WeTTY (npm `wetty`, installed by scripts/bench-peers.mjs) as a measured peer: one wetty process per tmux
// session (its command is fixed at start: `tmux -S <bench socket> attach-session -t =<session>`, so each socket.io
// connection spawns its own `tmux attach` in a PTY, as the naive relay does), and WettyTerm, a socket.io client
// speaking its protocol the way its web client does (build/client/wetty.js, build/server/spawn.js):
// - the server emits `login` once the PTY is spawned (its input/resize handlers are in place from then on),
//   then `data` (strings, batched by tinybuffer: 2 ms or 512 KiB) and `logout` when the command exits;
// - the client emits `input` (string), `resize` ({cols, rows}) and `commit` (chars processed): the server pauses
//   the PTY once 2 MiB are unacknowledged, and the web client commits every 256 KiB, as WettyTerm does.
// WeTTY runs the command itself only as root with its ssh host on localhost (build/server/command.js); any other
// user gets `ssh localhost`, which the bench does not set up: the peer is then skipped with that reason.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { BaseTerm, type Term } from "../clients.js";
import { ownChild, type Workspace, withTimeout } from "../harness.js";
import type { PeerInstall } from "./install.js";
import { freePort, waitListening } from "./net.js";

const BASE = "/wetty";
/** The web client's commit step (its FlowControlClient's ackBytes). */
const ACK_CHARS = 262_144;

/** The part of socket.io-client's Socket this client uses. */
interface IoSocket {
  on(event: string, listener: (...args: unknown[]) => void): IoSocket;
  once(event: string, listener: (...args: unknown[]) => void): IoSocket;
  emit(event: string, ...args: unknown[]): IoSocket;
  disconnect(): IoSocket;
  readonly connected: boolean;
}
type Io = (url: string, options: Record<string, unknown>) => IoSocket;

/** Why WeTTY cannot run here, or undefined when it can. */
export function wettyUnsupported(work: Workspace): string | undefined {
  if (process.getuid?.() !== 0)
    return "wetty runs its command directly only as root; as another user it logs in with ssh to localhost, which the bench does not set up";
  // wetty runs `/usr/bin/env -S <command>`: the command is split on whitespace.
  if (/\s/.test(work.socket)) return `the tmux socket path has whitespace: ${work.socket}`;
  return undefined;
}

export interface WettyServer {
  port: number;
  pid: number;
  child: ChildProcess;
  /** socket.io-client from the peer's cache dir. */
  io: Io;
  session: string;
  logTail(): string;
  stop(): Promise<void>;
}

/** A wetty process serving `session` of the workspace's tmux; stopped by `stop()` or the bench's cleanup. */
export async function startWetty(
  install: PeerInstall,
  work: Workspace,
  session: string,
): Promise<WettyServer> {
  const io = (createRequire(join(install.dir, "node_modules", "_")) as NodeJS.Require)("socket.io-client")
    .io as Io;
  const port = await freePort();
  const command = `tmux -S ${work.socket} attach-session -t =${session}`;
  const child = spawn(
    process.execPath,
    [
      install.main,
      ...["--host", "127.0.0.1", "--port", String(port), "--base", `${BASE}/`],
      ...["--command", command, "--log-level", "warn"],
    ],
    { cwd: work.dir, env: work.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const { logTail, stop } = ownChild(child, 3000);
  try {
    await waitListening("wetty", child, port, 15000, logTail);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid!, child, io, session, logTail, stop };
}

/** A client of a wetty process: the session is the one that process was started for. */
export class WettyTerm extends BaseTerm implements Term {
  readonly kind = "wetty" as const;
  private closing = false;
  private uncommitted = 0;

  private constructor(private readonly socket: IoSocket) {
    super();
    socket.on("data", (data) => {
      const text = String(data);
      this.deliver(Buffer.from(text, "utf8"));
      // Processed as soon as the listeners have it: acknowledge as the web client does after xterm's write.
      this.uncommitted += text.length;
      while (this.uncommitted >= ACK_CHARS) {
        this.uncommitted -= ACK_CHARS;
        socket.emit("commit", ACK_CHARS);
      }
    });
    socket.on("logout", () => {
      if (!this.closing) this.errors.push("wetty: the command exited (logout)");
    });
    socket.on("disconnect", (reason) => {
      if (!this.closing) this.errors.push(`wetty: disconnected (${String(reason)})`);
    });
    socket.on("connect_error", (error) => this.errors.push(`wetty: ${(error as Error).message}`));
  }

  /** Connects (WebSocket transport: what the web client upgrades to), then sizes the PTY once it is spawned. */
  static async connect(server: WettyServer, cols = 120, rows = 40): Promise<WettyTerm> {
    const socket = server.io(`http://127.0.0.1:${server.port}`, {
      path: `${BASE}/socket.io`,
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    const term = new WettyTerm(socket);
    // Listening from the start: the first output may come in the same read as `login`.
    const drawn = new Promise<void>((resolve) => {
      const off = term.onData(() => {
        off();
        resolve();
      });
    });
    try {
      // `login` follows the PTY's spawn; input and resize sent before it would be dropped.
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once("login", () => resolve());
          socket.once("connect_error", (error) => reject(error as Error));
          socket.once("logout", () =>
            reject(new Error(`wetty: the command exited at once:\n${server.logTail()}`)),
          );
        }),
        10_000,
        `wetty login for ${server.session}`,
      );
      socket.emit("resize", { cols, rows });
      await withTimeout(drawn, 10_000, `wetty output for ${server.session}`);
    } catch (error) {
      await term.close();
      throw error;
    }
    return term;
  }

  write(data: string | Buffer): void {
    this.socket.emit("input", typeof data === "string" ? data : data.toString("utf8"));
  }

  async close(): Promise<void> {
    this.closing = true;
    // The server kills the PTY (and so its `tmux attach`) on disconnect.
    this.socket.disconnect();
  }
}
