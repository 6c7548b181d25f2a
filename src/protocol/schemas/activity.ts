// TypeBox schemas of src/protocol/activity.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/activity.ts).
import { type Static, Type } from "typebox";

/** `PUT /api/tmux/presence` body (§1.4): missing fields take Go's zero values; values are checked by the tracker. */
export const PresenceBody = Type.Object(
  {
    terminalId: Type.Optional(Type.String()),
    session: Type.Optional(Type.String()),
    windowIndex: Type.Optional(Type.Integer()),
    paneId: Type.Optional(Type.String()),
    visible: Type.Optional(Type.Boolean()),
    focused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PresenceBody = Static<typeof PresenceBody>;

/** `POST /api/tmux/sessions/{s}/seen` body (§1.3, §3.5). A missing `windowIndex` is window 0 (Go's zero value). */
export const SeenBody = Type.Object(
  {
    scope: Type.Optional(Type.String()),
    paneId: Type.Optional(Type.String()),
    windowIndex: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type SeenBody = Static<typeof SeenBody>;
