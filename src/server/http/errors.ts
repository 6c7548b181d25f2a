// The `{error}` envelope (spec §0.2), the mapping of domain failures to HTTP statuses, and how an answer is logged.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorEnvelope } from "../../protocol/errors.js";
import { REQUEST_ID_HEADER } from "../../protocol/transport.js";
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

/** Expected states already logged at info (code and message), so each is told once; bounded. */
const toldStates = new Set<string>();
const MAX_TOLD_STATES = 256;

/**
 * Logs an answer by what it means. A 4xx is the client's mistake or an expected state (an unknown session, bad
 * input): debug. A 503 is a state of this host or server (no systemd, no tmux, a feature switched off): info
 * the first time (code and message), then debug. Neither carries a stack. Any other 5xx is a fault: error, with
 * the stack of `cause` (the error that was thrown) when there is one.
 */
export function logApiError(log: FastifyBaseLogger, error: ApiError, cause?: unknown): void {
  const fields = { code: error.code, status: error.status };
  if (error.status < 500) {
    log.debug(fields, error.message);
  } else if (error.status === 503) {
    const key = `${error.code}\u0000${error.message}`;
    const told = toldStates.has(key);
    if (!told && toldStates.size < MAX_TOLD_STATES) toldStates.add(key);
    if (told) log.debug(fields, error.message);
    else log.info(fields, error.message);
  } else {
    log.error({ ...fields, err: cause ?? error }, error.message);
  }
}

/** Sends the `{error}` envelope and logs the answer (logApiError); `cause` is the error that was thrown. */
export function sendApiError(reply: FastifyReply, error: ApiError, cause?: unknown): FastifyReply {
  logApiError(reply.log, error, cause);
  return reply
    .code(error.status)
    .type("application/json")
    .send(envelope(error.code, error.message, error.details));
}

/**
 * fastify's `frameworkErrors`: a URL it cannot route (a path with malformed percent-encoding such as `%ff` or a
 * lone `%`, or a path parameter longer than the router takes) is answered before any hook runs, by default
 * with fastify's own JSON. Here it is the spec's 400 INVALID_REQUEST envelope, with the request id.
 */
export function frameworkError(
  error: Error & { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
) {
  reply.header(REQUEST_ID_HEADER, request.id);
  const message = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "path parameter too long" : "invalid url";
  return sendApiError(reply, new ApiError(400, "INVALID_REQUEST", message));
}
