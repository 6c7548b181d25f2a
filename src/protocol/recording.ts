// Recordings on the wire: the `/api/recordings` bodies and responses, the `recording.updated` event payload,
// and the text messages of the terminal stream endpoint `/api/sessions/{id}/ws` (the second source document).
// A recording's cast is strict asciicast v2 (header version, width, height, timestamp, env; events o, i, r, m);
// everything else about it (session, status, reasons, exit status) lives here, in the metadata index.

export type RecordingStatus =
  /** Being written. */
  | "recording"
  /** Ended and closed normally (see `stopReason`). */
  | "stopped"
  /** The server died while it was being written; repaired at the next start (torn last line dropped). */
  | "interrupted"
  /** Writing failed (disk full, I/O error); the cast holds what was written before. */
  | "failed";

/** Where a recording comes from: `POST /api/recordings` (its own tmux client) or a `/ws/tmux?record=1` client. */
export type RecordingSource = "api" | "client";

export type RecordingStopReason =
  | "requested"
  | "deleted"
  | "session-ended"
  | "client-closed"
  | "size-limit"
  | "duration-limit"
  | "server-shutdown"
  | "interrupted"
  | "error";

export interface RecordingInfo {
  /** A UUID; the cast is `<data-dir>/recordings/<id>.cast`. */
  id: string;
  session: string;
  source: RecordingSource;
  status: RecordingStatus;
  /** "" when none was given. */
  title: string;
  /** Size at the start (the cast header); later sizes are `r` events. */
  cols: number;
  rows: number;
  /** Whether the size follows the session's active window (API recordings without an explicit size). */
  followsWindow: boolean;
  /** Whether keyboard input is recorded as `i` events (off unless asked for: it may hold passwords). */
  captureInput: boolean;
  /** RFC 3339, seconds, UTC. */
  startedAt: string;
  /** "" while recording. */
  endedAt: string;
  /** Time of the last event, in milliseconds from the start. */
  durationMs: number;
  /** Bytes of the cast file (flushed or waiting to be). */
  bytes: number;
  /** Events written after the header (markers included). */
  events: number;
  /** Set once the recording has ended. */
  stopReason?: RecordingStopReason;
  /** Exit status of the recording's tmux client, when it exited by itself. */
  exitStatus?: number;
  /** Why writing failed (`status: "failed"`). */
  error?: string;
}

/** The limits that apply to one recording (the server's configured maxima unless lowered by the request). */
export interface RecordingLimits {
  maxBytes: number;
  maxDurationSeconds: number;
}

export interface RecordingResponse {
  recording: RecordingInfo;
}

/** Newest first. */
export interface RecordingsResponse {
  recordings: RecordingInfo[];
}

export const RECORDING_CAST_CONTENT_TYPE = "application/x-asciicast";
export const RECORDING_MARKER_MAX = 256;

export const RecordingErrorCode = {
  NotFound: "RECORDING_NOT_FOUND",
  NotActive: "RECORDING_NOT_ACTIVE",
  LimitReached: "RECORDING_LIMIT_REACHED",
  Failed: "RECORDING_FAILED",
} as const;

export const RecordingMessages = {
  sessionRequired: "session is required",
  sizePair: "cols and rows must be given together",
  cols: "cols must be between 20 and 500",
  rows: "rows must be between 5 and 200",
  maxBytes: "options.maxBytes must be a positive integer",
  maxDuration: "options.maxDurationSeconds must be a positive integer",
  title: "options.title must be at most 256 characters, without control characters",
  invalidId: "invalid recording id",
  notFound: "recording not found",
  notActive: "recording is not active",
  label: "label must be 1-256 characters, without control characters",
  tooMany: "too many active recordings",
} as const;

const RECORDING_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isRecordingId = (value: string) => RECORDING_ID.test(value);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Titles and marker labels: 1–256 code points, no control characters, no lone surrogates (not UTF-8). */
export function isRecordingLabel(value: string): boolean {
  if (/[\u0000-\u001f\u007f]/.test(value) || LONE_SURROGATE.test(value)) return false;
  const length = [...value].length;
  return length >= 1 && length <= RECORDING_MARKER_MAX;
}

export const RECORDING_UPDATED_EVENT = "recording.updated";

/**
 * `recording.updated`: `start`, `stop` (ended for any reason but a limit), `limit` (a size or duration limit
 * was hit: the recording has stopped, `recording.stopReason` says which) and `delete`.
 */
export interface RecordingUpdatedPayload {
  action: "start" | "stop" | "limit" | "delete";
  recording: RecordingInfo;
}

// ---------------------------------------------------------------------------------------------------------
// `/api/sessions/{id}/ws` (the second document's terminal stream). Server → client: binary frames of
// 0xBF + 4-byte big-endian length + UTF-8 bytes (never a character split across frames), and `pong`.

export const STREAM_FRAME_MAGIC = 0xbf;
export const STREAM_HEADER_BYTES = 5;

export interface StreamPongMessage {
  type: "pong";
}

/** Close codes of the stream endpoint (the second document's table). */
export const StreamCloseCode = {
  /** The session ended (its tmux client exited), or the client closed. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** A message the protocol does not define: binary, not JSON, unknown type, bad fields. */
  Unsupported: 1003,
  /** Authentication failed, the token is limited to another session, or the session id is invalid. */
  Policy: 1008,
  /** The terminal could not be started, or tmux failed: retry. */
  ServerError: 1011,
} as const;

/** Encodes one binary frame of the stream endpoint. */
export function encodeStreamFrame(data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(STREAM_HEADER_BYTES + data.length);
  frame[0] = STREAM_FRAME_MAGIC;
  new DataView(frame.buffer).setUint32(1, data.length, false);
  frame.set(data, STREAM_HEADER_BYTES);
  return frame;
}
