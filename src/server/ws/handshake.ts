// The HTTP side of a WebSocket handshake (./gateway.ts): refusals answered in plain text on the raw socket before
// any upgrade, the wording of those `ws` itself refuses, the request's headers and query parameters, and the
// auth subprotocol entries removed once read.
import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { AUTH_SUBPROTOCOL_PREFIX } from "../../protocol/transport.js";
import type { Principal } from "../auth/authenticator.js";

/** A refusal before the upgrade: its HTTP status, the plain-text message and any extra headers. */
export class HandshakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Removes the `sentinel.auth.*` entries from the offered subprotocols once they have been read: `ws` would refuse
 * a padded one (`=` is not a token character), and the token has no business further down.
 */
export function dropAuthProtocols(req: IncomingMessage): void {
  const offered = header(req, "sec-websocket-protocol");
  if (offered === undefined) return;
  const kept = offered
    .split(",")
    .map((s) => s.trim())
    .filter((s) => !s.startsWith(AUTH_SUBPROTOCOL_PREFIX));
  if (kept.length) req.headers["sec-websocket-protocol"] = kept.join(", ");
  else delete req.headers["sec-websocket-protocol"];
}

/** Status, message and headers for a handshake `ws` refused (spec §2.1's wording). */
export function handshakeFailure(wsMessage: string): [number, string, Record<string, string>] {
  if (wsMessage === "Invalid HTTP method") return [405, "method not allowed", { Allow: "GET" }];
  if (/Sec-WebSocket-Version/.test(wsMessage))
    return [400, "unsupported websocket version", { "Sec-WebSocket-Version": "13" }];
  if (/Sec-WebSocket-Key/.test(wsMessage)) return [400, "missing websocket key", {}];
  return [400, "bad websocket request", {}];
}

/**
 * A token limited to one session gets a confined terminal (tmuxAttach.ts, ADR 0012): the scope is not only
 * checked at the handshake, tmux keys cannot leave the session afterwards either. Full tokens attach as before.
 */
export function confinement(principal: Principal): { confine?: { readOnly: boolean } } {
  if (principal.kind !== "jwt" || principal.sessionId === undefined) return {};
  return { confine: { readOnly: principal.readOnly === true } };
}

/** The terminal stream of the second source document: `/api/sessions/{id}/ws`. */
export const STREAM_PATH = /^\/api\/sessions\/([^/]+)\/ws$/;

export const flagParam = (value: string | null) => value === "1" || value === "true";

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** A non-negative integer eventId, or null when malformed. */
export function eventIdParam(value: string): number | null {
  if (!/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function intParam(value: string | null): number | undefined {
  if (value === null || !/^\d{1,5}$/.test(value)) return undefined;
  return Number(value);
}

/** `?cols=&rows=`: the terminal's first size, each left out when absent or malformed. */
export function sizeParams(url: URL): { cols?: number; rows?: number } {
  const cols = intParam(url.searchParams.get("cols"));
  const rows = intParam(url.searchParams.get("rows"));
  return { ...(cols !== undefined ? { cols } : {}), ...(rows !== undefined ? { rows } : {}) };
}

/** A plain-text HTTP answer on the raw socket, as Go's http.Error would give, then close. */
export function refuse(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `X-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}
