import { randomBytes } from "node:crypto";
import { createAccessTokenVerifier } from "@shop/libs/auth";
import { createLogger } from "@shop/libs/logging";
import type { ScratchDatabase } from "@shop/libs/testing";
import { decodeProtectedHeader } from "jose";
import { rotateKeys } from "../commands/rotate-keys";
import {
  scratchDatabase,
  signedInAs,
  startUserServiceUnderTest,
  testKek,
  type UserServiceUnderTest,
  uniqueEmail,
} from "../testing/user-service-under-test";
import { parseUserConfig } from "../user-config";
import { keyRetentionMs } from "../user-service";
import { createKeyEncryption } from "./key-encryption";
import { createSigningKeyRepository } from "./signing-key-repository";
import { createSigningKeyStore } from "./signing-key-store";

type Jwks = {
  keys: { kid: string; kty: string; crv: string; x: string; alg: string; use: string }[];
};

describe("signing keys shared by replicas, rotation and the JWKS", () => {
  let database: ScratchDatabase;
  let replicas: UserServiceUnderTest[] = [];
  const kek = testKek();
  const settings = { USER_KEK: kek, SIGNING_KEY_REFRESH: "0ms" };
  const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
  const jwksOf = async (sut: UserServiceUnderTest) => {
    const response = await fetch(sut.jwksUrl);
    return { response, body: (await response.json()) as Jwks };
  };
  const kidsIn = async (sut: UserServiceUnderTest) =>
    (await jwksOf(sut)).body.keys.map((k) => k.kid).sort();
  const rows = async () =>
    (
      await replicas[0]!.service.runtime.pool!.query<{ kid: string }>(
        "SELECT kid FROM signing_keys ORDER BY activates_at",
      )
    ).rows.map((r) => r.kid);

  beforeAll(async () => {
    database = await scratchDatabase();
    // Two replicas starting together on an empty database create one key between them.
    replicas = await Promise.all([
      startUserServiceUnderTest(database.url, settings),
      startUserServiceUnderTest(database.url, settings),
    ]);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await database?.drop();
  });

  it("serves one shared key as a JWKS with a short cache lifetime", async () => {
    expect(await rows()).toHaveLength(1);
    const { response, body } = await jwksOf(replicas[0]!);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    expect(body.keys).toEqual([
      {
        kid: (await rows())[0],
        kty: "OKP",
        crv: "Ed25519",
        x: expect.any(String),
        alg: "EdDSA",
        use: "sig",
      },
    ]);
    expect(await jwksOf(replicas[1]!)).toMatchObject({ body });
    const head = await fetch(replicas[0]!.jwksUrl, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("keeps old tokens valid across a rotation and verifies new ones through the JWKS", async () => {
    const [a, b] = replicas as [UserServiceUnderTest, UserServiceUnderTest];
    const email = uniqueEmail();
    const before = await a.client.register({ email, password: "secure123", name: "" });
    const oldKid = kidOf(before.accessToken);
    // A verifier that has seen only the old key, like a gateway running since before.
    const gateway = createAccessTokenVerifier({
      jwksUrl: a.jwksUrl,
      issuer: "user-service",
      audience: "shop-api",
    });
    await gateway.verify(before.accessToken);

    const printed: string[] = [];
    const rotated = await rotateKeys({
      args: ["--activate-in", "0s"],
      env: a.env,
      out: (line) => printed.push(line),
    });
    expect(rotated.kid).not.toBe(oldKid);
    expect(printed[0]).toMatch(new RegExp(`^added signing key ${rotated.kid}, signing from`));
    expect(printed.join("\n")).toMatch(new RegExp(`${rotated.kid}\\s+current`));
    expect(printed.join("\n")).toMatch(new RegExp(`${oldKid}\\s+retired`));

    // Both replicas sign with the new key and publish both.
    const after = await b.client.login({ email, password: "secure123" });
    expect(kidOf(after.accessToken)).toBe(rotated.kid);
    expect(kidOf((await a.client.login({ email, password: "secure123" })).accessToken)).toBe(
      rotated.kid,
    );
    for (const replica of replicas) {
      expect(await kidsIn(replica)).toEqual([oldKid, rotated.kid].sort());
    }
    // The running verifier learns the new key from the JWKS; old tokens still pass.
    await expect(gateway.verify(after.accessToken)).resolves.toMatchObject({
      userId: before.user!.id,
    });
    await expect(gateway.verify(before.accessToken)).resolves.toBeDefined();
    // So does the services' own verifier, on either replica, for either token.
    for (const replica of replicas) {
      for (const token of [before.accessToken, after.accessToken]) {
        const me = await replica.client.getMe({}, signedInAs({ accessToken: token }));
        expect(me.user?.id).toBe(before.user!.id);
      }
    }

    // Once every token of the old key has expired, it leaves the JWKS and is deleted.
    const retention = keyRetentionMs(parseUserConfig(a.env));
    const later = createSigningKeyStore({
      repository: createSigningKeyRepository(a.service.runtime.pool!),
      encryption: createKeyEncryption({ current: Buffer.from(kek, "base64") }),
      retentionMs: retention,
      refreshMs: 0,
      logger: createLogger({ service: "user-service", level: "silent" }),
      now: () => new Date(rotated.activatesAt!.getTime() + retention + 1),
    });
    expect((await later.jwks()).keys.map((k) => k.kid)).toEqual([rotated.kid]);
    expect(await later.prune()).toEqual([oldKid]);
    expect(await rows()).toEqual([rotated.kid]);
  });

  it("publishes a pre-announced key before it signs", async () => {
    const [a] = replicas as [UserServiceUnderTest];
    const current = (await rows()).at(-1)!;
    const upcoming = await rotateKeys({
      args: ["--activate-in", "10m"],
      env: a.env,
      out: () => {},
    });
    expect(await kidsIn(a)).toContain(upcoming.kid);
    const { accessToken } = await a.client.register({
      email: uniqueEmail(),
      password: "secure123",
      name: "",
    });
    expect(kidOf(accessToken)).toBe(current);

    const listed: string[] = [];
    await rotateKeys({ args: ["--list"], env: a.env, out: (line) => listed.push(line) });
    expect(listed.join("\n")).toMatch(new RegExp(`${upcoming.kid}\\s+upcoming`));
    await expect(
      rotateKeys({ args: ["--activate-in", "soon"], env: a.env, out: () => {} }),
    ).rejects.toThrow(/--activate-in/);
  });

  it("refuses to start with a KEK that cannot unseal the keys, and accepts it as previous", async () => {
    await expect(startUserServiceUnderTest(database.url, { USER_KEK: testKek() })).rejects.toThrow(
      /neither USER_KEK .* nor in USER_KEK_PREVIOUS/,
    );

    // KEK rotation: the new KEK seals new keys, the old one still unseals the current key.
    const rotatedKek = await startUserServiceUnderTest(database.url, {
      USER_KEK: randomBytes(32).toString("base64"),
      USER_KEK_PREVIOUS: kek,
    });
    try {
      const { accessToken } = await rotatedKek.client.register({
        email: uniqueEmail(),
        password: "secure123",
        name: "",
      });
      expect((await kidsIn(rotatedKek)).includes(kidOf(accessToken))).toBe(true);
    } finally {
      await rotatedKek.stop();
    }
  });

  it("keeps the private halves sealed at rest", async () => {
    const pool = replicas[0]!.service.runtime.pool!;
    const encryption = createKeyEncryption({ current: Buffer.from(kek, "base64") });
    const sealed = await createSigningKeyRepository(pool).list();
    for (const row of sealed) {
      const der = encryption.open(row.sealed, `signing key ${row.kid}`);
      expect(row.sealed.ciphertext.includes(der.subarray(-32))).toBe(false);
      expect(JSON.stringify(row.publicJwk)).not.toMatch(/"d"/);
    }
  });
});
