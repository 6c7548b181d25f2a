// Order of checks on every `/api/*` request (spec §0.7): (the Host check of app.ts, 403), origin (403), token
// in the URL (401), bearer (401, or 429 for a wrong credential from a throttled address; a valid one is never
// throttled); after routing, the session scope of a session-limited access token (403).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../../protocol/errors.js";
import { bearerCredential, hasUrlToken, type Principal } from "../auth/authenticator.js";
import { originAllowed } from "../auth/origin.js";
import { isAttempt } from "../auth/throttle.js";
import type { AppContext } from "../context.js";
import { DomainError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Routes that authenticate themselves (the refresh token is in the body). */
const SELF_AUTHENTICATED = new Set(["/api/auth/refresh"]);

/** Routes a session-limited token may use besides those under `/api/tmux/sessions/:session`. */
const SCOPE_FREE = new Set(["/api/meta"]);

export function unauthorized(message = "missing or invalid token"): DomainError {
  return new DomainError(ErrorCode.Unauthorized, message);
}

export function throttled(retryAfter: number): DomainError {
  return new DomainError(
    ErrorCode.RateLimited,
    `too many failed authentication attempts; retry in ${retryAfter} s`,
  );
}

/**
 * A credential that did not authenticate. A blank or missing one is a plain 401; a wrong one counts against
 * the address and, while the address is throttled, is 429 with Retry-After instead.
 */
export function refuseCredential(
  ctx: Pick<AppContext, "throttle">,
  request: FastifyRequest,
  reply: FastifyReply,
  credential: { presented: boolean; value?: string },
  reason: string,
  error: DomainError = unauthorized(),
): DomainError {
  if (!isAttempt(credential)) return error;
  const retryAfter = ctx.throttle.wrongCredential(request.ip, reason, request.log);
  if (retryAfter === 0) return error;
  reply.header("Retry-After", String(retryAfter));
  return throttled(retryAfter);
}

/** Origin, token in the URL, bearer: sets `request.principal` or throws the refusal. */
export function guardRequest(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): void {
  if (!originAllowed(request.headers.origin, request.headers.host, ctx.config.allowedOrigins)) {
    throw new DomainError(ErrorCode.OriginDenied, "request origin is not allowed");
  }
  // Refused whatever it holds (a URL ends up in logs and histories); not counted: it cannot succeed anyway.
  if (hasUrlToken(request.url)) {
    throw unauthorized("tokens in the URL are not accepted; send Authorization: Bearer <token>");
  }
  if (SELF_AUTHENTICATED.has(request.url.split("?")[0]!)) return;
  const credential = bearerCredential(request.headers.authorization);
  const principal = ctx.auth.authenticate(credential);
  if (!principal) throw refuseCredential(ctx, request, reply, credential, "bad bearer token");
  request.principal = principal;
}

export function registerApiGuard(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest("principal", undefined);

  app.addHook("onRequest", async (request, reply) => {
    guardRequest(ctx, request, reply);
  });

  app.addHook("preHandler", async (request) => {
    const principal = request.principal;
    if (principal?.kind !== "jwt" || principal.sessionId === undefined) return;
    // A read-only session token only watches: nothing that changes state (ADR 0012).
    if (principal.readOnly && request.method !== "GET" && request.method !== "HEAD") {
      throw new DomainError(ErrorCode.Forbidden, `this token is read-only (session ${principal.sessionId})`);
    }
    const route = request.routeOptions.url ?? "";
    if (SCOPE_FREE.has(route)) return;
    const params = request.params as { session?: string } | undefined;
    if (route.startsWith("/api/tmux/sessions/:session") && params?.session === principal.sessionId) return;
    throw new DomainError(ErrorCode.Forbidden, `this token is limited to session ${principal.sessionId}`);
  });
}
