/**
 * The access-token signing keys as the service uses them: the current private key to
 * sign with and the public keys to publish, read from the database and cached for
 * `refreshMs`, so a key rotated in by the command (or another replica) is picked up
 * without a restart. Which key is current and which are published is decided by
 * keySchedule at every call, so a pre-published key takes over at its activation time
 * even between two reads.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import { keySchedule } from "../domain/signing-key-schedule";
import type { KeyEncryption } from "./key-encryption";
import type { PublicJwk, SigningKeyRepository, SigningKeyRow } from "./signing-key-repository";

/** A private key ready to sign with. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: "EdDSA";
  readonly privateKey: KeyObject;
}

export type KeyState = "upcoming" | "current" | "retired" | "expired";

export interface SigningKeyStore {
  /** The key to sign with now; creates the first one when the table is empty. */
  current(): Promise<SigningKey>;
  /** The JWKS document: upcoming, current and not yet expired retired keys. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** Creates a key active now unless one is, under a lock shared by all replicas. */
  ensureKey(): Promise<boolean>;
  /** Adds a new key that becomes current at `activateAt` (default now). */
  rotate(activateAt?: Date): Promise<{ kid: string; activatesAt: Date }>;
  /** Deletes retired keys whose tokens have all expired; returns their kids. */
  prune(): Promise<string[]>;
  /** Every key in the table with its state, for the rotation command. */
  list(): Promise<{ kid: string; activatesAt: Date; createdAt: Date; state: KeyState }[]>;
}

export interface SigningKeyStoreOptions {
  repository: SigningKeyRepository;
  encryption: KeyEncryption;
  /** How long a retired key stays published (see keySchedule). */
  retentionMs: number;
  /** How long the keys read from the database are reused. */
  refreshMs: number;
  logger: Logger;
  now?: () => Date;
}

/** A fresh Ed25519 key pair, its private half sealed under the current KEK. */
export function generateSigningKey(encryption: KeyEncryption, activatesAt: Date): SigningKeyRow {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const date = activatesAt.toISOString().slice(0, 10).replaceAll("-", "");
  const kid = `${date}-${randomBytes(6).toString("hex")}`;
  const { x } = publicKey.export({ format: "jwk" });
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  return {
    kid,
    alg: "EdDSA",
    publicJwk: { kty: "OKP", crv: "Ed25519", x: x!, kid, alg: "EdDSA", use: "sig" },
    sealed: encryption.seal(der, sealContext(kid)),
    createdAt: new Date(),
    activatesAt,
  };
}

/** What a sealed key is bound to: its row's kid. */
function sealContext(kid: string): string {
  return `signing key ${kid}`;
}

export function createSigningKeyStore(options: SigningKeyStoreOptions): SigningKeyStore {
  const { repository, encryption, retentionMs, refreshMs, logger } = options;
  const now = options.now ?? (() => new Date());
  const privateKeys = new Map<string, KeyObject>();
  let cache: { rows: SigningKeyRow[]; loadedAt: number } | undefined;
  let loading: Promise<SigningKeyRow[]> | undefined;

  const load = (force = false): Promise<SigningKeyRow[]> => {
    if (!force && cache && Date.now() - cache.loadedAt < refreshMs) {
      return Promise.resolve(cache.rows);
    }
    loading ??= repository
      .list()
      .then((rows) => {
        cache = { rows, loadedAt: Date.now() };
        return rows;
      })
      .catch((error: unknown) => {
        if (!cache) throw error;
        // Stale keys keep signing through a database blip; retried after refreshMs.
        logger.warn({ err: error }, "cannot re-read signing keys; using the cached ones");
        cache = { rows: cache.rows, loadedAt: Date.now() };
        return cache.rows;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  const unseal = (row: SigningKeyRow): SigningKey => {
    let privateKey = privateKeys.get(row.kid);
    if (!privateKey) {
      const der = encryption.open(row.sealed, sealContext(row.kid));
      privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      privateKeys.set(row.kid, privateKey);
    }
    return { kid: row.kid, alg: row.alg, privateKey };
  };

  const store: SigningKeyStore = {
    async current() {
      let schedule = keySchedule(await load(), now(), retentionMs);
      if (!schedule.current) {
        await store.ensureKey();
        schedule = keySchedule(await load(true), now(), retentionMs);
      }
      if (!schedule.current) {
        throw new ServiceError(Code.UNAVAILABLE, "no signing key is active");
      }
      return unseal(schedule.current);
    },
    async jwks() {
      const { published } = keySchedule(await load(), now(), retentionMs);
      return { keys: published.map((row) => row.publicJwk) };
    },
    ensureKey() {
      return repository.withCreationLock(async (client) => {
        const at = now();
        if (keySchedule(await repository.list(client), at, retentionMs).current) return false;
        const row = generateSigningKey(encryption, at);
        await repository.insert(row, client);
        logger.info(
          { kid: row.kid, sealedWith: row.sealed.kekId },
          "created the first signing key",
        );
        return true;
      });
    },
    async rotate(activateAt = now()) {
      const row = generateSigningKey(encryption, activateAt);
      await repository.insert(row);
      cache = undefined;
      logger.info({ kid: row.kid, activatesAt: row.activatesAt }, "signing key added");
      return { kid: row.kid, activatesAt: row.activatesAt };
    },
    async prune() {
      const { expired } = keySchedule(await load(true), now(), retentionMs);
      const kids = expired.map((row) => row.kid);
      await repository.delete(kids);
      for (const kid of kids) privateKeys.delete(kid);
      cache = undefined;
      return kids;
    },
    async list() {
      const rows = await load(true);
      const schedule = keySchedule(rows, now(), retentionMs);
      const at = now().getTime();
      return rows.map((row) => ({
        kid: row.kid,
        activatesAt: row.activatesAt,
        createdAt: row.createdAt,
        state:
          row === schedule.current
            ? "current"
            : schedule.expired.includes(row)
              ? "expired"
              : row.activatesAt.getTime() > at
                ? "upcoming"
                : "retired",
      }));
    },
  };
  return store;
}
