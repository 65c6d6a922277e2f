import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { Code, ServiceError } from "../errors";
import { createAccessTokenVerifier } from "./access-token-verifier";

const ISSUER = "https://users.shop.test";
const AUDIENCE = "shop-api";

interface SigningKey {
  kid: string;
  alg: "EdDSA" | "ES256";
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: "EdDSA" | "ES256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicKey, jwk };
}

/** A real JWKS endpoint on port 0 that counts the fetches it serves. */
async function startJwksServer(keys: JWK[]) {
  let served = keys;
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => requests,
    serve: (next: JWK[]) => {
      served = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const now = () => Math.floor(Date.now() / 1000);

/** Signs a token with valid claims, overridden by `claims` (undefined drops a claim). */
function token(key: SigningKey, claims: Record<string, unknown> = {}, kid = key.kid) {
  const all = {
    ...{ iss: ISSUER, aud: AUDIENCE, sub: "user-42", role: "customer" },
    ...{ iat: now(), exp: now() + 600, ...claims },
  };
  const payload = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid, typ: "JWT" })
    .sign(key.privateKey);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    return error as ServiceError;
  }
  throw new Error("expected a rejection");
}

describe("createAccessTokenVerifier", () => {
  let ed: SigningKey;
  let es: SigningKey;
  let stranger: SigningKey;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  const verifier = (
    extra: { cooldownMs?: number; cacheMaxAgeMs?: number; verified?: { maxEntries: number } } = {},
    url = jwks.url,
  ) => createAccessTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, ...extra });

  beforeAll(async () => {
    [ed, es, stranger] = await Promise.all([
      signingKey("ed-1", "EdDSA"),
      signingKey("es-1", "ES256"),
      signingKey("ghost", "EdDSA"),
    ]);
    jwks = await startJwksServer([ed.jwk, es.jwk]);
  });
  afterAll(() => jwks.close());

  it("accepts valid EdDSA and ES256 tokens and returns the identity", async () => {
    const v = verifier();
    const edToken = await token(ed, { sub: "user-1", role: "admin" });
    const identity = await v.verify(edToken);
    expect(identity).toEqual({
      userId: "user-1",
      role: "admin",
      token: edToken,
      expiresAt: expect.any(Number),
    });
    expect(identity.expiresAt).toBeGreaterThan(now());
    await expect(v.verify(await token(es))).resolves.toMatchObject({
      userId: "user-42",
      role: "customer",
    });
  });

  it.each([
    ["expired", { exp: now() - 60 }, "access token expired", "ACCESS_TOKEN_EXPIRED"],
    ["not yet valid", { nbf: now() + 60 }, "access token not yet valid", "ACCESS_TOKEN_INVALID"],
    ["from another issuer", { iss: "https://evil.test" }, "access token issuer not accepted", null],
    ["for another audience", { aud: "other-api" }, "access token audience not accepted", null],
    ["without a role", { role: undefined }, "access token has no valid role", null],
    ["with an unknown role", { role: "superuser" }, "access token has no valid role", null],
    ["without a subject", { sub: undefined }, "access token has no valid sub", null],
    ["without an expiry", { exp: undefined }, "access token has no valid exp", null],
    ["without iat", { iat: undefined }, "access token has no valid iat", null],
  ])("rejects a token %s", async (_case, claims, message, reason) => {
    const error = await rejection(verifier().verify(await token(ed, claims)));
    expect(error.code).toBe(Code.UNAUTHENTICATED);
    expect(error.message).toBe(message);
    expect(error.reason).toBe(reason ?? "ACCESS_TOKEN_INVALID");
  });

  it("rejects alg none and HS256 keyed with the public key, before any key lookup", async () => {
    const v = verifier();
    const before = jwks.requests();
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: "user-1", role: "admin", iat: now() };
    const claims = b64url({ ...payload, exp: now() + 600 });
    const unsigned = `${b64url({ alg: "none", kid: ed.kid, typ: "JWT" })}.${claims}.`;

    const rawPublicKey = Buffer.from(ed.jwk.x!, "base64url");
    const pemPublicKey = Buffer.from(await exportSPKI(ed.publicKey));
    const hmacTokens = await Promise.all(
      [rawPublicKey, pemPublicKey].map((secret) =>
        new SignJWT({ role: "admin" })
          .setProtectedHeader({ alg: "HS256", kid: ed.kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject("user-1")
          .setIssuedAt()
          .setExpirationTime("10m")
          .sign(new Uint8Array(secret)),
      ),
    );

    for (const forged of [unsigned, ...hmacTokens]) {
      const error = await rejection(v.verify(forged));
      expect(error.code).toBe(Code.UNAUTHENTICATED);
      expect(error.message).toBe("access token algorithm not accepted");
    }
    expect(jwks.requests()).toBe(before);
  });

  it("rejects an unknown kid, a foreign key and tampered tokens", async () => {
    const v = verifier();
    const unknownKid = await rejection(v.verify(await token(stranger)));
    expect(unknownKid.message).toBe("access token signing key unknown");
    // A stranger's key presenting a known kid fails on the signature.
    const foreignKey = await rejection(v.verify(await token(stranger, {}, ed.kid)));
    expect(foreignKey.message).toBe("access token signature invalid");

    // The original verified first: remembering it must not let its altered copies through.
    const original = await token(ed);
    await v.verify(original);
    const [header, payload, signature] = original.split(".") as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    const promoted = b64url({
      ...JSON.parse(Buffer.from(payload, "base64url").toString()),
      role: "admin",
    });
    for (const tampered of [
      `${header}.${payload}.${flipped}`,
      `${header}.${promoted}.${signature}`,
    ]) {
      const error = await rejection(v.verify(tampered));
      expect(error.code).toBe(Code.UNAUTHENTICATED);
      expect(error.message).toBe("access token signature invalid");
    }
    for (const garbage of ["", "not-a-jwt", "a.b.c"]) {
      expect((await rejection(v.verify(garbage))).code).toBe(Code.UNAUTHENTICATED);
    }
  });

  it("rejects a token over 8 KiB without parsing or fetching", async () => {
    const v = verifier();
    const before = jwks.requests();
    const big = await token(ed, { padding: "x".repeat(8 * 1024) });
    const error = await rejection(v.verify(big));
    expect(error.code).toBe(Code.UNAUTHENTICATED);
    expect(error.message).toBe("access token too large");
    expect(jwks.requests()).toBe(before);
  });

  it("picks up a rotated-in key on its first unknown kid", async () => {
    const server = await startJwksServer([ed.jwk]);
    try {
      const v = verifier({}, server.url);
      await v.verify(await token(ed));
      expect(server.requests()).toBe(1);
      const next = await signingKey("ed-2", "EdDSA");
      server.serve([ed.jwk, next.jwk]);
      await expect(v.verify(await token(next, { sub: "user-7" }))).resolves.toMatchObject({
        userId: "user-7",
      });
      expect(server.requests()).toBe(2);
      // Known keys are served from the cache.
      await v.verify(await token(ed));
      await v.verify(await token(next));
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("refetches at most once per cooldown for unknown kids", async () => {
    const server = await startJwksServer([ed.jwk]);
    try {
      const v = verifier({ cooldownMs: 60_000 }, server.url);
      await v.verify(await token(ed));
      const forged = await Promise.all(
        ["x1", "x2", "x3", "x4", "x5", "x6"].map((kid) => token(stranger, {}, kid)),
      );
      await Promise.all(forged.slice(0, 3).map((t) => rejection(v.verify(t))));
      for (const t of forged.slice(3)) await rejection(v.verify(t));
      expect(server.requests()).toBe(2);
      // Inside the cooldown even a real new key waits: the price of the rate limit.
      const late = await signingKey("ed-3", "EdDSA");
      server.serve([ed.jwk, late.jwk]);
      expect((await rejection(v.verify(await token(late)))).message).toBe(
        "access token signing key unknown",
      );
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("remembers a token that verified, so its next calls need no key or signature check", async () => {
    const server = await startJwksServer([ed.jwk]);
    try {
      const remembering = verifier({ cacheMaxAgeMs: 0, cooldownMs: 0 }, server.url);
      const forgetting = verifier(
        { cacheMaxAgeMs: 0, cooldownMs: 0, verified: { maxEntries: 0 } },
        server.url,
      );
      const session = await token(ed, { sub: "user-memo" });
      await remembering.verify(session);
      await forgetting.verify(session);
      expect(server.requests()).toBe(2);
      // The key leaves the JWKS: the remembered token still passes, without a fetch...
      server.serve([]);
      await expect(remembering.verify(session)).resolves.toMatchObject({ userId: "user-memo" });
      expect(server.requests()).toBe(2);
      // ...while any other token, and the same one without the memo, is checked and refused.
      const fresh = await token(ed, { sub: "user-fresh" });
      expect((await rejection(remembering.verify(fresh))).message).toBe(
        "access token signing key unknown",
      );
      expect((await rejection(forgetting.verify(session))).message).toBe(
        "access token signing key unknown",
      );
    } finally {
      await server.close();
    }
  });

  it("is UNAVAILABLE when the JWKS cannot be fetched and no key is cached", async () => {
    const server = await startJwksServer([ed.jwk]);
    const url = server.url;
    await server.close();
    const error = await rejection(verifier({}, url).verify(await token(ed)));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toBe("access token keys unavailable");
    expect(error.message).not.toContain("127.0.0.1");
  });

  it("keeps verifying with cached keys when a refresh fails", async () => {
    const server = await startJwksServer([ed.jwk]);
    const v = verifier({ cacheMaxAgeMs: 0, cooldownMs: 0 }, server.url);
    // Distinct tokens: one already verified would be remembered, with no key lookup.
    await v.verify(await token(ed, { sub: "user-a" }));
    await v.verify(await token(ed, { sub: "user-b" }));
    expect(server.requests()).toBe(2); // max age 0: every verify refreshes
    await server.close();
    await expect(v.verify(await token(ed, { sub: "user-c" }))).resolves.toMatchObject({
      userId: "user-c",
    });
    // An unknown kid with the JWKS down is a bad token, not an outage.
    const error = await rejection(v.verify(await token(stranger)));
    expect(error.code).toBe(Code.UNAUTHENTICATED);
  });

  it("accepts only the algorithms it is configured with", async () => {
    const esOnly = createAccessTokenVerifier({
      jwksUrl: jwks.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256"],
    });
    await expect(esOnly.verify(await token(es))).resolves.toMatchObject({ userId: "user-42" });
    const error = await rejection(esOnly.verify(await token(ed)));
    expect(error.message).toBe("access token algorithm not accepted");
  });

  it("refuses an empty algorithm allow-list", () => {
    expect(() =>
      createAccessTokenVerifier({
        jwksUrl: jwks.url,
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [],
      }),
    ).toThrow(/no algorithms/);
  });
});
