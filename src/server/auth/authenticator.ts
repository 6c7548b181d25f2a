// Who may talk to the server: the static token (spec §5) and the HS256 access tokens issued from it.
// Comparisons of the static token are timing-safe on hashes, so neither content nor length leaks.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type * as JsonWebToken from "jsonwebtoken";
import type { AccessClaims, TokenPair } from "../../protocol/auth.js";
import { AUTH_SUBPROTOCOL_PREFIX } from "../../protocol/transport.js";

// Loaded on first use: most starts never see a JWT, and loading the library costs ~25 ms of cold start.
let jwtModule: typeof JsonWebToken | undefined;
const jwt = (): typeof JsonWebToken => {
  jwtModule ??= require("jsonwebtoken") as typeof JsonWebToken;
  return jwtModule;
};

export type Principal =
  | { kind: "open" }
  | { kind: "static" }
  | { kind: "jwt"; sub: string; sessionId?: string; readOnly?: true; exp: number };

export type Credential = { presented: false } | { presented: true; value: string };

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();
const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface RefreshClaims {
  sub: string;
  typ: "refresh";
  sessionId?: string;
  readOnly?: true;
  jti: string;
}

/** The scope claims of a verified token: `sessionId`, and `readOnly` only with it (ADR 0012). */
function scopeClaims(claims: { sessionId?: unknown; readOnly?: unknown }): {
  sessionId?: string;
  readOnly?: true;
} {
  if (typeof claims.sessionId !== "string") return {};
  return { sessionId: claims.sessionId, ...(claims.readOnly === true ? { readOnly: true as const } : {}) };
}

export class Authenticator {
  private readonly tokenHash: Buffer | undefined;
  private readonly jwtKey: Buffer;

  constructor(
    token: string,
    private readonly accessTtlSeconds = 900,
    private readonly refreshTtlSeconds = 7 * 86400,
  ) {
    const t = token.trim();
    this.tokenHash = t ? sha256(t) : undefined;
    // Deriving the signing key from the token means a new token revokes every token issued from the old one.
    this.jwtKey = t ? createHmac("sha256", t).update("sentinel-jwt-v1").digest() : randomBytes(32);
  }

  get required(): boolean {
    return this.tokenHash !== undefined;
  }

  /** Checks a presented credential: the static token or a valid, unexpired access token. */
  verify(credential: string): Principal | undefined {
    if (!this.tokenHash) return { kind: "open" };
    const value = credential.trim();
    if (!value) return undefined;
    if (timingSafeEqual(sha256(value), this.tokenHash)) return { kind: "static" };
    if (!JWT_SHAPE.test(value)) return undefined;
    try {
      const claims = jwt().verify(value, this.jwtKey, { algorithms: ["HS256"] }) as Partial<AccessClaims>;
      if (claims.typ !== "access" || typeof claims.sub !== "string" || typeof claims.exp !== "number")
        return undefined;
      return {
        kind: "jwt",
        sub: claims.sub,
        exp: claims.exp,
        ...scopeClaims(claims),
      };
    } catch {
      return undefined;
    }
  }

  /** Authenticates, or admits everyone when no token is configured. */
  authenticate(credential: Credential): Principal | undefined {
    if (!this.tokenHash) return { kind: "open" };
    return credential.presented ? this.verify(credential.value) : undefined;
  }

  /** `readOnly` counts only with `sessionId`: a read-only terminal of that one session. */
  issue(
    options: { sub?: string; sessionId?: string; readOnly?: boolean; ttlSeconds?: number } = {},
  ): TokenPair {
    const sub = options.sub?.trim() || "sentinel";
    const ttl = options.ttlSeconds ?? this.accessTtlSeconds;
    const now = Math.floor(Date.now() / 1000);
    const scope = options.sessionId
      ? { sessionId: options.sessionId, ...(options.readOnly ? { readOnly: true as const } : {}) }
      : {};
    // iat set here, so exp (iat + ttl, by jsonwebtoken) and expiresAt below come from the same second.
    const accessToken = jwt().sign({ sub, typ: "access", iat: now, ...scope }, this.jwtKey, {
      algorithm: "HS256",
      expiresIn: ttl,
    });
    const refreshClaims: RefreshClaims = { sub, typ: "refresh", jti: randomUUID(), ...scope };
    const refreshToken = jwt().sign({ ...refreshClaims, iat: now }, this.jwtKey, {
      algorithm: "HS256",
      expiresIn: this.refreshTtlSeconds,
    });
    return {
      tokenType: "Bearer",
      accessToken,
      expiresIn: ttl,
      expiresAt: iso(now + ttl),
      refreshToken,
      refreshExpiresAt: iso(now + this.refreshTtlSeconds),
      ...scope,
    };
  }

  /** Exchanges a valid refresh token for a new pair (same subject and scope); undefined when it is not valid. */
  refresh(refreshToken: string): TokenPair | undefined {
    try {
      const claims = jwt().verify(refreshToken.trim(), this.jwtKey, {
        algorithms: ["HS256"],
      }) as Partial<RefreshClaims>;
      if (claims.typ !== "refresh" || typeof claims.sub !== "string") return undefined;
      return this.issue({ sub: claims.sub, ...scopeClaims(claims) });
    } catch {
      return undefined;
    }
  }
}

/** `Authorization: Bearer <token>`: the prefix is case-sensitive, the value trimmed (spec §5.2). */
export function bearerCredential(authorization: string | undefined): Credential {
  if (authorization === undefined) return { presented: false };
  if (!authorization.startsWith("Bearer ")) return { presented: true, value: "" };
  return { presented: true, value: authorization.slice("Bearer ".length).trim() };
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * The token of a Sec-WebSocket-Protocol list: the first `sentinel.auth.<base64url>` entry that decodes to a
 * non-blank value (spec §5.2; entries that do not are skipped); undefined if none does.
 */
export function subprotocolToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const entry of header.split(",").map((s) => s.trim())) {
    if (!entry.startsWith(AUTH_SUBPROTOCOL_PREFIX)) continue;
    const encoded = entry.slice(AUTH_SUBPROTOCOL_PREFIX.length);
    if (!encoded || !BASE64URL.test(encoded) || encoded.replace(/=+$/, "").length % 4 === 1) continue;
    const decoded = Buffer.from(encoded, "base64url").toString("utf8");
    if (decoded.trim()) return decoded;
  }
  return undefined;
}

/** WebSocket credential: a non-empty Bearer header wins (a wrong one is not retried), else the subprotocol. */
export function websocketCredential(
  authorization: string | undefined,
  protocols: string | undefined,
): Credential {
  const bearer = bearerCredential(authorization);
  if (bearer.presented && authorization?.trim()) return bearer;
  const token = subprotocolToken(protocols);
  return token === undefined ? { presented: false } : { presented: true, value: token };
}

/** Query parameters that would carry a token in the URL; such requests are refused, never logged with it. */
export const URL_TOKEN_PARAMS = ["token", "access_token", "accessToken", "auth", "jwt"] as const;

export function hasUrlToken(url: string): boolean {
  const q = url.indexOf("?");
  if (q < 0) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  return URL_TOKEN_PARAMS.some((p) => params.has(p));
}

export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const p of URL_TOKEN_PARAMS) if (params.has(p)) params.set(p, "REDACTED");
  return `${url.slice(0, q)}?${params.toString()}`;
}
