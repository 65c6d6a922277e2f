/**
 * The `users` table and the tombstones of erased accounts (`deleted_users`).
 * Accounts are looked up by lower(email), the key of the unique index.
 */
import type { Role } from "@shop/libs/auth";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Pool, PoolClient } from "pg";

export interface UserRecord {
  readonly id: string;
  /** Normalised: trimmed, domain lower-cased. */
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
}

export interface UserRepository {
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /** Inserts in the caller's transaction; ALREADY_EXISTS (field email) when taken. */
  insert(client: PoolClient, user: NewUser): Promise<UserRecord>;
  /** Replaces the hash if it is still `previous` (a concurrent change wins). */
  replacePasswordHash(id: string, previous: string, next: string): Promise<boolean>;
  /**
   * Erases the account in the caller's transaction if its hash is still
   * `expectedHash`: deletes the row (its sessions and tokens cascade) and leaves a
   * tombstone of id and time. Resolves the deletion time, or undefined when the account
   * is gone or its password changed meanwhile.
   */
  erase(client: PoolClient, id: string, expectedHash: string): Promise<Date | undefined>;
}

const COLUMNS = "id, email, name, role, password_hash, created_at, updated_at";

interface Row {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

function fromRow(row: Row): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** ALREADY_EXISTS naming the field, without the address (it is personal data). */
export function emailTaken(cause?: unknown): ServiceError {
  return new ServiceError(Code.ALREADY_EXISTS, "an account with this email already exists", {
    cause,
    fieldViolations: [{ field: "email", description: "is already registered" }],
    reason: "EMAIL_TAKEN",
  });
}

export function createUserRepository(pool: Pool): UserRepository {
  return {
    async findById(id) {
      const result = await pool.query<Row>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return result.rows[0] && fromRow(result.rows[0]);
    },
    async findByEmail(email) {
      const result = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`,
        [email],
      );
      return result.rows[0] && fromRow(result.rows[0]);
    },
    async insert(client, user) {
      try {
        const result = await client.query<Row>(
          `INSERT INTO users (id, email, name, role, password_hash)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
          [user.id, user.email, user.name, user.role, user.passwordHash],
        );
        return fromRow(result.rows[0]!);
      } catch (error) {
        if ((error as { code?: string }).code === "23505") throw emailTaken(error);
        throw error;
      }
    },
    async replacePasswordHash(id, previous, next) {
      const result = await pool.query(
        `UPDATE users SET password_hash = $3, updated_at = now()
          WHERE id = $1 AND password_hash = $2`,
        [id, previous, next],
      );
      return result.rowCount === 1;
    },
    async erase(client, id, expectedHash) {
      const deleted = await client.query("DELETE FROM users WHERE id = $1 AND password_hash = $2", [
        id,
        expectedHash,
      ]);
      if (deleted.rowCount !== 1) return undefined;
      const tombstone = await client.query<{ deleted_at: Date }>(
        "INSERT INTO deleted_users (id, deleted_at) VALUES ($1, now()) RETURNING deleted_at",
        [id],
      );
      return tombstone.rows[0]!.deleted_at;
    },
  };
}
