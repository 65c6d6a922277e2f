/**
 * Refresh tokens: 32 random bytes, base64url, handed to the client once and stored only
 * as their SHA-256 (a database dump yields nothing that works). A token is single-use:
 * presenting one that was already rotated means it was copied, and the whole family
 * (session) is revoked.
 */
import { createHash, randomBytes } from "node:crypto";

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface NewRefreshToken {
  /** The value the client keeps. */
  readonly token: string;
  /** What the database keeps. */
  readonly hash: Buffer;
}

export function newRefreshToken(): NewRefreshToken {
  const token = randomBytes(TOKEN_BYTES).toString("base64url");
  return { token, hash: refreshTokenHash(token)! };
}

/** The stored form of `token`, or undefined when it cannot be a token of ours. */
export function refreshTokenHash(token: string): Buffer | undefined {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  return createHash("sha256").update(token).digest();
}

/** A presented token as stored, with its session. */
export interface StoredRefreshToken {
  readonly expiresAt: Date;
  readonly rotatedAt: Date | null;
  readonly sessionRevokedAt: Date | null;
}

/** What presenting a token means. */
export type RefreshVerdict = "unknown" | "revoked" | "reused" | "expired" | "valid";

/**
 * The rules, in order: a revoked family stays revoked; a rotated token is a reuse (even
 * if it has expired since: it still proves a copy exists); an expired one is refused.
 */
export function refreshVerdict(stored: StoredRefreshToken | undefined, now: Date): RefreshVerdict {
  if (!stored) return "unknown";
  if (stored.sessionRevokedAt) return "revoked";
  if (stored.rotatedAt) return "reused";
  if (stored.expiresAt.getTime() <= now.getTime()) return "expired";
  return "valid";
}
