// Token issuing (`POST /api/auth/token`) and refresh (`POST /api/auth/refresh`) bodies and answers.

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
