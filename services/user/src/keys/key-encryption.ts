/**
 * Envelope encryption of the signing keys' private halves: AES-256-GCM under a
 * key-encryption key (KEK) from the environment, so the database alone (a backup, a
 * replica, a leaked dump) never yields a key that can mint tokens.
 *
 * Each sealed value records the id of the KEK that sealed it, so the KEK can be rotated:
 * set the new one as USER_KEK and the old one in USER_KEK_PREVIOUS, rotate the signing
 * keys, and drop the old KEK once the keys it sealed have expired. The id is a
 * fingerprint of the KEK (a truncated SHA-256 with a domain prefix), which reveals
 * nothing about the key and needs no extra variable.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A value sealed under a KEK; `ciphertext` ends with the 16-byte GCM tag. */
export interface SealedValue {
  readonly kekId: string;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
}

export interface KeyEncryption {
  /** The id of the KEK new values are sealed with. */
  readonly currentKekId: string;
  /** Seals `plaintext`, bound to `context` (e.g. the kid): a row copied elsewhere fails. */
  seal(plaintext: Buffer, context: string): SealedValue;
  /** Opens a sealed value; throws when its KEK is not configured or it was tampered with. */
  open(sealed: SealedValue, context: string): Buffer;
  /** A 32-byte key derived from the current KEK for `purpose` (HKDF-SHA256). */
  deriveKey(purpose: string): Buffer;
}

/** The public fingerprint of a KEK. */
export function kekId(kek: Buffer): string {
  const digest = createHash("sha256").update("shop/user-service/kek-id\0").update(kek);
  return `kek-${digest.digest("hex").slice(0, 16)}`;
}

export function createKeyEncryption(options: {
  current: Buffer;
  previous?: readonly Buffer[];
}): KeyEncryption {
  const keys = new Map<string, Buffer>();
  for (const key of [options.current, ...(options.previous ?? [])]) keys.set(kekId(key), key);
  const currentKekId = kekId(options.current);

  return {
    currentKekId,
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", options.current, nonce);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { kekId: currentKekId, nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
    },
    open(sealed, context) {
      const key = keys.get(sealed.kekId);
      if (!key) {
        throw new Error(
          `${context} is sealed with ${sealed.kekId}, which is neither USER_KEK ` +
            `(${currentKekId}) nor in USER_KEK_PREVIOUS`,
        );
      }
      if (sealed.ciphertext.length < TAG_BYTES)
        throw new Error(`${context}: sealed value too short`);
      const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(sealed.ciphertext.subarray(-TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(sealed.ciphertext.subarray(0, -TAG_BYTES)),
          decipher.final(),
        ]);
      } catch (cause) {
        throw new Error(
          `${context} cannot be unsealed with ${sealed.kekId}: altered or wrong key`,
          {
            cause,
          },
        );
      }
    },
    deriveKey(purpose) {
      return Buffer.from(hkdfSync("sha256", options.current, Buffer.alloc(0), purpose, 32));
    },
  };
}
