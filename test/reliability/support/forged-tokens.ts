/**
 * The forged and broken access tokens of the hostile-caller tests: each is refused for
 * one flaw, the rest of it being as valid as the forge can make it.
 */
import { randomUUID } from "node:crypto";
import { strangerKey, type TokenForge } from "./token-forge";

/** Makes one token for `userId` with the forge. */
export type ForgedToken = (forge: TokenForge, userId: string) => Promise<string> | string;

/** Now, in JWT seconds. */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

function omit(claims: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = claims;
  return rest;
}

export const FORGED_TOKENS: [name: string, make: ForgedToken][] = [
  ["alg none", (f, sub) => f.raw({ alg: "none", typ: "JWT" }, f.claims(sub))],
  [
    "HS256 keyed with the public key's bytes",
    (f, sub) =>
      f.raw({ alg: "HS256", kid: f.kid }, f.claims(sub), Buffer.from(f.publicJwk.x, "base64url")),
  ],
  [
    "HS256 keyed with the public JWK",
    (f, sub) =>
      f.raw({ alg: "HS256", kid: f.kid }, f.claims(sub), Buffer.from(JSON.stringify(f.publicJwk))),
  ],
  ["expired", (f, sub) => f.sign({ ...f.claims(sub), iat: now() - 3600, exp: now() - 60 })],
  ["not yet valid", (f, sub) => f.sign({ ...f.claims(sub), nbf: now() + 600 })],
  ["wrong issuer", (f, sub) => f.sign({ ...f.claims(sub), iss: "evil-issuer" })],
  ["wrong audience", (f, sub) => f.sign({ ...f.claims(sub), aud: "another-api" })],
  ["no expiry", (f, sub) => f.sign(omit(f.claims(sub), "exp"))],
  ["no subject", (f, sub) => f.sign(omit(f.claims(sub), "sub"))],
  ["unknown role", (f, sub) => f.sign({ ...f.claims(sub), role: "superuser" })],
  [
    "unknown kid",
    (f, sub) => f.sign(f.claims(sub), { key: strangerKey(), kid: `kid-${randomUUID()}` }),
  ],
  ["known kid, another key", (f, sub) => f.sign(f.claims(sub), { key: strangerKey() })],
  ["truncated", async (f, sub) => (await f.sign(f.claims(sub))).slice(0, -12)],
  [
    "signature of another token",
    async (f, sub) => {
      const [h, p] = (await f.sign(f.claims(sub))).split(".");
      const [, , s] = (await f.sign(f.claims(randomUUID()))).split(".");
      return `${h}.${p}.${s}`;
    },
  ],
  [
    "oversized (9 KiB, validly signed)",
    (f, sub) => f.sign({ ...f.claims(sub), pad: "x".repeat(9 * 1024) }),
  ],
  ["not a JWT", () => "not-a-token"],
];
