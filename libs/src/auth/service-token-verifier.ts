/**
 * Verifies the service token another process presents in `x-service-token`. The shared
 * service JWKS holds every service's public key under `kid` = its name.
 */
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from "jose";
import { Code, ServiceError } from "../errors";
import { SERVICES, type ServiceName } from "../mesh";
import { SERVICE_TOKEN_AUDIENCE, type ServiceTokenVerifier } from "./identity";
import { createVerifiedTokens, type VerifiedTokensOptions } from "./verified-tokens";

export interface ServiceTokenVerifierOptions {
  /** The service JWKS (`service-jwks.json`): one Ed25519 key per service, kid = name. */
  jwks: { keys: JWK[] };
  /** Allowed clock skew in seconds. Default 5. */
  clockToleranceSec?: number;
  /** The memo of verified tokens (`maxEntries: 0` turns it off); see verified-tokens.ts. */
  verified?: VerifiedTokensOptions;
}

/** Service tokens are small; anything larger is refused before parsing. */
const MAX_SERVICE_TOKEN_BYTES = 4 * 1024;

/**
 * Creates the verifier (jose `createLocalJWKSet`: the keys ship with the deployment, no
 * fetch). Accepts EdDSA only, aud "shop-mesh", and only when the key that verified the
 * token is the key of the service it claims (`kid` === `sub` === `iss`), so one
 * service's key can never mint another service's identity. Rejections are
 * ServiceError UNAUTHENTICATED with a short message. A token that verified is remembered
 * until its exp, for at most a minute by default: a caller sends the same token on every
 * call until it renews it, and the signature check is the costliest part of a small call.
 */
export function createServiceTokenVerifier(
  options: ServiceTokenVerifierOptions,
): ServiceTokenVerifier {
  const keys = createLocalJWKSet(options.jwks);
  const known = new Set<string>(SERVICES.map((s) => s.name));
  const verified = createVerifiedTokens<ServiceName>(options.verified);

  return {
    async verify(token: string): Promise<ServiceName> {
      if (typeof token !== "string" || token.length === 0) throw invalid("missing service token");
      if (token.length > MAX_SERVICE_TOKEN_BYTES) throw invalid("service token too large");
      const remembered = verified.get(token);
      if (remembered) return remembered;
      let kid: unknown;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch (cause) {
        throw invalid("invalid service token", cause);
      }
      // Without a kid, jose would try any key that fits; the kid must name the signer.
      if (typeof kid !== "string" || !known.has(kid)) throw invalid("unknown service");
      let sub: unknown;
      let iss: unknown;
      let exp: number | undefined;
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: ["EdDSA"],
          audience: SERVICE_TOKEN_AUDIENCE,
          clockTolerance: options.clockToleranceSec ?? 5,
          requiredClaims: ["sub", "iss", "exp", "iat"],
        });
        ({ sub, iss, exp } = payload);
      } catch (error) {
        throw rejection(error);
      }
      if (sub !== kid || iss !== kid) throw invalid("service token subject does not match its key");
      verified.set(token, kid as ServiceName, exp!);
      return kid as ServiceName;
    },
  };
}

function invalid(message: string, cause?: unknown): ServiceError {
  return new ServiceError(Code.UNAUTHENTICATED, message, {
    cause,
    reason: "SERVICE_TOKEN_INVALID",
  });
}

function rejection(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_JWT_EXPIRED") return invalid("service token expired", error);
  if (code === "ERR_JWKS_NO_MATCHING_KEY") return invalid("unknown service", error);
  return invalid("invalid service token", error);
}
