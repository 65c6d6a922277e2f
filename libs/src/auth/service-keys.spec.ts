import { mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../config";
import { SERVICES } from "../mesh";
import { ensureServiceKeys, loadServiceKeys, serviceKeyFiles } from "./service-keys";

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files = [...SERVICES.map((s) => `${s.name}.key.pem`), "service-jwks.json"];
  const entries = await Promise.all(
    files.map(async (f) => [f, await readFile(join(dir, f), "utf8")] as const),
  );
  return Object.fromEntries(entries);
}

async function configError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("service keys on disk", () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "service-keys-")), "keys");
  });
  afterEach(() => rm(join(dir, ".."), { recursive: true, force: true }));

  it("creates one private key per service (0600) and a JWKS of their public keys", async () => {
    await ensureServiceKeys(dir);
    const { jwksPath } = serviceKeyFiles(dir, "user-service");
    const jwks = JSON.parse(await readFile(jwksPath, "utf8"));
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(SERVICES.map((s) => s.name));
    for (const key of jwks.keys) {
      expect(key).toEqual({
        kty: "OKP",
        crv: "Ed25519",
        x: expect.any(String),
        kid: key.kid,
        alg: "EdDSA",
        use: "sig",
      });
    }
    for (const { name } of SERVICES) {
      const { privateKeyPath } = serviceKeyFiles(dir, name);
      expect((await stat(privateKeyPath)).mode & 0o777).toBe(0o600);
      expect(await readFile(privateKeyPath, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
  });

  it("is idempotent: existing keys are kept, a missing one is added", async () => {
    await ensureServiceKeys(dir);
    const first = await snapshot(dir);
    await ensureServiceKeys(dir);
    expect(await snapshot(dir)).toEqual(first);

    await unlink(serviceKeyFiles(dir, "order-service").privateKeyPath);
    await ensureServiceKeys(dir);
    const third = await snapshot(dir);
    expect(third["user-service.key.pem"]).toBe(first["user-service.key.pem"]);
    expect(third["order-service.key.pem"]).not.toBe(first["order-service.key.pem"]);
    expect(third["service-jwks.json"]).not.toBe(first["service-jwks.json"]);
  });

  it("loads a service's keys, naming the path of a missing or malformed file", async () => {
    await ensureServiceKeys(dir);
    const paths = serviceKeyFiles(dir, "product-service");
    const keys = await loadServiceKeys(paths);
    expect(keys.privateKey).toBe(await readFile(paths.privateKeyPath, "utf8"));
    expect(keys.jwks.keys).toHaveLength(SERVICES.length);

    const missing = join(dir, "absent.key.pem");
    expect(await configError(loadServiceKeys({ ...paths, privateKeyPath: missing }))).toContain(
      `${missing}: file not found`,
    );
    const badPem = join(dir, "bad.key.pem");
    await writeFile(badPem, "not a key");
    expect(await configError(loadServiceKeys({ ...paths, privateKeyPath: badPem }))).toContain(
      `${badPem}: not a PEM private key`,
    );
    const badJson = join(dir, "bad.json");
    await writeFile(badJson, "{");
    expect(await configError(loadServiceKeys({ ...paths, jwksPath: badJson }))).toContain(
      `${badJson}: not valid JSON`,
    );
    await writeFile(badJson, '{"keys": "none"}');
    expect(await configError(loadServiceKeys({ ...paths, jwksPath: badJson }))).toContain(
      `${badJson}: expected a JWKS`,
    );
  });

  it("refuses to build a JWKS over a corrupt key file", async () => {
    await ensureServiceKeys(dir);
    const { privateKeyPath } = serviceKeyFiles(dir, "api-gateway");
    await writeFile(privateKeyPath, "garbage");
    expect(await configError(ensureServiceKeys(dir))).toContain(privateKeyPath);
  });
});
