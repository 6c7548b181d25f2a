// What every HTTP and WebSocket exchange carries besides its body, declared once for the server and its clients:
// the WebSocket subprotocols (spec §5.2) and the headers the server sets or reads. The guardrail confirmation
// header is GUARDRAIL_CONFIRM_HEADER in guardrails.ts.

/** The one subprotocol every WebSocket endpoint speaks. */
export const SUBPROTOCOL = "sentinel.v1";
/** A token offered as a subprotocol: `sentinel.auth.<base64url(token)>` (browsers cannot set headers). */
export const AUTH_SUBPROTOCOL_PREFIX = "sentinel.auth.";

/** Protocols a client offers: `sentinel.v1` and, when it has a token, `sentinel.auth.<base64url(token)>`. */
export function clientProtocols(token: string): string[] {
  const trimmed = token.trim();
  if (!trimmed) return [SUBPROTOCOL];
  return [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + Buffer.from(trimmed, "utf8").toString("base64url")];
}

/** Upgrade response header of /ws/events: the hub epoch a client sends back as `?epoch=` with `?since=`. */
export const EVENTS_EPOCH_HEADER = "X-Sentinel-Events-Epoch";

/** Every HTTP response (WebSocket handshakes included) carries the request's id; a sane client id is kept. */
export const REQUEST_ID_HEADER = "X-Request-ID";
