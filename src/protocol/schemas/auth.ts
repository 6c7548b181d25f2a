// TypeBox schemas of src/protocol/auth.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/auth.ts).
import { type Static, Type } from "typebox";

export const IssueTokenBody = Type.Object(
  {
    /** Limits the access token to one tmux session. */
    sessionId: Type.Optional(Type.String()),
    /** With `sessionId`: the token's terminals only watch, they type nothing (ADR 0012). */
    readOnly: Type.Optional(Type.Boolean()),
    /** Subject recorded in the token; defaults to "sentinel". */
    sub: Type.Optional(Type.String({ maxLength: 128 })),
    /** Access token lifetime in seconds (60 s to 24 h); defaults to 15 minutes. */
    ttlSeconds: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type IssueTokenBody = Static<typeof IssueTokenBody>;

export const RefreshTokenBody = Type.Object({ refreshToken: Type.String() }, { additionalProperties: false });
export type RefreshTokenBody = Static<typeof RefreshTokenBody>;
