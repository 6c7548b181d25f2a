// A scriptable stand-in for the Sentinel server, for the extension's client tests: JSON routes, /ws/events and
// /ws/tmux with the real handshake rules (Bearer or `sentinel.auth.*` subprotocol, `sentinel.v1` echoed).
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

export type Route = (
  req: IncomingMessage,
  url: URL,
  body: string,
) => { status: number; body?: unknown } | undefined;

export interface FakeServer {
  url: string;
  token: string;
  requests: string[];
  routes: Map<string, Route>;
  eventSockets: Array<{ ws: WebSocket; url: URL; protocols: string[] }>;
  tmuxSockets: Array<{ ws: WebSocket; url: URL; received: Array<{ binary: boolean; data: Buffer }> }>;
  /** Refuse the next upgrades with this status. */
  refuseUpgrades: number | undefined;
  epoch: string | undefined;
  onTmux?: (ws: WebSocket, url: URL) => void;
  send(event: object): void;
  close(): Promise<void>;
}

export async function startFakeServer(token = "tok"): Promise<FakeServer> {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has("sentinel.v1") ? "sentinel.v1" : false),
  });
  const fake: FakeServer = {
    url: "",
    token,
    requests: [],
    routes: new Map(),
    eventSockets: [],
    tmuxSockets: [],
    refuseUpgrades: undefined,
    epoch: "epoch-1",
    send(event) {
      for (const s of fake.eventSockets) if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify(event));
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const authorized = (req: IncomingMessage) => {
    const header = req.headers.authorization;
    if (header) return header === `Bearer ${token}`;
    const protocols = String(req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim());
    const auth = protocols.find((p) => p.startsWith("sentinel.auth."));
    return !!auth && Buffer.from(auth.slice("sentinel.auth.".length), "base64url").toString() === token;
  };
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      fake.requests.push(`${req.method} ${url.pathname}${url.search}`);
      const reply = (status: number, payload?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      if (!authorized(req))
        return reply(401, { error: { code: "UNAUTHORIZED", message: "missing or invalid token" } });
      const route = fake.routes.get(`${req.method} ${url.pathname}`);
      const result = route?.(req, url, body);
      if (!result) {
        res.writeHead(404, { "content-type": "text/plain" });
        return res.end("404 page not found\n");
      }
      if (result.status === 204) {
        res.writeHead(204);
        return res.end();
      }
      reply(result.status, result.body);
    });
  });
  wss.on("headers", (headers, req) => {
    if (req.url?.startsWith("/ws/events") && fake.epoch)
      headers.push(`X-Sentinel-Events-Epoch: ${fake.epoch}`);
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://x");
    const status = fake.refuseUpgrades ?? (authorized(req) ? undefined : 401);
    if (status) {
      socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nnope\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const protocols = String(req.headers["sec-websocket-protocol"] ?? "")
        .split(",")
        .map((p) => p.trim());
      if (url.pathname === "/ws/events") {
        fake.eventSockets.push({ ws, url, protocols });
        ws.send(
          JSON.stringify({
            eventId: 0,
            type: "events.ready",
            timestamp: "",
            payload: { message: "subscribed" },
          }),
        );
      } else {
        const entry = { ws, url, received: [] as Array<{ binary: boolean; data: Buffer }> };
        fake.tmuxSockets.push(entry);
        ws.on("message", (data, binary) => entry.received.push({ binary, data: data as Buffer }));
        fake.onTmux?.(ws, url);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

export async function until<T>(check: () => T, what: string, timeoutMs = 3000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
