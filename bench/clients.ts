// The two kinds of terminal client the benchmarks compare: a `/ws/tmux` WebSocket client of the server under
// test, and the baseline, a plain node-pty process running `tmux attach` the way the server itself does.
import { spawn as spawnPty } from "@lydell/node-pty";
import WebSocket from "ws";
import type { Workspace } from "./harness.js";
import { TOKEN, withTimeout } from "./harness.js";

export type Listener = (chunk: Buffer) => void;

export interface Term {
  readonly kind: "ws" | "pty" | "wetty" | "vibetunnel";
  /** Total output bytes received so far. */
  readonly bytes: number;
  /** Errors seen (socket errors, unexpected closes); benchmarks report them. */
  readonly errors: string[];
  /** Subscribes to output; returns the unsubscribe function. */
  onData(listener: Listener): () => void;
  write(data: string | Buffer): void;
  close(): Promise<void>;
}

export abstract class BaseTerm {
  bytes = 0;
  readonly errors: string[] = [];
  private readonly listeners = new Set<Listener>();

  onData(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected deliver(chunk: Buffer): void {
    this.bytes += chunk.length;
    for (const listener of this.listeners) listener(chunk);
  }
}

export class WsTerm extends BaseTerm implements Term {
  readonly kind = "ws" as const;
  private closing = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        const text = data.toString();
        if (text.includes('"error"')) this.errors.push(`error frame: ${text}`);
        return;
      }
      this.deliver(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
    });
    ws.on("error", (error) => this.errors.push(`ws error: ${error.message}`));
    this.closedPromise = new Promise((resolve) =>
      ws.once("close", (code, reason) => {
        if (!this.closing) this.errors.push(`unexpected close ${code} ${reason.toString()}`);
        resolve();
      }),
    );
  }

  /** Connects and waits for the status frame (spec §2.3: the first server message); `query` is appended. */
  static async connect(
    server: { port: number },
    session: string,
    cols = 120,
    rows = 40,
    query = "",
  ): Promise<WsTerm> {
    const url = `ws://127.0.0.1:${server.port}/ws/tmux?session=${encodeURIComponent(session)}&cols=${cols}&rows=${rows}${query}`;
    const ws = new WebSocket(url, ["sentinel.v1"], {
      headers: { Authorization: `Bearer ${TOKEN}` },
      perMessageDeflate: false,
    });
    const status = new Promise<void>((resolve, reject) => {
      ws.once("message", (data, isBinary) => {
        const text = data.toString();
        if (isBinary || !text.includes('"status"')) reject(new Error(`first frame is not a status: ${text}`));
        else resolve();
      });
      ws.once("unexpected-response", (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode}`)),
      );
      ws.once("error", reject);
      ws.once("close", (code) => reject(new Error(`closed ${code} before status`)));
    });
    // Listeners for output are installed synchronously so no frame after the status can be missed.
    const term = new WsTerm(ws);
    await withTimeout(status, 10_000, `status frame for ${session}`);
    ws.send(JSON.stringify({ type: "resize", cols, rows }));
    return term;
  }

  write(data: string | Buffer): void {
    this.ws.send(typeof data === "string" ? Buffer.from(data) : data, { binary: true });
  }

  /** Stops reading from the TCP socket (the server then sees a client that does not read). */
  pauseReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  resumeReading(): void {
    (this.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    try {
      await withTimeout(this.closedPromise, 3000, "ws close");
    } catch {
      this.ws.terminate();
    }
  }
}

export class PtyTerm extends BaseTerm implements Term {
  readonly kind = "pty" as const;
  private exited = false;
  private closing = false;
  private readonly exitPromise: Promise<void>;

  private constructor(private readonly pty: ReturnType<typeof spawnPty>) {
    super();
    pty.onData((chunk) => this.deliver(chunk as unknown as Buffer));
    this.exitPromise = new Promise((resolve) =>
      pty.onExit(({ exitCode, signal }) => {
        this.exited = true;
        if (!this.closing) this.errors.push(`tmux attach exited (${exitCode}, signal ${signal})`);
        resolve();
      }),
    );
  }

  /** `tmux -S SOCK attach-session -t =SESSION` in a PTY of the same size and env the server uses. */
  static async connect(work: Workspace, session: string, cols = 120, rows = 40): Promise<PtyTerm> {
    const pty = spawnPty("tmux", ["-S", work.socket, "attach-session", "-t", `=${session}`], {
      name: "xterm-256color",
      cols,
      rows,
      cwd: process.env.HOME || process.cwd(),
      env: work.env,
      encoding: null,
    });
    const term = new PtyTerm(pty);
    // Attached once tmux has drawn something.
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const off = term.onData(() => {
          off();
          resolve();
        });
        term.exitPromise.then(() => reject(new Error(`tmux attach exited: ${term.errors.join("; ")}`)));
      }),
      10_000,
      `pty attach to ${session}`,
    );
    return term;
  }

  get pid(): number {
    return this.pty.pid;
  }

  write(data: string | Buffer): void {
    this.pty.write(data as string);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.exited) return;
    try {
      this.pty.kill("SIGKILL");
    } catch {
      // already gone
    }
    await withTimeout(this.exitPromise, 3000, "pty exit").catch(() => undefined);
  }
}

/** Resolves once `term` has been silent for `quietMs` (bounded by `maxMs`). */
export async function waitQuiet(term: Term, quietMs = 200, maxMs = 5000): Promise<void> {
  let last = performance.now();
  const off = term.onData(() => {
    last = performance.now();
  });
  const deadline = performance.now() + maxMs;
  try {
    while (performance.now() - last < quietMs) {
      if (performance.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    off();
  }
}

/**
 * Resolves when `needle` appears in the output (searching across chunk boundaries), with the receive time.
 * Bytes are scanned as latin1 so a multi-byte boundary never hides an ASCII marker.
 */
export function waitForText(
  term: Term,
  needle: string,
  timeoutMs: number,
): { done: Promise<number>; cancel(): void } {
  let tail = "";
  let off: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve, reject) => {
    off = term.onData((chunk) => {
      const text = tail + chunk.toString("latin1");
      if (text.includes(needle)) {
        const at = performance.now();
        off();
        clearTimeout(timer);
        resolve(at);
        return;
      }
      tail = text.slice(-needle.length);
    });
    timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(needle)}`));
    }, timeoutMs);
  });
  return {
    done,
    cancel: () => {
      off();
      clearTimeout(timer);
    },
  };
}
