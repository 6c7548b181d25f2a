// Token issuing (`POST /api/auth/token`) and refresh (`POST /api/auth/refresh`) bodies and answers.
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

export interface TokenPair {
  tokenType: "Bearer";
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  sessionId?: string;
  /** Present (true) on a read-only session token. */
  readOnly?: true;
}

/** Claims of an access token (HS256). Refresh tokens carry `typ: "refresh"` and are refused as access tokens. */
export interface AccessClaims {
  sub: string;
  iat: number;
  exp: number;
  typ: "access";
  sessionId?: string;
  /** Only with `sessionId`: terminals attached with this token type nothing. Older servers ignore it. */
  readOnly?: true;
}
