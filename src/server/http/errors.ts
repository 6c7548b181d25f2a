// The `{error}` envelope (spec §0.2) and the mapping of domain failures to HTTP statuses.
import type { FastifyReply } from "fastify";
import type { ErrorEnvelope } from "../../protocol/errors.js";
import { TmuxError } from "../tmux/errors.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string) => new ApiError(400, "INVALID_REQUEST", message);

const tmuxStatus: Record<TmuxError["code"], number> = {
  TMUX_NOT_FOUND: 503,
  SESSION_NOT_FOUND: 404,
  SESSION_ALREADY_EXISTS: 409,
  TMUX_SERVER_NOT_RUNNING: 503,
  TMUX_COMMAND_FAILED: 500,
  WINDOW_NOT_FOUND: 404,
  PANE_NOT_FOUND: 404,
};

export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof TmuxError) return new ApiError(tmuxStatus[error.code], error.code, error.message);
  return undefined;
}

export function envelope(code: string, message: string, details?: unknown): ErrorEnvelope {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply
    .code(error.status)
    .type("application/json")
    .send(envelope(error.code, error.message, error.details));
}
