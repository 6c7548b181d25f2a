// Maps tmux failures to the protocol's error codes (spec §0.7).
import { ErrorCode, ExtraErrorCode } from "../../protocol/errors.js";
import { DomainError } from "../errors.js";

export type TmuxErrorCode =
  | typeof ErrorCode.TmuxNotFound
  | typeof ErrorCode.SessionNotFound
  | typeof ErrorCode.SessionAlreadyExists
  | typeof ErrorCode.TmuxServerNotRunning
  | typeof ErrorCode.TmuxCommandFailed
  | typeof ExtraErrorCode.WindowNotFound
  | typeof ExtraErrorCode.PaneNotFound;

/** A failed tmux call: a DomainError with one of the tmux codes and, when tmux said why, its stderr. */
export class TmuxError extends DomainError<TmuxErrorCode> {
  constructor(
    code: TmuxErrorCode,
    message: string,
    readonly stderr = "",
  ) {
    super(code, message);
    this.name = "TmuxError";
  }
}

/**
 * tmux 3.3a on a running server with no sessions (`exit-empty off`, or the moment after the last one ended)
 * answers any `-t` target with "no current target", `has-session -t =beta` included: the target is missing.
 */
const SESSION_MISSING = ["can't find session", "no such session", "session not found", "no current target"];

export function classifyTmuxStderr(stderr: string): TmuxErrorCode {
  const s = stderr.toLowerCase();
  if (SESSION_MISSING.some((text) => s.includes(text))) return ErrorCode.SessionNotFound;
  if (s.includes("duplicate session") || s.includes("already exists")) return ErrorCode.SessionAlreadyExists;
  if (
    s.includes("no server running") ||
    s.includes("failed to connect to server") ||
    s.includes("can't connect to server") ||
    (s.includes("error connecting to") && s.includes("no such file or directory"))
  ) {
    return ErrorCode.TmuxServerNotRunning;
  }
  if (s.includes("can't find window")) return ExtraErrorCode.WindowNotFound;
  if (s.includes("can't find pane")) return ExtraErrorCode.PaneNotFound;
  return ErrorCode.TmuxCommandFailed;
}

const messages: Record<TmuxErrorCode, string> = {
  TMUX_NOT_FOUND: "tmux binary not found",
  SESSION_NOT_FOUND: "session not found",
  SESSION_ALREADY_EXISTS: "session already exists",
  TMUX_SERVER_NOT_RUNNING: "tmux server is not running",
  TMUX_COMMAND_FAILED: "tmux command failed",
  WINDOW_NOT_FOUND: "window not found",
  PANE_NOT_FOUND: "pane not found",
};

export function tmuxErrorFromStderr(stderr: string): TmuxError {
  const code = classifyTmuxStderr(stderr);
  const detail = stderr.trim().split("\n")[0] ?? "";
  const base = messages[code];
  return new TmuxError(code, code === "TMUX_COMMAND_FAILED" && detail ? `${base}: ${detail}` : base, stderr);
}

export function tmuxNotFound(): TmuxError {
  return new TmuxError(ErrorCode.TmuxNotFound, messages.TMUX_NOT_FOUND);
}

/** A tmux call that did not finish within its time (its process was killed). */
export function tmuxTimedOut(): TmuxError {
  return new TmuxError("TMUX_COMMAND_FAILED", "tmux command timed out");
}
