import { randomBytes } from "node:crypto";
import { createKeyEncryption, kekId } from "./key-encryption";

describe("key encryption", () => {
  const kek = randomBytes(32);
  const secret = Buffer.from("a private key, in DER");

  it("seals under the current KEK and opens what it sealed", () => {
    const encryption = createKeyEncryption({ current: kek });
    const sealed = encryption.seal(secret, "signing key k1");
    expect(sealed.kekId).toBe(kekId(kek));
    expect(sealed.kekId).toMatch(/^kek-[0-9a-f]{16}$/);
    expect(sealed.ciphertext.includes(secret)).toBe(false);
    expect(encryption.open(sealed, "signing key k1")).toEqual(secret);
    // A fresh nonce each time: the same plaintext never seals the same way twice.
    expect(encryption.seal(secret, "signing key k1").ciphertext).not.toEqual(sealed.ciphertext);
  });

  it("refuses a value moved to another row, altered, or truncated", () => {
    const encryption = createKeyEncryption({ current: kek });
    const sealed = encryption.seal(secret, "signing key k1");
    expect(() => encryption.open(sealed, "signing key k2")).toThrow(/cannot be unsealed/);
    const altered = Buffer.from(sealed.ciphertext);
    altered[0] = altered[0]! ^ 1;
    expect(() => encryption.open({ ...sealed, ciphertext: altered }, "signing key k1")).toThrow(
      /altered or wrong key/,
    );
    expect(() =>
      encryption.open({ ...sealed, ciphertext: Buffer.alloc(3) }, "signing key k1"),
    ).toThrow(/too short/);
  });

  it("opens values of a previous KEK and names an unknown one", () => {
    const old = createKeyEncryption({ current: kek });
    const sealed = old.seal(secret, "signing key k1");
    const next = createKeyEncryption({ current: randomBytes(32), previous: [kek] });
    expect(next.currentKekId).not.toBe(sealed.kekId);
    expect(next.open(sealed, "signing key k1")).toEqual(secret);
    const stranger = createKeyEncryption({ current: randomBytes(32) });
    expect(() => stranger.open(sealed, "signing key k1")).toThrow(
      new RegExp(`sealed with ${sealed.kekId}, which is neither USER_KEK`),
    );
  });

  it("derives distinct, stable keys per purpose", () => {
    const a = createKeyEncryption({ current: kek });
    const b = createKeyEncryption({ current: kek });
    expect(a.deriveKey("throttle")).toEqual(b.deriveKey("throttle"));
    expect(a.deriveKey("throttle")).not.toEqual(a.deriveKey("other"));
    expect(a.deriveKey("throttle")).toHaveLength(32);
  });
});
