import { parseOptions } from "@node-rs/argon2";
import { createPasswordHasher, OWASP_ARGON2ID } from "./password-hasher";

describe("createPasswordHasher", () => {
  it("hashes with argon2id at OWASP's parameters and a fresh salt", async () => {
    const hasher = await createPasswordHasher();
    const hash = await hasher.hash("secure123");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(parseOptions(hash)).toMatchObject({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(await hasher.hash("secure123")).not.toBe(hash);
    expect(hasher.params).toEqual(OWASP_ARGON2ID);
  });

  it("verifies the right password only, and never without a stored hash", async () => {
    const hasher = await createPasswordHasher();
    const hash = await hasher.hash("secure123");
    expect(await hasher.verify(hash, "secure123")).toBe(true);
    expect(await hasher.verify(hash, "secure124")).toBe(false);
    expect(await hasher.verify(undefined, "secure123")).toBe(false);
    expect(await hasher.verify("not a hash", "secure123")).toBe(false);
  });

  it("treats composed and decomposed forms of a character as the same password", async () => {
    const hasher = await createPasswordHasher();
    const hash = await hasher.hash("caf\u00e9-latte");
    expect(await hasher.verify(hash, "cafe\u0301-latte")).toBe(true);
  });

  it("asks for a rehash when the parameters changed", async () => {
    const weak = await createPasswordHasher({ memoryKib: 7168, iterations: 5, parallelism: 1 });
    const strong = await createPasswordHasher();
    const weakHash = await weak.hash("secure123");
    expect(strong.needsRehash(weakHash)).toBe(true);
    expect(strong.needsRehash(await strong.hash("secure123"))).toBe(false);
    expect(strong.needsRehash("$2b$10$bcrypt.hash.from.elsewhere")).toBe(true);
    expect(strong.needsRehash("$argon2id$garbage")).toBe(true);
    // The old hash still verifies: the upgrade happens at the next login.
    expect(await strong.verify(weakHash, "secure123")).toBe(true);
  });

  it("stops when the call is cancelled", async () => {
    const hasher = await createPasswordHasher();
    const hash = await hasher.hash("secure123");
    const aborted = AbortSignal.abort();
    await expect(hasher.verify(hash, "secure123", aborted)).rejects.toThrow();
    await expect(hasher.hash("secure123", aborted)).rejects.toThrow();
  });
});
