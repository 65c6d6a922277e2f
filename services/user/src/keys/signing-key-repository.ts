/**
 * The `signing_keys` table: access-token signing keys shared by every replica, the
 * private half sealed (see key-encryption.ts).
 */
import { withTransaction } from "@shop/libs/db";
import type { Pool, PoolClient } from "pg";
import type { SealedValue } from "./key-encryption";

/** The public half as the JWKS publishes it (RFC 8037 OKP key). */
export interface PublicJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
  readonly kid: string;
  readonly alg: "EdDSA";
  readonly use: "sig";
}

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: "EdDSA";
  readonly publicJwk: PublicJwk;
  readonly sealed: SealedValue;
  readonly createdAt: Date;
  readonly activatesAt: Date;
}

export interface SigningKeyRepository {
  list(client?: PoolClient): Promise<SigningKeyRow[]>;
  insert(row: SigningKeyRow, client?: PoolClient): Promise<void>;
  delete(kids: readonly string[]): Promise<number>;
  /**
   * Runs `fn` in a transaction holding the key-creation advisory lock, so replicas
   * starting together on an empty table create one key, not one each.
   */
  withCreationLock<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

// Arbitrary, fixed: "userkeys" in ASCII. Distinct from libs' migration lock.
const CREATION_LOCK_KEY = "8463219666861783411";

const COLUMNS =
  "kid, alg, public_jwk, kek_id, private_key_nonce, private_key_ciphertext, created_at, activates_at";

interface Row {
  kid: string;
  alg: "EdDSA";
  public_jwk: PublicJwk;
  kek_id: string;
  private_key_nonce: Buffer;
  private_key_ciphertext: Buffer;
  created_at: Date;
  activates_at: Date;
}

function fromRow(row: Row): SigningKeyRow {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    sealed: {
      kekId: row.kek_id,
      nonce: row.private_key_nonce,
      ciphertext: row.private_key_ciphertext,
    },
    createdAt: row.created_at,
    activatesAt: row.activates_at,
  };
}

export function createSigningKeyRepository(pool: Pool): SigningKeyRepository {
  return {
    async list(client) {
      const result = await (client ?? pool).query<Row>(
        `SELECT ${COLUMNS} FROM signing_keys ORDER BY activates_at, created_at, kid`,
      );
      return result.rows.map(fromRow);
    },
    async insert(row, client) {
      await (client ?? pool).query(
        `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          row.kid,
          row.alg,
          JSON.stringify(row.publicJwk),
          row.sealed.kekId,
          row.sealed.nonce,
          row.sealed.ciphertext,
          row.createdAt,
          row.activatesAt,
        ],
      );
    },
    async delete(kids) {
      if (kids.length === 0) return 0;
      const result = await pool.query("DELETE FROM signing_keys WHERE kid = ANY($1::text[])", [
        [...kids],
      ]);
      return result.rowCount ?? 0;
    },
    withCreationLock(fn) {
      return withTransaction(pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [CREATION_LOCK_KEY]);
        return fn(client);
      });
    },
  };
}
