// One terminal's attachment to a tmux session over `/ws/tmux` (spec §2): the status frame first, binary output
// decoded as streaming UTF-8 (a character split across frames stays whole), keyboard input as binary frames,
// resize as a JSON control frame. Re-attaches by itself when the connection or the server goes away; tells a
// detach from the end of the session. No `vscode` import: the Pseudoterminal (tmuxPseudoterminal.ts) wraps it.
import type WebSocketType from "ws";
import { clientProtocols } from "../../protocol/transport.js";
import { type Endpoint, websocketUrl } from "../client/apiClient.js";
import { Backoff } from "../util/backoff.js";
import { errorMessage, type Logger } from "../util/log.js";

export type AttachState = "connecting" | "attached" | "reconnecting" | "detached" | "ended" | "closed";

/**
 * One window (by index) or pane of the session in a terminal of its own: the server shows it through a tmux
 * session grouped with the user's (`&window=` / `&pane=`, ADR 0014), so the session's other clients stay put.
 */
export type AttachView = { window: number } | { pane: string };

/** `main`, `main:2` or `main %5`: what a terminal shows. */
export function viewLabel(session: string, view: AttachView | undefined): string {
  if (!view) return session;
  return "pane" in view ? `${session} ${view.pane}` : `${session}:${view.window}`;
}

function viewQuery(view: AttachView | undefined): string {
  if (!view) return "";
  return "pane" in view ? `&pane=${encodeURIComponent(view.pane)}` : `&window=${view.window}`;
}

export interface AttachmentHost {
  log: Logger;
  /**
   * The server's endpoint. The first attach may start the server (rejecting when it cannot); a re-attach
   * (`reattach`) waits for it to run again instead, so a server the user stopped stays stopped.
   */
  endpoint(reattach: boolean): Promise<Endpoint>;
  /** Whether the session still exists; undefined when that cannot be known now. */
  sessionExists(session: string): Promise<boolean | undefined>;
  /** Text for the terminal. */
  write(text: string): void;
  /** The terminal should close (the user pressed a key after the end). */
  exit(code: number): void;
  onStateChange?(state: AttachState, detail?: string): void;
  /** First output after each attach (for the attach→screen timing). */
  onFirstOutput?(msSinceConnect: number): void;
}

const DIM = "\x1b[2m";
const RED = "\x1b[31m";
const RESET = "\x1b[0m";
/** Above this much undelivered text the socket is paused until the terminal took it. */
const HIGH_WATER = 1024 * 1024;

export function notice(text: string, color = DIM): string {
  return `\r\n${color}[Sentinel] ${text}${RESET}\r\n`;
}

export class TmuxAttachment {
  private socket: WebSocketType | undefined;
  private decoder = new TextDecoder("utf-8");
  private pending = "";
  private flushScheduled = false;
  private paused = false;
  private cols = 120;
  private rows = 40;
  private stateValue: AttachState = "connecting";
  private generation = 0;
  private readonly backoff = new Backoff({ initialMs: 300, maxMs: 5000 });
  private retryTimer: NodeJS.Timeout | undefined;
  private closedByUser = false;
  private connectStartedAt = 0;
  private sawOutput = false;
  private announcedLoss = false;
  /** Attaches so far (re-attaches included). */
  attaches = 0;

  constructor(
    private sessionName: string,
    private readonly host: AttachmentHost,
    readonly view?: AttachView,
  ) {}

  get session(): string {
    return this.sessionName;
  }

  /** What this terminal shows, for messages: the session, or its window or pane. */
  private get what(): string {
    if (!this.view) return `the tmux session "${this.sessionName}"`;
    return "pane" in this.view
      ? `pane ${this.view.pane} of "${this.sessionName}"`
      : `window ${this.view.window} of "${this.sessionName}"`;
  }

  get state(): AttachState {
    return this.stateValue;
  }

  open(cols: number | undefined, rows: number | undefined): void {
    if (cols && rows) {
      this.cols = cols;
      this.rows = rows;
    }
    void this.connect();
  }

  /** The session was renamed: later re-attaches use the new name. */
  rename(name: string): void {
    this.sessionName = name;
  }

  input(data: string): void {
    switch (this.stateValue) {
      case "attached": {
        const socket = this.socket;
        if (socket && socket.readyState === socket.OPEN)
          socket.send(Buffer.from(data, "utf8"), { binary: true });
        return;
      }
      case "detached":
        if (data === "\r" || data === "\n") this.reattach();
        else this.host.exit(0);
        return;
      case "ended":
        this.host.exit(0);
        return;
      default:
        return;
    }
  }

  resize(cols: number, rows: number): void {
    if (!(cols > 0 && rows > 0)) return;
    this.cols = cols;
    this.rows = rows;
    const socket = this.socket;
    if (socket && socket.readyState === socket.OPEN)
      socket.send(JSON.stringify({ type: "resize", cols, rows }));
  }

  /** A detached terminal attaches again (Enter in it, or Attach on its session). */
  reattach(): void {
    if (this.stateValue !== "detached") return;
    this.host.write(notice(`re-attaching to ${this.sessionName}…`));
    void this.connect();
  }

  /** Re-attach now if waiting to (the server is back). */
  retryNow(): void {
    if (this.stateValue !== "reconnecting" || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.connect();
  }

  /** The terminal was closed: detach (the tmux session keeps running). */
  close(): void {
    this.closedByUser = true;
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropSocket(1000, "terminal closed");
    this.setState("closed");
  }

  private setState(state: AttachState, detail?: string): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.host.onStateChange?.(state, detail);
  }

  private dropSocket(code?: number, reason?: string): void {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.removeAllListeners();
    socket.on("error", () => undefined);
    try {
      if (code !== undefined && socket.readyState === socket.OPEN) socket.close(code, reason);
      else socket.terminate();
    } catch {
      // gone
    }
  }

  private async connect(): Promise<void> {
    if (this.closedByUser) return;
    const generation = ++this.generation;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropSocket();
    if (this.stateValue !== "reconnecting") this.setState("connecting");
    let endpoint: Endpoint;
    try {
      endpoint = await this.host.endpoint(this.attaches > 0 || this.stateValue === "reconnecting");
    } catch (error) {
      if (generation !== this.generation) return;
      this.lost(`the Sentinel server is not available (${errorMessage(error)})`);
      return;
    }
    if (generation !== this.generation) return;
    const query = `?session=${encodeURIComponent(this.sessionName)}${viewQuery(this.view)}&cols=${this.cols}&rows=${this.rows}`;
    const WebSocket = require("ws") as typeof WebSocketType;
    this.connectStartedAt = performance.now();
    this.sawOutput = false;
    this.decoder = new TextDecoder("utf-8");
    const socket = new WebSocket(
      websocketUrl(endpoint, `/ws/tmux${query}`),
      clientProtocols(endpoint.token),
      {
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
        // A redirect would carry the token (a subprotocol) to wherever it points: never followed.
        followRedirects: false,
      },
    );
    this.socket = socket;
    socket.on("unexpected-response", (_request, response) => {
      if (generation !== this.generation) return;
      const status = response.statusCode ?? 0;
      response.resume();
      this.dropSocket();
      if (status === 404) this.end(`${this.what} does not exist`);
      else if (status === 400) this.end(`"${this.sessionName}" is not a valid session name`);
      else if (status === 401 || status === 403) this.lost(`the server refused the attach (${status})`);
      else this.lost(`the server answered ${status}`);
    });
    socket.on("message", (data, isBinary) => {
      if (generation !== this.generation) return;
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) this.output(bytes);
      else this.control(bytes.toString("utf8"));
    });
    socket.on("error", (error) => {
      if (generation !== this.generation) return;
      this.host.log.debug(`terminal ${this.sessionName}: ${errorMessage(error)}`);
    });
    socket.on("close", (code, reason) => {
      if (generation !== this.generation) return;
      this.socket = undefined;
      void this.closed(code, reason.toString(), generation);
    });
  }

  private control(text: string): void {
    let message: { type?: unknown; state?: unknown; message?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "status" && message.state === "attached") {
      this.attaches++;
      this.backoff.reset();
      this.announcedLoss = false;
      this.setState("attached");
      // The server sized the PTY from the query; say it again in case the terminal changed meanwhile.
      this.resize(this.cols, this.rows);
    } else if (message.type === "error") {
      this.host.write(notice(`error: ${String(message.message ?? "unknown")}`, RED));
    }
  }

  private output(bytes: Buffer): void {
    if (!this.sawOutput) {
      this.sawOutput = true;
      this.host.onFirstOutput?.(performance.now() - this.connectStartedAt);
    }
    this.pending += this.decoder.decode(bytes, { stream: true });
    if (this.pending.length > HIGH_WATER && !this.paused && this.socket) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const text = this.pending;
    this.pending = "";
    if (text) this.host.write(text);
    if (this.paused) {
      this.paused = false;
      this.socket?.resume();
    }
  }

  private async closed(code: number, reason: string, generation: number): Promise<void> {
    // Whatever was decoded so far goes out first (a trailing partial character is dropped).
    this.pending += this.decoder.decode();
    this.flush();
    if (this.closedByUser) return;
    if (code === 1000) {
      // The tmux client ended: a detach, or the session is gone (killed, last shell exited).
      const exists = await this.host.sessionExists(this.sessionName).catch(() => undefined);
      if (generation !== this.generation) return;
      if (exists === false) {
        this.end(`the tmux session "${this.sessionName}" has ended`);
        return;
      }
      if (exists === true) {
        this.setState("detached");
        this.host.write(
          notice(
            `detached from "${viewLabel(this.sessionName, this.view)}". Press Enter to attach again, any other key to close.`,
          ),
        );
        return;
      }
    }
    this.lost(`connection lost (${code}${reason ? ` ${reason}` : ""})`);
  }

  private end(message: string): void {
    this.generation++;
    this.setState("ended", message);
    this.host.write(notice(`${message}. Press any key to close this terminal.`));
  }

  /** Re-attach with backoff; the host's endpoint() waits for a restarted server. */
  private lost(message: string): void {
    if (this.closedByUser) return;
    const generation = this.generation;
    if (!this.announcedLoss) {
      this.announcedLoss = true;
      this.host.write(notice(`${message}; re-attaching…`));
    }
    this.host.log.info(`terminal ${this.sessionName}: ${message}`);
    this.setState("reconnecting", message);
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (generation === this.generation) void this.connect();
    }, delay);
  }
}
