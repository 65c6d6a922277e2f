/**
 * This process's service identity on outgoing gRPC calls: a short-lived EdDSA JWT whose
 * `sub` is the service name, signed with the service's own key.
 */
import { createPrivateKey, type KeyObject, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { ServiceName } from "../mesh";
import { SERVICE_TOKEN_AUDIENCE, type ServiceTokenSigner } from "./identity";

export interface ServiceTokenSignerOptions {
  service: ServiceName;
  /** The service's Ed25519 private key, PKCS8 PEM. */
  privateKey: string;
  /** Token lifetime in whole seconds. Default 300. */
  ttlSec?: number;
}

/** A token is renewed once less than this share of its lifetime remains. */
const RENEW_WHEN_LEFT = 0.2;

/**
 * Creates the signer. The key is parsed here, so a wrong key stops start-up rather than
 * the first call. Tokens carry iss = sub = service, aud "shop-mesh", iat, exp, a random
 * jti, and `kid` = service (the verifier only accepts a token from the key of its `sub`).
 * One token is reused until 80 % of its lifetime has passed; concurrent callers share
 * one signing.
 */
export function createServiceTokenSigner(options: ServiceTokenSignerOptions): ServiceTokenSigner {
  const { service } = options;
  const ttlSec = options.ttlSec ?? 300;
  if (!Number.isInteger(ttlSec) || ttlSec < 1) {
    throw new Error(`service token signer for ${service}: ttlSec must be a positive integer`);
  }
  const key = ed25519PrivateKey(options.privateKey, service);
  let current: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const sign = async (): Promise<string> => {
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: service })
      .setIssuer(service)
      .setSubject(service)
      .setAudience(SERVICE_TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSec)
      .setJti(randomUUID())
      .sign(key);
    current = { token, renewAt: (iat + ttlSec * (1 - RENEW_WHEN_LEFT)) * 1000 };
    return token;
  };

  return {
    service,
    token(): Promise<string> {
      if (current && Date.now() < current.renewAt) return Promise.resolve(current.token);
      pending ??= sign().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

function ed25519PrivateKey(pem: string, service: ServiceName): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (cause) {
    throw new Error(`service token signer for ${service}: private key is not a valid PEM`, {
      cause,
    });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(
      `service token signer for ${service}: private key must be Ed25519, got ${key.asymmetricKeyType}`,
    );
  }
  return key;
}
