// The `{error}` envelope (spec §0.2), the one mapping of domain errors to HTTP statuses, and how an answer is logged.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorEnvelope } from "../../protocol/errors.js";
import { REQUEST_ID_HEADER } from "../../protocol/transport.js";
import { DomainError, type DomainErrorCode, invalidRequest } from "../errors.js";

/**
 * The one table from a domain error's code to its HTTP status (spec §0.7, plus this port's codes). A code has
 * one status; OPS_UNAVAILABLE's other one (500 when the overview fails) is the overview route's own ApiError.
 */
const HTTP_STATUS: Record<DomainErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  ORIGIN_DENIED: 403,
  HOST_DENIED: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  TMUX_NOT_FOUND: 503,
  SESSION_NOT_FOUND: 404,
  SESSION_ALREADY_EXISTS: 409,
  TMUX_SERVER_NOT_RUNNING: 503,
  TMUX_COMMAND_FAILED: 500,
  WINDOW_NOT_FOUND: 404,
  PANE_NOT_FOUND: 404,
  STORE_ERROR: 500,
  UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  GUARDRAIL_BLOCKED: 409,
  GUARDRAIL_CONFIRM_REQUIRED: 428,
  GUARDRAIL_RULE_NOT_FOUND: 404,
  OPS_UNAVAILABLE: 503,
  OPS_SERVICE_NOT_FOUND: 404,
  OPS_SERVICE_EXISTS: 409,
  OPS_ACTION_FAILED: 500,
  OPS_LOGS_FAILED: 500,
  OPS_DISCOVER_FAILED: 500,
  OPS_BROWSE_FAILED: 500,
  OPS_ALERT_NOT_FOUND: 404,
  OPS_RUNBOOK_NOT_FOUND: 404,
  OPS_RUNBOOK_EXISTS: 409,
  OPS_JOB_NOT_FOUND: 404,
  OPS_JOB_FINISHED: 409,
  SCHEDULE_NOT_FOUND: 404,
  CONFIG_UNAVAILABLE: 503,
  CONFIG_READ_FAILED: 500,
  CONFIG_WRITE_FAILED: 500,
  RECOVERY_DISABLED: 503,
  RECOVERY_ERROR: 500,
  RECOVERY_RESTORE_FAILED: 500,
  SNAPSHOT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  RECORDING_NOT_FOUND: 404,
  RECORDING_NOT_ACTIVE: 409,
  RECORDING_LIMIT_REACHED: 409,
  RECORDING_FAILED: 500,
};

export const httpStatus = (error: DomainError): number => HTTP_STATUS[error.code];

/**
 * An answer: status, code, message and details. Made from a DomainError by the table (toApiError), or by this
 * layer where the status is HTTP's own (fastify's errors, the overview's 500).
 */
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

const answerOf = (error: ApiError | DomainError): ApiError =>
  error instanceof ApiError
    ? error
    : new ApiError(httpStatus(error), error.code, error.message, error.details);

/** The answer for a thrown error that is one (ApiError or DomainError), else undefined (a fault). */
export function toApiError(error: unknown): ApiError | undefined {
  return error instanceof ApiError || error instanceof DomainError ? answerOf(error) : undefined;
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
export function sendApiError(
  reply: FastifyReply,
  error: ApiError | DomainError,
  cause?: unknown,
): FastifyReply {
  const answer = answerOf(error);
  logApiError(reply.log, answer, cause);
  return reply
    .code(answer.status)
    .type("application/json")
    .send(envelope(answer.code, answer.message, answer.details));
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
  return sendApiError(reply, invalidRequest(message));
}
