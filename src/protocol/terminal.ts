// Frames of `/ws/tmux` (spec §2.3): text control frames; terminal bytes travel as binary frames.
import { type Static, Type } from "typebox";

export const SUBPROTOCOL = "sentinel.v1";
export const AUTH_SUBPROTOCOL_PREFIX = "sentinel.auth.";

export const ResizeMessage = Type.Object({
  type: Type.Literal("resize"),
  cols: Type.Number(),
  rows: Type.Number(),
});
export type ResizeMessage = Static<typeof ResizeMessage>;

export interface StatusMessage {
  type: "status";
  state: "attached";
  session: string;
  /** Only on `/ws/tmux?record=1`: the id of the recording of this client (`/api/recordings/{id}`). */
  recordingId?: string;
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
}

/** Resize limits (v0.11 clamps to these; the seed did not). */
export const TERMINAL_LIMITS = { minCols: 20, maxCols: 500, minRows: 5, maxRows: 200 } as const;
export const DEFAULT_TERMINAL_SIZE = { cols: 120, rows: 40 } as const;

/** Protocols a client offers: `sentinel.v1` and, when it has a token, `sentinel.auth.<base64url(token)>`. */
export function clientProtocols(token: string): string[] {
  const trimmed = token.trim();
  if (!trimmed) return [SUBPROTOCOL];
  return [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + Buffer.from(trimmed, "utf8").toString("base64url")];
}
