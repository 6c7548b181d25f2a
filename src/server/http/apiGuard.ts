// Order of checks on every `/api/*` request (spec §0.7): origin (403), throttled address (429), token in the
// URL (401), bearer (401); after routing, the session scope of a session-limited access token (403).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bearerCredential, hasUrlToken, type Principal } from "../auth/authenticator.js";
import { originAllowed } from "../auth/origin.js";
import type { AppContext } from "../context.js";
import { ApiError } from "./errors.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Routes that authenticate themselves (the refresh token is in the body). */
const SELF_AUTHENTICATED = new Set(["/api/auth/refresh"]);

/** Routes a session-limited token may use besides those under `/api/tmux/sessions/:session`. */
const SCOPE_FREE = new Set(["/api/meta"]);

export function unauthorized(message = "missing or invalid token"): ApiError {
  return new ApiError(401, "UNAUTHORIZED", message);
}

export function throttled(retryAfter: number): ApiError {
  return new ApiError(
    429,
    "RATE_LIMITED",
    `too many failed authentication attempts; retry in ${retryAfter} s`,
  );
}

export function recordAuthFailure(ctx: AppContext, request: FastifyRequest, reason: string): void {
  ctx.throttle.recordFailure(request.ip);
  request.log.warn({ remote: request.ip, reason }, "authentication failed");
}

export function registerApiGuard(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest("principal", undefined);

  app.addHook("onRequest", async (request, reply) => {
    if (!originAllowed(request.headers.origin, request.headers.host, ctx.config.allowedOrigins)) {
      throw new ApiError(403, "ORIGIN_DENIED", "request origin is not allowed");
    }
    const retryAfter = ctx.throttle.retryAfter(request.ip);
    if (retryAfter > 0) {
      reply.header("Retry-After", String(retryAfter));
      throw throttled(retryAfter);
    }
    if (hasUrlToken(request.url)) {
      recordAuthFailure(ctx, request, "token in URL");
      throw unauthorized("tokens in the URL are not accepted; send Authorization: Bearer <token>");
    }
    if (SELF_AUTHENTICATED.has(request.url.split("?")[0]!)) return;
    const principal = ctx.auth.authenticate(bearerCredential(request.headers.authorization));
    if (!principal) {
      recordAuthFailure(ctx, request, "bad bearer token");
      throw unauthorized();
    }
    request.principal = principal;
  });

  app.addHook("preHandler", async (request) => {
    const principal = request.principal;
    if (principal?.kind !== "jwt" || principal.sessionId === undefined) return;
    const route = request.routeOptions.url ?? "";
    if (SCOPE_FREE.has(route)) return;
    const params = request.params as { session?: string } | undefined;
    if (route.startsWith("/api/tmux/sessions/:session") && params?.session === principal.sessionId) return;
    throw new ApiError(403, "FORBIDDEN", `this token is limited to session ${principal.sessionId}`);
  });
}
