// The one `/ws/events` socket (spec §3): subprotocols `sentinel.v1` + `sentinel.auth.<base64url(token)>`,
// `?since=&epoch=` from the reconciler on reconnects, reconnect with backoff, a dead-peer timer fed by the
// server's pings (every 20 s), and the client messages of §3.5 (presence, seen). No `vscode` import.
import type WebSocketType from "ws";
import type { SeenAckMessage } from "../../protocol/eventMessages.js";
import type { EventEnvelope } from "../../protocol/events.js";
import { clientProtocols, EVENTS_EPOCH_HEADER } from "../../protocol/transport.js";
import { Backoff } from "../util/backoff.js";
import { type Disposable, Emitter } from "../util/emitter.js";
import { errorMessage, type Logger } from "../util/log.js";
import { type Endpoint, websocketUrl } from "./apiClient.js";

export type ConnectionState = "idle" | "connecting" | "open" | "closed";

export interface OpenInfo {
  epoch: string | undefined;
  resumed: boolean;
}

export interface HandshakeFailure {
  /** HTTP status of a refused upgrade (401, 403, 429, 503…), undefined for a network error. */
  status?: number;
  message: string;
}

export type EventsMessage = { kind: "event"; event: EventEnvelope } | { kind: "ack"; ack: SeenAckMessage };

/** Parses one text frame; undefined for anything that is neither an envelope nor a seen ack. */
export function parseEventsFrame(text: string): EventsMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.type !== "string") return undefined;
  if (v.type === "tmux.seen.ack") return { kind: "ack", ack: v as unknown as SeenAckMessage };
  if (typeof v.eventId !== "number") return undefined;
  return { kind: "event", event: v as unknown as EventEnvelope };
}

export interface EventsConnectionOptions {
  log: Logger;
  /** The query to append to `/ws/events` for the next connection (the reconciler's resume point). */
  resumeQuery(): string;
  backoff?: Backoff;
  /** Close a connection that has heard nothing (no message, no ping) for this long. */
  idleTimeoutMs?: number;
  handshakeTimeoutMs?: number;
}

export class EventsConnection implements Disposable {
  private socket: WebSocketType | undefined;
  private endpoint: Endpoint | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private currentState: ConnectionState = "idle";
  private readonly backoff: Backoff;
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private readonly openEmitter = new Emitter<OpenInfo>();
  private readonly messageEmitter = new Emitter<EventsMessage>();
  private readonly failEmitter = new Emitter<HandshakeFailure>();
  private generation = 0;
  /** Connections opened so far (the first one included). */
  opens = 0;

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidOpen = this.openEmitter.event;
  readonly onDidReceive = this.messageEmitter.event;
  readonly onDidFail = this.failEmitter.event;

  constructor(private readonly options: EventsConnectionOptions) {
    this.backoff = options.backoff ?? new Backoff({ initialMs: 500, maxMs: 15_000 });
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** (Re)connects to this endpoint; a previous socket is dropped. */
  connect(endpoint: Endpoint): void {
    this.endpoint = endpoint;
    this.backoff.reset();
    this.open();
  }

  /** Closes the socket and stops reconnecting. */
  disconnect(): void {
    this.endpoint = undefined;
    this.teardown();
    this.setState("idle");
  }

  /** Reconnect now instead of waiting for the backoff (e.g. the server was restarted). */
  reconnectNow(): void {
    if (!this.endpoint || this.currentState === "open" || this.currentState === "connecting") return;
    this.open();
  }

  send(message: object): boolean {
    const socket = this.socket;
    if (!socket || this.currentState !== "open" || socket.readyState !== socket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  dispose(): void {
    this.disconnect();
    this.stateEmitter.dispose();
    this.openEmitter.dispose();
    this.messageEmitter.dispose();
    this.failEmitter.dispose();
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.stateEmitter.fire(state);
  }

  private teardown(): void {
    this.generation++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      try {
        if (socket.readyState === socket.OPEN) socket.close(1000, "client closing");
        else socket.terminate();
      } catch {
        // already closed
      }
    }
  }

  private open(): void {
    const endpoint = this.endpoint;
    if (!endpoint) return;
    this.teardown();
    const generation = this.generation;
    const query = this.options.resumeQuery();
    const url = websocketUrl(endpoint, `/ws/events${query}`);
    this.setState("connecting");
    // Loaded on first use: keeps it off the activation path.
    const WebSocket = require("ws") as typeof WebSocketType;
    let socket: WebSocketType;
    try {
      socket = new WebSocket(url, clientProtocols(endpoint.token), {
        perMessageDeflate: false,
        handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
        // A redirect would carry the token (a subprotocol) to wherever it points: never followed.
        followRedirects: false,
        maxPayload: 64 * 1024 * 1024,
      });
    } catch (error) {
      this.options.log.warn(`events: cannot connect to ${endpoint.url}: ${errorMessage(error)}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let epoch: string | undefined;
    socket.on("upgrade", (response) => {
      const value = response.headers[EVENTS_EPOCH_HEADER.toLowerCase()];
      epoch = Array.isArray(value) ? value[0] : value;
    });
    socket.on("unexpected-response", (_request, response) => {
      if (generation !== this.generation) return;
      const status = response.statusCode ?? 0;
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        if (generation !== this.generation) return;
        const message = `events: upgrade refused: ${status} ${body.trim()}`;
        this.options.log.warn(message);
        this.failEmitter.fire({ status, message: body.trim() || `HTTP ${status}` });
        this.dropAndRetry();
      });
      response.on("error", () => undefined);
    });
    socket.on("open", () => {
      if (generation !== this.generation) return;
      this.opens++;
      this.backoff.reset();
      this.armIdle();
      this.setState("open");
      this.openEmitter.fire({ epoch, resumed: query !== "" });
    });
    socket.on("ping", () => this.armIdle());
    socket.on("message", (data, isBinary) => {
      if (generation !== this.generation || isBinary) return;
      this.armIdle();
      const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : data.toString();
      const message = parseEventsFrame(text);
      if (message) this.messageEmitter.fire(message);
    });
    socket.on("error", (error) => {
      if (generation !== this.generation) return;
      this.options.log.debug(`events: socket error: ${errorMessage(error)}`);
      if (this.currentState === "connecting") this.failEmitter.fire({ message: errorMessage(error) });
    });
    socket.on("close", (code, reason) => {
      if (generation !== this.generation) return;
      this.options.log.info(`events: closed (${code}${reason.length ? ` ${reason.toString()}` : ""})`);
      this.dropAndRetry();
    });
  }

  private dropAndRetry(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.generation++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (socket) {
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      try {
        socket.terminate();
      } catch {
        // gone
      }
    }
    this.setState("closed");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.endpoint || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.options.log.debug(`events: reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delay);
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const timeout = this.options.idleTimeoutMs ?? 50_000;
    this.idleTimer = setTimeout(() => {
      this.options.log.warn(`events: nothing heard for ${timeout} ms; reconnecting`);
      this.dropAndRetry();
    }, timeout);
  }
}
