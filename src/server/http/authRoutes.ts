// `POST /api/auth/token` issues an access + refresh token pair (static token required);
// `POST /api/auth/refresh` exchanges a refresh token for a new pair.
import { ErrorCode } from "../../protocol/errors.js";
import { IssueTokenBody, RefreshTokenBody } from "../../protocol/schemas/auth.js";
import { isSessionName, Messages } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import { refuseCredential, unauthorized } from "./apiGuard.js";
import { type ApiInstance, data } from "./types.js";

const MIN_TTL = 60;
const MAX_TTL = 86400;

export function registerAuthRoutes(api: ApiInstance, ctx: AppContext): void {
  api.post("/api/auth/token", { schema: { body: IssueTokenBody } }, async (request) => {
    if (request.principal?.kind === "jwt") {
      throw new DomainError(
        ErrorCode.Forbidden,
        "issuing tokens requires the static token, not an access token",
      );
    }
    const { sessionId, sub, ttlSeconds, readOnly } = request.body;
    if (sessionId !== undefined && !isSessionName(sessionId))
      throw invalidRequest(`sessionId: ${Messages.sessionName}`);
    // Read-only is a property of a session's terminal (ADR 0012): a full token has no read-only form.
    if (readOnly && sessionId === undefined) throw invalidRequest("readOnly requires sessionId");
    if (ttlSeconds !== undefined && (ttlSeconds < MIN_TTL || ttlSeconds > MAX_TTL)) {
      throw invalidRequest(`ttlSeconds must be between ${MIN_TTL} and ${MAX_TTL}`);
    }
    const pair = ctx.auth.issue({
      ...(sub !== undefined ? { sub } : {}),
      ...(sessionId !== undefined ? { sessionId } : {}),
      ...(readOnly ? { readOnly } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    });
    return data(pair);
  });

  api.post("/api/auth/refresh", { schema: { body: RefreshTokenBody } }, async (request, reply) => {
    const { refreshToken } = request.body;
    const pair = ctx.auth.refresh(refreshToken);
    if (!pair) {
      const credential = { presented: true, value: refreshToken };
      throw refuseCredential(
        ctx,
        request,
        reply,
        credential,
        "bad refresh token",
        unauthorized("invalid or expired refresh token"),
      );
    }
    return data(pair);
  });
}
