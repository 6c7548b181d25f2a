// Who may open a WebSocket (./gateway.ts): the same checks as the API for the handshake (origin, token, the
// throttle of wrong tokens), the session's existence, and the stream's verdict told as close codes.
import type { IncomingMessage } from "node:http";
import { StreamCloseCode } from "../../protocol/recording.js";
import { isSessionName } from "../../protocol/validate.js";
import { hasUrlToken, type Principal, websocketCredential } from "../auth/authenticator.js";
import { originAllowed } from "../auth/origin.js";
import { isAttempt } from "../auth/throttle.js";
import type { AppContext } from "../context.js";
import { TmuxError } from "../tmux/errors.js";
import { dropAuthProtocols, HandshakeError, header, STREAM_PATH } from "./handshake.js";

/**
 * The API's checks for a handshake (origin, token, the throttle of wrong tokens): the principal, or a refusal
 * (403, 401, 429 with Retry-After). The auth subprotocol entries are dropped once read.
 */
export function authenticate(ctx: AppContext, req: IncomingMessage, remote: string): Principal {
  if (!originAllowed(header(req, "origin"), header(req, "host"), ctx.config.allowedOrigins)) {
    throw new HandshakeError(403, "forbidden");
  }
  const credential = websocketCredential(header(req, "authorization"), header(req, "sec-websocket-protocol"));
  // A token in the URL is refused whatever it holds, and not counted (it cannot succeed). Otherwise the
  // credential is checked first: a valid one is never throttled; only a wrong one counts (throttle.ts).
  if (hasUrlToken(req.url ?? "")) throw new HandshakeError(401, "unauthorized");
  const principal = ctx.auth.authenticate(credential);
  if (!principal) {
    const retryAfter = isAttempt(credential)
      ? ctx.throttle.wrongCredential(remote, "bad websocket token", ctx.log)
      : 0;
    if (retryAfter > 0)
      throw new HandshakeError(429, "too many requests", { "Retry-After": String(retryAfter) });
    throw new HandshakeError(401, "unauthorized");
  }
  dropAuthProtocols(req);
  return principal;
}

/** The session exists: else 404, or 503 without a tmux binary, 500 when tmux fails. */
export async function checkSession(ctx: AppContext, session: string): Promise<void> {
  try {
    if (!(await ctx.tmux.hasSession(session, 2000))) throw new HandshakeError(404, "session not found");
  } catch (error) {
    if (error instanceof TmuxError) {
      if (error.code === "TMUX_NOT_FOUND") throw new HandshakeError(503, "tmux binary not found");
      throw new HandshakeError(500, "tmux error");
    }
    throw error;
  }
}

/**
 * Who may open the second document's stream, told as that document's clients understand: the session and
 * principal, or the close code and reason to close with right after the upgrade.
 */
export async function streamVerdict(
  ctx: AppContext,
  req: IncomingMessage,
  url: URL,
  remote: string,
): Promise<{ session: string; principal: Principal } | { code: number; reason: string }> {
  const policy = (reason: string) => ({ code: StreamCloseCode.Policy, reason });
  let credential = websocketCredential(header(req, "authorization"), header(req, "sec-websocket-protocol"));
  if (hasUrlToken(req.url ?? "")) {
    const token = url.searchParams.get("token");
    if (!ctx.config.allowQueryToken || token === null) return policy("tokens in the URL are not accepted");
    if (!credential.presented) credential = { presented: true, value: token };
  }
  // The credential first: a valid one is never throttled; only a wrong one counts (throttle.ts).
  const principal = ctx.auth.authenticate(credential);
  if (!principal) {
    if (isAttempt(credential) && ctx.throttle.wrongCredential(remote, "bad stream token", ctx.log) > 0)
      return policy("too many failed authentication attempts");
    return policy("unauthorized");
  }
  let session: string;
  try {
    session = decodeURIComponent(STREAM_PATH.exec(url.pathname)![1]!);
  } catch {
    return policy("invalid session");
  }
  if (!isSessionName(session)) return policy("invalid session");
  if (principal.kind === "jwt" && principal.sessionId !== undefined && principal.sessionId !== session) {
    return policy("forbidden");
  }
  try {
    await checkSession(ctx, session);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    if (error.status === 404) return { code: StreamCloseCode.Normal, reason: "session not found" };
    return { code: StreamCloseCode.ServerError, reason: error.message };
  }
  return { session, principal };
}
