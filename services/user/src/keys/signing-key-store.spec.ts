import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createPool } from "@shop/libs/db";
import { createLogger } from "@shop/libs/logging";
import type { ScratchDatabase } from "@shop/libs/testing";
import type { Pool } from "pg";
import { openUserDatabase } from "../commands/command-support";
import { scratchDatabase, testKek } from "../testing/user-service-under-test";
import { createJwksRoute } from "./jwks-route";
import { createKeyEncryption } from "./key-encryption";
import { createSigningKeyRepository } from "./signing-key-repository";
import { createSigningKeyStore } from "./signing-key-store";

const logger = createLogger({ service: "user-service", level: "silent" });
const encryption = createKeyEncryption({ current: Buffer.from(testKek(), "base64") });
const storeOn = (pool: Pool) =>
  createSigningKeyStore({
    repository: createSigningKeyRepository(pool),
    encryption,
    retentionMs: 60_000,
    refreshMs: 0,
    logger,
  });

/** Serves `route` on a free port and GETs it once. */
async function get(route: ReturnType<typeof createJwksRoute>) {
  const server = createServer((req, res) => void route(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: response.status, headers: response.headers, body: await response.text() };
  } finally {
    server.close();
  }
}

describe("the signing key store", () => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await scratchDatabase();
  });
  afterAll(() => database?.drop());

  it("answers 503 from the JWKS route until the keys can be read", async () => {
    // A database without user-service's tables, as before the first migration.
    const pool = createPool({ url: database.url, applicationName: "test", logger });
    try {
      const response = await get(createJwksRoute(storeOn(pool), logger));
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(response.headers.get("cache-control")).toBe("no-store");
    } finally {
      await pool.end();
    }
  });

  it("creates exactly one first key when many callers race", async () => {
    const pool = await openUserDatabase(database.url, logger);
    try {
      const created = await Promise.all(Array.from({ length: 5 }, () => storeOn(pool).ensureKey()));
      expect(created.filter(Boolean)).toHaveLength(1);
      const count = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM signing_keys");
      expect(count.rows[0]!.n).toBe("1");
      // With a key active, nothing more is created.
      expect(await storeOn(pool).ensureKey()).toBe(false);
    } finally {
      await pool.end();
    }
  });

  it("keeps signing and publishing with cached keys when the database goes away", async () => {
    const pool = await openUserDatabase(database.url, logger);
    const store = storeOn(pool);
    const key = await store.current();
    const jwks = await store.jwks();
    await pool.end();
    // refreshMs 0: every call re-reads, fails, and falls back to what it had.
    await expect(store.current()).resolves.toMatchObject({ kid: key.kid });
    await expect(store.jwks()).resolves.toEqual(jwks);
    // A store that never read the keys has nothing to fall back to.
    await expect(storeOn(pool).jwks()).rejects.toThrow();
  });
});
