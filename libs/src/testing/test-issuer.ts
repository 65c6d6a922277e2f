/**
 * Test support: an issuer of end-user access tokens standing in for user-service, for
 * the tests of services that verify tokens but do not issue them. Its JWKS is served
 * over loopback HTTP, so the services' real verifier fetches and checks it.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, SignJWT } from "jose";
import type { Role, UserIdentity } from "../auth";

export interface TestIssuer {
  /** JWKS_URL, JWT_ISSUER and JWT_AUDIENCE for a service under test. */
  readonly env: { JWKS_URL: string; JWT_ISSUER: string; JWT_AUDIENCE: string };
  /** A signed access token; a negative `expiresInSec` makes an expired one. */
  token(userId: string, role?: Role, expiresInSec?: number): Promise<string>;
  /** The identity a client call carries for this user (`{ ctx: { user } }`). */
  user(userId?: string, role?: Role): Promise<UserIdentity>;
  close(): Promise<void>;
}

export async function createTestIssuer(
  options: { issuer?: string; audience?: string } = {},
): Promise<TestIssuer> {
  const issuer = options.issuer ?? "user-service";
  const audience = options.audience ?? "shop-api";
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const kid = randomUUID();
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }],
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const token = (userId: string, role: Role = "customer", expiresInSec = 300) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: "EdDSA", kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(Math.min(now, now + expiresInSec - 60))
      .setExpirationTime(now + expiresInSec)
      .sign(privateKey);
  };
  return {
    env: {
      JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
    },
    token,
    async user(userId = randomUUID(), role: Role = "customer") {
      return {
        userId,
        role,
        token: await token(userId, role),
        expiresAt: Math.floor(Date.now() / 1000) + 300,
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
