// TypeBox schemas of src/protocol/recording.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/recording.ts).
import { type Static, Type } from "typebox";
import { body } from "./body.js";

export const RecordingOptions = body({
  /** Record keyboard input from Sentinel terminal clients of the session as `i` events. Default false. */
  captureInput: Type.Optional(Type.Boolean()),
  title: Type.Optional(Type.String()),
  /** Lower than the server's maximum only; larger values are clamped to it. */
  maxBytes: Type.Optional(Type.Integer()),
  maxDurationSeconds: Type.Optional(Type.Integer()),
});
export type RecordingOptions = Static<typeof RecordingOptions>;

/**
 * `POST /api/recordings`: starts a headless recording of a tmux session (its own read-only tmux client).
 * With `cols` and `rows` (both or neither) the recording keeps that size; without, it follows the size of the
 * session's active window and records each change as an `r` event.
 */
export const StartRecordingBody = body({
  session: Type.Optional(Type.String()),
  cols: Type.Optional(Type.Integer()),
  rows: Type.Optional(Type.Integer()),
  options: Type.Optional(RecordingOptions),
});
export type StartRecordingBody = Static<typeof StartRecordingBody>;

/** `POST /api/recordings/{id}/markers`: a user mark, written as an `m` event. */
export const AddMarkerBody = body({ label: Type.Optional(Type.String()) });
export type AddMarkerBody = Static<typeof AddMarkerBody>;

export const RecordingParams = Type.Object({ id: Type.String() });
export type RecordingParams = Static<typeof RecordingParams>;

// `/api/sessions/{id}/ws` client → server text messages.
export const StreamInputMessage = Type.Object({ type: Type.Literal("input"), data: Type.String() });

export const StreamResizeMessage = Type.Object({
  type: Type.Literal("resize"),
  cols: Type.Integer(),
  rows: Type.Integer(),
});

export const StreamPingMessage = Type.Object({ type: Type.Literal("ping") });
export type StreamClientMessage =
  | Static<typeof StreamInputMessage>
  | Static<typeof StreamResizeMessage>
  | Static<typeof StreamPingMessage>;
