/**
 * Service signing keys on disk: one Ed25519 private key per service and the shared
 * JWKS of their public keys. `npm run setup` makes them for development in a
 * git-ignored folder; in a cluster the same files come from Kubernetes Secrets.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JWK } from "jose";
import { ConfigError } from "../config";
import { SERVICES, type ServiceName } from "../mesh";

export interface ServiceKeys {
  /** PKCS8 PEM, for createServiceTokenSigner. */
  privateKey: string;
  /** Every service's public key, for createServiceTokenVerifier. */
  jwks: { keys: JWK[] };
}

/** Where `ensureServiceKeys(dir)` puts a service's private key and the shared JWKS. */
export function serviceKeyFiles(
  dir: string,
  service: ServiceName,
): { privateKeyPath: string; jwksPath: string } {
  return { privateKeyPath: join(dir, `${service}.key.pem`), jwksPath: join(dir, JWKS_FILE) };
}

const JWKS_FILE = "service-jwks.json";

/**
 * Creates `<dir>/<service>.key.pem` (mode 0600) for each service that has none, then
 * (re)writes `<dir>/service-jwks.json` from all of them. Idempotent: existing keys are
 * kept, so re-running setup never invalidates tokens a running mesh has issued.
 */
export async function ensureServiceKeys(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys: JWK[] = [];
  for (const { name } of SERVICES) {
    const { privateKeyPath } = serviceKeyFiles(dir, name);
    const pem =
      (await readIfExists(privateKeyPath)) ?? (await createPrivateKeyFile(privateKeyPath));
    keys.push(publicJwk(name, parsePrivateKey(pem, privateKeyPath)));
  }
  const jwksPath = join(dir, JWKS_FILE);
  const temp = `${jwksPath}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o644 });
  await chmod(temp, 0o644);
  await rename(temp, jwksPath); // readers never see a half-written JWKS
}

/**
 * Reads a service's private key and the shared JWKS. A missing or malformed file is a
 * ConfigError naming its path.
 */
export async function loadServiceKeys(paths: {
  privateKeyPath: string;
  jwksPath: string;
}): Promise<ServiceKeys> {
  const pem = await readText(paths.privateKeyPath);
  parsePrivateKey(pem, paths.privateKeyPath);
  const text = await readText(paths.jwksPath);
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw fileError(paths.jwksPath, "not valid JSON");
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "object" && k !== null)) {
    throw fileError(paths.jwksPath, 'expected a JWKS: {"keys": [...]}');
  }
  return { privateKey: pem, jwks: { keys: keys as JWK[] } };
}

/** Writes a new key; "wx" never overwrites, so a concurrent setup's key wins intact. */
async function createPrivateKeyFile(path: string): Promise<string> {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" });
  try {
    await writeFile(path, pem, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readText(path);
    throw error;
  }
  await chmod(path, 0o600); // whatever the umask
  return pem.toString();
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileError(path, `unreadable (${(error as NodeJS.ErrnoException).code})`);
  }
}

function publicJwk(service: ServiceName, privateKey: KeyObject): JWK {
  const { kty, crv, x } = createPublicKey(privateKey).export({ format: "jwk" });
  return { kty, crv, x, kid: service, alg: "EdDSA", use: "sig" };
}

function parsePrivateKey(pem: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw fileError(path, "not a PEM private key");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw fileError(path, `expected an Ed25519 key, got ${key.asymmetricKeyType}`);
  }
  return key;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fileError(
      path,
      code === "ENOENT" ? "file not found (run npm run setup)" : `unreadable (${code})`,
    );
  }
}

function fileError(path: string, message: string): ConfigError {
  return new ConfigError([{ variable: path, message }]);
}
