/**
 * Real tokens for tests of anything behind the gRPC pipeline: a service key per
 * service with the real signer and verifier, and an access-token issuer standing in
 * for user-service, its JWKS served over loopback HTTP to the real access verifier.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, type JWK, SignJWT } from "jose";
import {
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  createServiceTokenSigner,
  createServiceTokenVerifier,
  type Role,
  type ServiceTokenSigner,
  type ServiceTokenVerifier,
} from "../../auth";
import { SERVICES, type ServiceName } from "../../mesh";

export const TEST_ISSUER = "https://user-service.test";
export const TEST_AUDIENCE = "shop";

export interface TestIdentities {
  /** Verifies tokens from `accessToken()`, like every service's verifier. */
  readonly accessTokens: AccessTokenVerifier;
  /** Verifies any service's token from `signer(service)`. */
  readonly serviceTokens: ServiceTokenVerifier;
  /** The real signer of `service`'s tokens. */
  signer(service: ServiceName): ServiceTokenSigner;
  /** An access token for a user; `expiresInSec` < 0 makes an expired one. */
  accessToken(userId: string, role: Role, expiresInSec?: number): Promise<string>;
  /** Stops the JWKS server. */
  close(): Promise<void>;
}

export async function createTestIdentities(): Promise<TestIdentities> {
  const servicePems = new Map<ServiceName, string>();
  const serviceKeys: JWK[] = [];
  for (const { name } of SERVICES) {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    servicePems.set(name, privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    serviceKeys.push({ ...(await exportJWK(publicKey)), kid: name, alg: "EdDSA", use: "sig" });
  }

  const userKey = generateKeyPairSync("ed25519");
  const kid = randomUUID();
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(userKey.publicKey)), kid, alg: "EdDSA", use: "sig" }],
  });
  const http = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;

  const signers = new Map<ServiceName, ServiceTokenSigner>();
  return {
    accessTokens: createAccessTokenVerifier({
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
    }),
    serviceTokens: createServiceTokenVerifier({ jwks: { keys: serviceKeys } }),
    signer(service) {
      let signer = signers.get(service);
      if (!signer) {
        signer = createServiceTokenSigner({ service, privateKey: servicePems.get(service)! });
        signers.set(service, signer);
      }
      return signer;
    },
    accessToken(userId, role, expiresInSec = 300) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ role })
        .setProtectedHeader({ alg: "EdDSA", kid })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setSubject(userId)
        .setIssuedAt(Math.min(now, now + expiresInSec - 60))
        .setExpirationTime(now + expiresInSec)
        .sign(userKey.privateKey);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.closeAllConnections();
        http.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
