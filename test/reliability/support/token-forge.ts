/**
 * Access tokens made by the test, to probe the verifier claim by claim: signed with
 * user-service's real current key (unsealed from its database with the mesh's KEK, as
 * only a holder of both could), so a token refused for its `exp` or `iss` is refused
 * for that and not for its signature, plus the classic forgeries (alg none, HS256
 * keyed with the public key, an unknown kid).
 */
import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from "node:crypto";
import { SignJWT } from "jose";
import type { TestMesh } from "../../support/test-mesh";
import { sql } from "./sql";

export interface TokenForge {
  /** The real signing key's kid and public JWK. */
  readonly kid: string;
  readonly publicJwk: { x: string; kid: string };
  /** Signs `claims` over sensible defaults (iss, aud, iat, exp, jti) with the real key. */
  sign(
    claims?: Record<string, unknown>,
    options?: { key?: KeyObject; kid?: string },
  ): Promise<string>;
  /** A JWT with any header, payload and HMAC-SHA256 key (or no signature for alg none). */
  raw(header: Record<string, unknown>, payload: Record<string, unknown>, hmacKey?: Buffer): string;
  /** The default claims for `sub` and `role`. */
  claims(sub: string, role?: string): Record<string, unknown>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function createTokenForge(mesh: TestMesh): Promise<TokenForge> {
  const kek = Buffer.from(mesh.envs["user-service"].USER_KEK!, "base64");
  const [row] = await sql<{
    kid: string;
    public_jwk: { x: string; kid: string };
    private_key_nonce: Buffer;
    private_key_ciphertext: Buffer;
  }>(
    mesh.databases["user-service"]!.url,
    `SELECT kid, public_jwk, private_key_nonce, private_key_ciphertext FROM signing_keys
      WHERE activates_at <= now() ORDER BY activates_at DESC LIMIT 1`,
  );
  if (!row) throw new Error("user-service has no signing key yet");
  // AES-256-GCM, the tag last, bound to "signing key <kid>" (user-service's sealing).
  const decipher = createDecipheriv("aes-256-gcm", kek, row.private_key_nonce);
  decipher.setAAD(Buffer.from(`signing key ${row.kid}`));
  decipher.setAuthTag(row.private_key_ciphertext.subarray(-16));
  const der = Buffer.concat([
    decipher.update(row.private_key_ciphertext.subarray(0, -16)),
    decipher.final(),
  ]);
  const realKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const issuer = mesh.envs["api-gateway"].JWT_ISSUER ?? "user-service";
  const audience = mesh.envs["api-gateway"].JWT_AUDIENCE ?? "shop-api";

  const claims = (sub: string, role = "customer") => {
    const now = Math.floor(Date.now() / 1000);
    return { sub, role, iss: issuer, aud: audience, iat: now, exp: now + 300, jti: randomUUID() };
  };
  return {
    kid: row.kid,
    publicJwk: row.public_jwk,
    claims,
    async sign(payload = claims(randomUUID()), options = {}) {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: "EdDSA", kid: options.kid ?? row.kid, typ: "JWT" })
        .sign(options.key ?? realKey);
    },
    raw(header, payload, hmacKey) {
      const input = `${b64(header)}.${b64(payload)}`;
      if (!hmacKey) return `${input}.`;
      return `${input}.${createHmac("sha256", hmacKey).update(input).digest("base64url")}`;
    },
  };
}

/** A fresh Ed25519 key nobody published. */
export function strangerKey(): KeyObject {
  return generateKeyPairSync("ed25519").privateKey;
}
