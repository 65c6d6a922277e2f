/**
 * Issues the short-lived access JWTs (EdDSA, jose) that libs' verifier accepts: sub,
 * role, iss, aud, iat, exp and a unique jti in the payload, the signing key's kid in the
 * header.
 */
import { randomUUID } from "node:crypto";
import type { Role } from "@shop/libs/auth";
import { SignJWT } from "jose";
import type { SigningKeyStore } from "../keys/signing-key-store";

export interface IssuedAccessToken {
  readonly token: string;
  /** Lifetime in seconds (the contract's `expires_in`). */
  readonly expiresIn: number;
}

export interface AccessTokenIssuer {
  issue(userId: string, role: Role): Promise<IssuedAccessToken>;
}

export function createAccessTokenIssuer(options: {
  keys: SigningKeyStore;
  issuer: string;
  audience: string;
  ttlMs: number;
}): AccessTokenIssuer {
  const expiresIn = Math.floor(options.ttlMs / 1000);
  return {
    async issue(userId, role) {
      const key = await options.keys.current();
      const issuedAt = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ role })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + expiresIn)
        .sign(key.privateKey);
      return { token, expiresIn };
    },
  };
}
