/**
 * The one verifier of end users' access tokens, used by the gateway and, again, by every
 * service (defence in depth). Keys come from user-service's JWKS over HTTP, cached.
 */
import {
  createRemoteJWKSet,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { Code, ServiceError } from "../errors";
import type { AccessTokenVerifier, Role, UserIdentity } from "./identity";
import { createVerifiedTokens, type VerifiedTokensOptions } from "./verified-tokens";

export type AccessTokenAlgorithm = "EdDSA" | "ES256";

export interface AccessTokenVerifierOptions {
  /** user-service's `/.well-known/jwks.json`. */
  jwksUrl: string;
  /** The exact `iss` the tokens must carry. */
  issuer: string;
  /** The `aud` the tokens must include. */
  audience: string;
  /** Accepted signing algorithms; anything else (`none`, HS256, RS256) is refused. */
  algorithms?: readonly AccessTokenAlgorithm[];
  /** Allowed clock skew for exp/nbf/iat, in seconds. Default 5. */
  clockToleranceSec?: number;
  /** Minimum time between JWKS refetches caused by an unknown `kid`. Default 30 s. */
  cooldownMs?: number;
  /** How long fetched keys count as fresh before the next verify refetches. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** Timeout of one JWKS fetch. Default 5 s. */
  fetchTimeoutMs?: number;
  /** The memo of verified tokens (`maxEntries: 0` turns it off); see verified-tokens.ts. */
  verified?: VerifiedTokensOptions;
}

/** Larger tokens are refused before any parsing: nothing legitimate comes close. */
export const MAX_ACCESS_TOKEN_BYTES = 8 * 1024;

const ROLES: readonly Role[] = ["customer", "admin"];
const DEFAULTS = {
  algorithms: ["EdDSA", "ES256"] as const,
  clockToleranceSec: 5,
  cooldownMs: 30_000,
  cacheMaxAgeMs: 600_000,
  fetchTimeoutMs: 5_000,
};

/**
 * Creates a verifier over a remote JWKS (jose `createRemoteJWKSet` + `jwtVerify`).
 *
 * Keys are fetched on first use and refreshed after `cacheMaxAgeMs`; when a refresh fails
 * the known keys keep serving. A token whose `kid` is unknown triggers one refetch (key
 * rotation), at most once per `cooldownMs`, so a stream of forged kids cannot hammer the
 * JWKS endpoint. Requires `sub`, `role`, `exp` and `iat`.
 *
 * Rejections are `ServiceError` UNAUTHENTICATED with a short message that reveals no
 * internals (reason `ACCESS_TOKEN_EXPIRED` or `ACCESS_TOKEN_INVALID`); when no key has
 * ever been fetched and the JWKS cannot be, it is UNAVAILABLE: the token may be fine.
 * A token that verified is remembered (verified-tokens.ts) until its exp, for at most
 * a minute by default, so a session's calls pay for one signature check.
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): AccessTokenVerifier {
  const algorithms = [...(options.algorithms ?? DEFAULTS.algorithms)];
  const cooldownMs = options.cooldownMs ?? DEFAULTS.cooldownMs;
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? DEFAULTS.cacheMaxAgeMs;
  if (algorithms.length === 0) throw new Error("access token verifier: no algorithms allowed");

  // jose's own refresh rules are switched off (infinite max age and cooldown): jose
  // refetches on every request while the JWKS is down, drops cached keys when a refresh
  // fails, and its cooldown counts from the last fetch, so a key rotated in just after
  // start-up would be refused for 30 s. The rules below replace them.
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: Number.POSITIVE_INFINITY,
    cacheMaxAge: Number.POSITIVE_INFINITY,
    timeoutDuration: options.fetchTimeoutMs ?? DEFAULTS.fetchTimeoutMs,
  });
  const verified = createVerifiedTokens<UserIdentity>(options.verified);
  let loadedAt: number | undefined;
  let lastUnknownKidRefetch = Number.NEGATIVE_INFINITY;

  const fetchKeys = async (): Promise<void> => {
    await remote.reload(); // jose shares one in-flight fetch between concurrent callers
    loadedAt = Date.now();
  };

  /** Loads or refreshes the key set; true when this call fetched it. */
  const ensureKeys = async (): Promise<boolean> => {
    if (loadedAt === undefined) {
      try {
        await fetchKeys();
      } catch (cause) {
        throw new ServiceError(Code.UNAVAILABLE, "access token keys unavailable", { cause });
      }
      return true;
    }
    if (Date.now() - loadedAt < cacheMaxAgeMs) return false;
    try {
      await fetchKeys();
      return true;
    } catch {
      // Stale-if-error: rotation publishes a key before using it, so known keys stay valid.
      return false;
    }
  };

  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const justFetched = await ensureKeys();
    try {
      return await remote(header, token);
    } catch (error) {
      const unknownKid = errorCode(error) === "ERR_JWKS_NO_MATCHING_KEY";
      if (!unknownKid || justFetched || Date.now() - lastUnknownKidRefetch < cooldownMs) {
        throw error;
      }
      lastUnknownKidRefetch = Date.now();
      await fetchKeys().catch(() => undefined);
      return remote(header, token);
    }
  };

  return {
    async verify(token: string): Promise<UserIdentity> {
      if (typeof token !== "string" || token.length === 0) throw invalid("missing access token");
      if (token.length > MAX_ACCESS_TOKEN_BYTES) throw invalid("access token too large");
      const known = verified.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          clockTolerance: options.clockToleranceSec ?? DEFAULTS.clockToleranceSec,
          requiredClaims: ["sub", "exp", "iat"],
        }));
      } catch (error) {
        throw rejection(error);
      }
      const role = payload.role;
      if (typeof payload.sub !== "string" || payload.sub.length === 0) {
        throw invalid("access token has no subject");
      }
      if (!ROLES.includes(role as Role)) throw invalid("access token has no valid role");
      const identity: UserIdentity = Object.freeze({
        userId: payload.sub,
        role: role as Role,
        token,
        expiresAt: payload.exp!,
      });
      verified.set(token, identity, identity.expiresAt);
      return identity;
    },
  };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function invalid(message: string, cause?: unknown): ServiceError {
  return new ServiceError(Code.UNAUTHENTICATED, message, { cause, reason: "ACCESS_TOKEN_INVALID" });
}

/** Maps what jose threw to a safe UNAUTHENTICATED error; the detail stays in `cause`. */
function rejection(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  switch (errorCode(error)) {
    case "ERR_JWT_EXPIRED":
      return new ServiceError(Code.UNAUTHENTICATED, "access token expired", {
        cause: error,
        reason: "ACCESS_TOKEN_EXPIRED",
      });
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return invalid(claimMessage((error as { claim?: string }).claim), error);
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return invalid("access token algorithm not accepted", error);
    case "ERR_JWKS_NO_MATCHING_KEY":
      return invalid("access token signing key unknown", error);
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return invalid("access token signature invalid", error);
    default:
      return invalid("invalid access token", error);
  }
}

function claimMessage(claim: string | undefined): string {
  switch (claim) {
    case "nbf":
      return "access token not yet valid";
    case "iss":
      return "access token issuer not accepted";
    case "aud":
      return "access token audience not accepted";
    case "sub":
    case "exp":
    case "iat":
      return `access token has no valid ${claim}`;
    default:
      return "invalid access token";
  }
}
