// WebSocket endpoints (/ws/tmux, /ws/events, /ws/logs, the stream): the upgrade handshake with the same checks as
// the API (host, then ./admission.ts: origin, token, the throttle of wrong tokens; then the endpoint's own),
// plain-text refusals before any upgrade (./handshake.ts), and ownership of every live socket so shutdown can
// close them with 1001.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { ErrorCode } from "../../protocol/errors.js";
import { EVENTS_EPOCH_HEADER, REQUEST_ID_HEADER, SUBPROTOCOL } from "../../protocol/transport.js";
import { isSessionName } from "../../protocol/validate.js";
import { redactUrl } from "../auth/authenticator.js";
import { HOST_DENIED_MESSAGE, HostCheck } from "../auth/host.js";
import { originAllowed } from "../auth/origin.js";
import type { AppContext } from "../context.js";
import { DomainError } from "../errors.js";
import { requestIdFrom } from "../requestId.js";
import { TmuxError } from "../tmux/errors.js";
import { newViewSessionName, type ViewTarget } from "../tmux/viewSessions.js";
import { authenticate, checkSession, streamVerdict } from "./admission.js";
import { answerCodelessClose } from "./closeCode.js";
import { attachEvents } from "./eventsSocket.js";
import {
  confinement,
  dropAuthProtocols,
  eventIdParam,
  flagParam,
  HandshakeError,
  handshakeFailure,
  header,
  refuse,
  STREAM_PATH,
  sizeParams,
} from "./handshake.js";
import { attachLogs } from "./logsSocket.js";
import { attachStream } from "./streamSocket.js";
import { TerminalViews } from "./terminalViews.js";
import { attachTerminal } from "./tmuxAttach.js";

export const MAX_INBOUND_FRAME = 64 * 1024;
/**
 * On shutdown, how long a socket has to finish its close handshake after the 1001 before it is destroyed: a
 * client that stopped reading never answers, and its socket would hold the listener open (spec: exit within 2 s).
 */
export const CLOSE_GRACE_MS = 500;

interface Disposable {
  dispose(): void;
}

export class WebSocketGateway {
  private readonly wss: WebSocketServer;
  private readonly live = new Map<Disposable, WebSocket>();
  private readonly requestIds = new WeakMap<IncomingMessage, string>();
  private readonly hosts: HostCheck;
  private readonly views: TerminalViews;
  private readonly unlisted: () => void;
  private closing = false;

  constructor(
    private readonly ctx: AppContext,
    server: Server,
  ) {
    this.hosts = new HostCheck(ctx.config.host, ctx.config.allowedHosts);
    this.views = new TerminalViews(ctx.tmux, ctx.events, ctx.log);
    this.unlisted = ctx.watchtower.onListed((sessions) => this.views.listed(sessions));
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_INBOUND_FRAME,
      perMessageDeflate: false,
      // Echo `sentinel.v1` only when offered; never echo the auth entry.
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.wss.on("headers", (headers, req) => {
      if (req.url?.startsWith("/ws/events")) headers.push(`${EVENTS_EPOCH_HEADER}: ${ctx.events.epoch}`);
      const id = this.requestIds.get(req);
      if (id) headers.push(`${REQUEST_ID_HEADER}: ${id}`);
    });
    // Malformed handshakes that `ws` itself refuses get the same plain-text answer, with the request id.
    this.wss.on("wsClientError", (error, socket, req) => {
      const [status, message, headers] = handshakeFailure(error.message);
      refuse(socket, status, message, { ...headers, ...this.idHeader(req) });
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.requestIds.set(req, requestIdFrom(req.headers["x-request-id"]));
      this.onUpgrade(req, socket, head).catch((error) => {
        ctx.log.error({ err: error }, "websocket upgrade failed");
        refuse(socket, 500, "internal error", this.idHeader(req));
      });
    });
  }

  private idHeader(req: IncomingMessage): Record<string, string> {
    const id = this.requestIds.get(req);
    return id ? { [REQUEST_ID_HEADER]: id } : {};
  }

  get size(): number {
    return this.live.size;
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://localhost");
    const remote = req.socket.remoteAddress ?? "";
    try {
      // DNS rebinding (auth/host.ts): before anything else, whatever the Origin says.
      if (!this.hosts.allows(header(req, "host"))) throw new HandshakeError(403, HOST_DENIED_MESSAGE);
      if (this.closing) throw new HandshakeError(503, "server shutting down");
      if (url.pathname === "/ws/tmux") await this.upgradeTerminal(req, socket, head, url, remote);
      else if (url.pathname === "/ws/events") this.upgradeEvents(req, socket, head, url, remote);
      else if (url.pathname === "/ws/logs") this.upgradeLogs(req, socket, head, url, remote);
      else if (STREAM_PATH.test(url.pathname)) await this.upgradeStream(req, socket, head, url, remote);
      else throw new HandshakeError(404, "not found");
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.ctx.log.info({ url: redactUrl(req.url ?? ""), remote, status: error.status }, "websocket refused");
      refuse(socket, error.status, error.message, { ...error.headers, ...this.idHeader(req) });
    }
  }

  private async upgradeTerminal(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: URL,
    remote: string,
  ): Promise<void> {
    const principal = authenticate(this.ctx, req, remote);
    const session = url.searchParams.get("session") ?? "";
    if (!isSessionName(session)) throw new HandshakeError(400, "invalid session");
    if (principal.kind === "jwt" && principal.sessionId !== undefined && principal.sessionId !== session) {
      throw new HandshakeError(403, "forbidden");
    }
    await checkSession(this.ctx, session);
    const target = await this.viewTarget(session, url);
    const firstSize = sizeParams(url);
    // `?record=1` records what this client sees; `&recordInput=1` its keys too (off by default: passwords).
    const record = flagParam(url.searchParams.get("record"));
    const recordInput = flagParam(url.searchParams.get("recordInput"));
    if (record) {
      try {
        this.ctx.recordings.assertCanStart();
      } catch (error) {
        throw new HandshakeError(409, (error as Error).message);
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const view = target && { name: newViewSessionName(), target };
      this.ctx.log.info({ session, remote, record, ...(view ? { view } : {}) }, "terminal attached");
      const { recordings } = this.ctx;
      const attachment = attachTerminal(ws, {
        tmux: this.ctx.tmux,
        session,
        log: this.ctx.log,
        ...firstSize,
        ...(record
          ? { record: (size) => recordings.startClient({ session, ...size, captureInput: recordInput }) }
          : {}),
        onInput: (bytes) => recordings.input(session, bytes),
        traffic: (input, output) => this.ctx.watchtower.terminalTraffic(input, output, session),
        clientExited: () => this.ctx.watchtower.noteMutation(),
        ...confinement(principal),
        ...(view ? { view } : {}),
      });
      this.track(ws, attachment);
      if (view) ws.once("close", this.views.add(view.name, session, attachment.end));
    });
  }

  /**
   * `&window=<index>` or `&pane=%<id>` (this port's, ADR 0014): the client shows that window or pane of the
   * session through a view session of its own, so other clients of the session keep their current window.
   */
  private async viewTarget(session: string, url: URL): Promise<ViewTarget | undefined> {
    const window = url.searchParams.get("window");
    const pane = url.searchParams.get("pane");
    if (window === null && pane === null) return undefined;
    if (window !== null && pane !== null) throw new HandshakeError(400, "window or pane, not both");
    if (window !== null && !/^\d{1,5}$/.test(window)) throw new HandshakeError(400, "invalid window");
    if (pane !== null && !/^%\d{1,10}$/.test(pane)) throw new HandshakeError(400, "invalid pane");
    let found: ViewTarget | undefined;
    try {
      found = await this.ctx.tmux.findViewTarget(
        session,
        pane !== null ? { pane } : { window: Number(window) },
      );
    } catch (error) {
      if (!(error instanceof TmuxError)) throw error;
      if (error.code === "SESSION_NOT_FOUND") throw new HandshakeError(404, "session not found");
      throw new HandshakeError(500, "tmux error");
    }
    if (!found) throw new HandshakeError(404, pane !== null ? "pane not found" : "window not found");
    return found;
  }

  /** `/ws/events[?since=<eventId>[&epoch=<epoch>]]` (spec §3.1; `since` and `epoch` are this port's, ADR 0003). */
  private upgradeEvents(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, remote: string): void {
    const principal = authenticate(this.ctx, req, remote);
    // The stream carries every session: a token limited to one session may not read it.
    if (principal.kind === "jwt" && principal.sessionId !== undefined)
      throw new HandshakeError(403, "forbidden");
    const rawSince = url.searchParams.get("since");
    const since = rawSince === null ? undefined : eventIdParam(rawSince);
    if (since === null) throw new HandshakeError(400, "invalid since");
    const epoch = url.searchParams.get("epoch") ?? undefined;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.ctx.log.debug({ remote, since }, "events subscribed");
      const subscription = attachEvents(ws, socket, {
        hub: this.ctx.events,
        // Optional until the watchtower is wired into the context.
        activity: this.ctx.activity as AppContext["activity"] | undefined,
        log: this.ctx.log,
        remote,
        ...(since !== undefined ? { since } : {}),
        ...(epoch !== undefined ? { epoch } : {}),
      });
      this.track(ws, subscription);
    });
  }

  /**
   * `/ws/logs?service=<name>` or `?unit=&scope=&manager=` (spec §2.5): a bad query is refused in plain text
   * (400); an unknown service, a host without a service manager or an unsupported manager is told after the
   * upgrade, as an error message and close 1011 `stream start failed`.
   */
  private upgradeLogs(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, remote: string): void {
    const principal = authenticate(this.ctx, req, remote);
    if (principal.kind === "jwt" && principal.sessionId !== undefined)
      throw new HandshakeError(403, "forbidden");
    const param = (name: string) => url.searchParams.get(name)?.trim() ?? "";
    const query = {
      service: param("service"),
      unit: param("unit"),
      scope: param("scope"),
      manager: param("manager"),
    };
    if (!query.service && !query.unit) throw new HandshakeError(400, "service or unit required");
    let command: { file: string; args: string[] } | { error: string };
    try {
      command = this.ctx.ops.services.followCommand(query);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Bad input (the code HTTP answers with 400) is refused before the upgrade; the rest is told after it.
      if (error.code === ErrorCode.InvalidRequest) throw new HandshakeError(400, error.message);
      command = { error: error.message };
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.ctx.log.info({ service: query.service, unit: query.unit, remote }, "log stream attached");
      this.track(ws, attachLogs(ws, { command, log: this.ctx.log }));
    });
  }

  /**
   * `/api/sessions/{id}/ws` (the second document's stream). Only the origin check answers in plain HTTP (a
   * page of another site never gets a socket); every other refusal is told the way that document's clients
   * understand: upgrade, then close with 1008 (auth, scope, invalid id), 1000 (no such session: it has
   * ended) or 1011 (tmux failed). A `?token=` is accepted only with `allowQueryToken`, and never logged.
   */
  private async upgradeStream(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: URL,
    remote: string,
  ): Promise<void> {
    if (!originAllowed(header(req, "origin"), header(req, "host"), this.ctx.config.allowedOrigins)) {
      throw new HandshakeError(403, "forbidden");
    }
    const verdict = await streamVerdict(this.ctx, req, url, remote);
    dropAuthProtocols(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if ("code" in verdict) {
        this.ctx.log.info({ url: redactUrl(req.url ?? ""), remote, code: verdict.code }, "stream refused");
        ws.close(verdict.code, verdict.reason);
        return;
      }
      const { session, principal } = verdict;
      this.ctx.log.info({ session, remote }, "stream attached");
      const firstSize = sizeParams(url);
      const stream = attachStream(ws, {
        tmux: this.ctx.tmux,
        session,
        log: this.ctx.log,
        ...firstSize,
        onInput: (bytes) => this.ctx.recordings.input(session, bytes),
        traffic: (input, output) => this.ctx.watchtower.terminalTraffic(input, output, session),
        clientExited: () => this.ctx.watchtower.noteMutation(),
        ...confinement(principal),
      });
      this.track(ws, stream);
    });
  }

  private track(ws: WebSocket, resource: Disposable): void {
    answerCodelessClose(ws);
    this.live.set(resource, ws);
    ws.once("close", () => this.live.delete(resource));
  }

  /**
   * Closes every socket with 1001 and refuses new ones; sockets whose close handshake has not finished
   * within CLOSE_GRACE_MS are destroyed.
   */
  close(): void {
    this.closing = true;
    this.unlisted();
    this.views.dispose();
    const sockets = [...this.live];
    this.live.clear();
    for (const [resource] of sockets) resource.dispose();
    if (sockets.length) {
      setTimeout(() => {
        for (const [, ws] of sockets) if (ws.readyState !== ws.CLOSED) ws.terminate();
      }, CLOSE_GRACE_MS).unref();
    }
    this.wss.close();
  }
}
