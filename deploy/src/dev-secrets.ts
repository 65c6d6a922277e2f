/**
 * The secrets of a `make dev` cluster: generated once into a git-ignored folder and
 * reused, so re-running make dev keeps passwords, keys and tokens valid. Writes
 * `secrets.yaml` (mode 0600) with every Secret and ConfigMap of secret-contract.ts, which
 * deploy/scripts/dev.sh applies. The service identity keys come from libs'
 * ensureServiceKeys, like `npm run setup`'s, but in their own folder: the cluster and
 * the local mesh do not share keys.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureServiceKeys, serviceKeyFiles } from "@shop/libs/auth";
import { SERVICES } from "@shop/libs/mesh";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { stringify } from "yaml";
import {
  databaseSecret,
  IDENTITY_KEY,
  identitySecret,
  NAMESPACE,
  SERVICE_JWKS_CONFIGMAP,
  SERVICE_JWKS_KEY,
} from "./secret-contract";

export interface DevClusterSecrets {
  postgresPassword: string;
  /** Password per database role. */
  dbPasswords: Record<string, string>;
  redisPassword: string;
  /** user-service's key-encryption key: base64 of 32 bytes. */
  userKek: string;
}

const POSTGRES_HOST = `postgres.${NAMESPACE}.svc.cluster.local:5432`;
const REDIS_HOST = `redis.${NAMESPACE}.svc.cluster.local:6379`;

/** URL-safe, so it goes into connection URLs as is. */
const password = () => randomBytes(18).toString("base64url");

/** The values in `dir/secrets.json`, completed with new ones where missing. */
export function loadOrCreateSecrets(dir: string): DevClusterSecrets {
  const file = join(dir, "secrets.json");
  const existing: Partial<DevClusterSecrets> = existsSync(file)
    ? JSON.parse(readFileSync(file, "utf8"))
    : {};
  const secrets: DevClusterSecrets = {
    postgresPassword: existing.postgresPassword ?? password(),
    dbPasswords: { ...existing.dbPasswords },
    redisPassword: existing.redisPassword ?? password(),
    userKek: existing.userKek ?? randomBytes(32).toString("base64"),
  };
  for (const s of SERVICES) {
    if (s.database) secrets.dbPasswords[s.database.role] ??= password();
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

const secret = (name: string, stringData: Record<string, string>) => {
  const object = new Secret({
    metadata: { name, namespace: NAMESPACE, labels: { "app.kubernetes.io/part-of": "shop" } },
    type: "Opaque",
    stringData,
  });
  object.validate();
  return object.toJSON();
};

/** The Secrets and the service JWKS ConfigMap, as Kubernetes objects. */
export function clusterSecretObjects(
  secrets: DevClusterSecrets,
  keys: { privateKeys: Record<string, string>; jwks: string },
): object[] {
  const objects: object[] = [
    secret("postgres-admin", {
      password: secrets.postgresPassword,
      url: `postgres://postgres:${secrets.postgresPassword}@${POSTGRES_HOST}/postgres`,
    }),
    secret("redis", {
      password: secrets.redisPassword,
      url: `redis://:${secrets.redisPassword}@${REDIS_HOST}`,
    }),
    secret("user-service-kek", { kek: secrets.userKek }),
  ];
  for (const s of SERVICES) {
    if (s.database) {
      const pw = secrets.dbPasswords[s.database.role]!;
      objects.push(
        secret(databaseSecret(s.name), {
          url: `postgres://${s.database.role}:${pw}@${POSTGRES_HOST}/${s.database.name}`,
          password: pw,
        }),
      );
    }
    objects.push(secret(identitySecret(s.name), { [IDENTITY_KEY]: keys.privateKeys[s.name]! }));
  }
  const jwks = new ConfigMap({
    metadata: {
      name: SERVICE_JWKS_CONFIGMAP,
      namespace: NAMESPACE,
      labels: { "app.kubernetes.io/part-of": "shop" },
    },
    data: { [SERVICE_JWKS_KEY]: keys.jwks },
  });
  jwks.validate();
  objects.push(jwks.toJSON());
  return objects;
}

/** Generates what is missing in `dir` and writes `dir/secrets.yaml`; returns its path. */
export async function writeDevSecrets(dir: string): Promise<string> {
  const secrets = loadOrCreateSecrets(dir);
  const keysDir = join(dir, "service-keys");
  await ensureServiceKeys(keysDir);
  const privateKeys = Object.fromEntries(
    SERVICES.map((s) => [
      s.name,
      readFileSync(serviceKeyFiles(keysDir, s.name).privateKeyPath, "utf8"),
    ]),
  );
  const jwks = readFileSync(serviceKeyFiles(keysDir, "user-service").jwksPath, "utf8");
  const objects = clusterSecretObjects(secrets, { privateKeys, jwks });
  const out = join(dir, "secrets.yaml");
  writeFileSync(out, objects.map((o) => stringify(o)).join("---\n"), { mode: 0o600 });
  return out;
}
