import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader, exportJWK, type JWK, SignJWT } from "jose";
import { Code, ServiceError } from "../errors";
import { SERVICES, type ServiceName } from "../mesh";
import { SERVICE_TOKEN_AUDIENCE } from "./identity";
import { ensureServiceKeys, loadServiceKeys, serviceKeyFiles } from "./service-keys";
import { createServiceTokenSigner } from "./service-token-signer";
import { createServiceTokenVerifier } from "./service-token-verifier";

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe(Code.UNAUTHENTICATED);
    return error as ServiceError;
  }
  throw new Error("expected a rejection");
}

const now = () => Math.floor(Date.now() / 1000);

describe("service tokens", () => {
  let dir: string;
  const privateKeys = new Map<ServiceName, string>();
  let jwks: { keys: JWK[] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "service-token-"));
    await ensureServiceKeys(dir);
    for (const { name } of SERVICES) {
      const keys = await loadServiceKeys(serviceKeyFiles(dir, name));
      privateKeys.set(name, keys.privateKey);
      jwks = keys.jwks;
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A hand-made token, to forge what a correct signer would never produce. */
  function forge(
    signer: ServiceName,
    claims: { sub?: string; aud?: string; exp?: number; kid?: string } = {},
    key = createPrivateKey(privateKeys.get(signer)!),
  ) {
    const sub = claims.sub ?? signer;
    return new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: claims.kid ?? sub })
      .setIssuer(sub)
      .setSubject(sub)
      .setAudience(claims.aud ?? SERVICE_TOKEN_AUDIENCE)
      .setIssuedAt(now() - 10)
      .setExpirationTime(claims.exp ?? now() + 300)
      .sign(key);
  }

  it("signs a token every service's verifier accepts as that service", async () => {
    const verifier = createServiceTokenVerifier({ jwks });
    for (const { name } of SERVICES) {
      const signer = createServiceTokenSigner({
        service: name,
        privateKey: privateKeys.get(name)!,
      });
      expect(signer.service).toBe(name);
      const token = await signer.token();
      await expect(verifier.verify(token)).resolves.toBe(name);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: "EdDSA", kid: name });
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ iss: name, sub: name, aud: "shop-mesh" });
      expect(claims.exp! - claims.iat!).toBe(300);
      expect(claims.jti).toEqual(expect.any(String));
    }
  });

  it("never lets one service's key mint another service's identity", async () => {
    const verifier = createServiceTokenVerifier({ jwks });
    // product-service's key, claiming api-gateway, with either kid.
    const asGateway = await forge("product-service", { sub: "api-gateway" });
    expect((await rejection(verifier.verify(asGateway))).message).toBe("invalid service token");
    const ownKid = await forge("product-service", { sub: "api-gateway", kid: "product-service" });
    expect((await rejection(verifier.verify(ownKid))).message).toBe(
      "service token subject does not match its key",
    );
  });

  it("rejects expired, wrong-audience, unknown-service and malformed tokens", async () => {
    const verifier = createServiceTokenVerifier({ jwks });
    const expired = await forge("order-service", { exp: now() - 60 });
    expect((await rejection(verifier.verify(expired))).message).toBe("service token expired");
    await rejection(verifier.verify(await forge("order-service", { aud: "shop-api" })));

    // A key for a service the mesh does not know, even one present in the JWKS.
    const rogue = generateKeyPairSync("ed25519");
    const withRogue = {
      keys: [...jwks.keys, { ...(await exportJWK(rogue.publicKey)), kid: "billing-service" }],
    };
    const rogueToken = await forge("order-service", { sub: "billing-service" }, rogue.privateKey);
    const error = await rejection(
      createServiceTokenVerifier({ jwks: withRogue }).verify(rogueToken),
    );
    expect(error.message).toBe("unknown service");

    for (const garbage of ["", "x.y.z", "a".repeat(5000)])
      await rejection(verifier.verify(garbage));
  });

  it("remembers a verified token by its exact bytes: an altered copy is checked and refused", async () => {
    const verifier = createServiceTokenVerifier({ jwks });
    const token = await forge("order-service");
    await expect(verifier.verify(token)).resolves.toBe("order-service");
    await expect(verifier.verify(token)).resolves.toBe("order-service");
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const asGateway = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), sub: "api-gateway", iss: "api-gateway" }),
    ).toString("base64url");
    expect(payload).not.toBe(asGateway);
    expect((await rejection(verifier.verify(`${header}.${asGateway}.${signature}`))).message).toBe(
      "invalid service token",
    );
  });

  it("reuses its token, and renews it once 80 % of the lifetime has passed", async () => {
    const privateKey = privateKeys.get("order-service")!;
    const cached = createServiceTokenSigner({ service: "order-service", privateKey });
    const [a, b] = await Promise.all([cached.token(), cached.token()]);
    expect(b).toBe(a);
    expect(await cached.token()).toBe(a);

    const shortLived = createServiceTokenSigner({
      service: "order-service",
      privateKey,
      ttlSec: 1,
    });
    const first = await shortLived.token();
    let next = first;
    const deadline = Date.now() + 5_000;
    while (next === first && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      next = await shortLived.token();
    }
    expect(next).not.toBe(first);
    expect(decodeJwt(next).iat).toBeGreaterThanOrEqual(decodeJwt(first).iat!);
    await expect(createServiceTokenVerifier({ jwks }).verify(next)).resolves.toBe("order-service");
  });

  it("refuses a bad key or lifetime at creation", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
      format: "pem",
      type: "pkcs8",
    });
    const service = "user-service";
    expect(() => createServiceTokenSigner({ service, privateKey: "nope" })).toThrow(/valid PEM/);
    expect(() => createServiceTokenSigner({ service, privateKey: rsa.toString() })).toThrow(
      /must be Ed25519, got rsa/,
    );
    const privateKey = privateKeys.get(service)!;
    expect(() => createServiceTokenSigner({ service, privateKey, ttlSec: 0.5 })).toThrow(/ttlSec/);
  });
});
