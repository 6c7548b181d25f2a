// Error codes of the Sentinel protocol (spec §0.7) and the JSON envelope (§0.2).

export const ErrorCode = {
  InvalidRequest: "INVALID_REQUEST",
  Unauthorized: "UNAUTHORIZED",
  Forbidden: "FORBIDDEN",
  OriginDenied: "ORIGIN_DENIED",
  RateLimited: "RATE_LIMITED",
  NotFound: "NOT_FOUND",
  TmuxNotFound: "TMUX_NOT_FOUND",
  SessionNotFound: "SESSION_NOT_FOUND",
  SessionAlreadyExists: "SESSION_ALREADY_EXISTS",
  TmuxServerNotRunning: "TMUX_SERVER_NOT_RUNNING",
  TmuxCommandFailed: "TMUX_COMMAND_FAILED",
  StoreError: "STORE_ERROR",
  Unavailable: "UNAVAILABLE",
  Internal: "INTERNAL_ERROR",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export interface ErrorEnvelope {
  error: ErrorBody;
}

export interface DataEnvelope<T> {
  data: T;
}

/** Codes this server adds to the seed's list: a missing window or pane is the caller's mistake, not a 500. */
export const ExtraErrorCode = {
  WindowNotFound: "WINDOW_NOT_FOUND",
  PaneNotFound: "PANE_NOT_FOUND",
  /** 403: the Host header is not a loopback name, the listen host or in `allowed_hosts` (DNS rebinding). */
  HostDenied: "HOST_DENIED",
} as const;
