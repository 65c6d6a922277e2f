/**
 * Refresh-token families (`refresh_sessions`) and their tokens (`refresh_tokens`).
 * Rotation locks the token and its family row, so two concurrent uses of one token are
 * serialised: one rotates, the other is a reuse.
 */
import { randomUUID } from "node:crypto";
import type { Role } from "@shop/libs/auth";
import { withTransaction } from "@shop/libs/db";
import type { Pool, PoolClient } from "pg";
import { type RefreshVerdict, refreshVerdict } from "../tokens/refresh-token";

export interface SessionRecord {
  readonly id: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** The outcome of presenting a refresh token; `userId` only when it was rotated. */
export type RotationOutcome =
  | { verdict: "valid"; userId: string; role: Role; sessionId: string }
  | { verdict: Exclude<RefreshVerdict, "valid">; sessionId?: string };

export interface SessionRepository {
  /**
   * Opens a family with its first token, in one statement (atomic on its own, one round
   * trip); `client` puts it into the caller's transaction.
   */
  open(userId: string, tokenHash: Buffer, expiresAt: Date, client?: PoolClient): Promise<string>;
  /**
   * Rotates `tokenHash` to `nextHash` if it is valid. A reuse revokes the family in the
   * same transaction, which commits: the revocation must stick although the call fails.
   */
  rotate(tokenHash: Buffer, nextHash: Buffer, expiresAt: Date): Promise<RotationOutcome>;
  listForUser(userId: string): Promise<SessionRecord[]>;
  /** Deletes families without a token that has not expired; returns how many. */
  pruneExpired(): Promise<number>;
}

export function createSessionRepository(pool: Pool): SessionRepository {
  const insertToken = (client: PoolClient, hash: Buffer, sessionId: string, expiresAt: Date) =>
    client.query(
      "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)",
      [hash, sessionId, expiresAt],
    );

  return {
    async open(userId, tokenHash, expiresAt, client) {
      const sessionId = randomUUID();
      await (client ?? pool).query(
        `WITH session AS (
           INSERT INTO refresh_sessions (id, user_id) VALUES ($1, $2) RETURNING id)
         INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
         SELECT $3, id, $4 FROM session`,
        [sessionId, userId, tokenHash, expiresAt],
      );
      return sessionId;
    },

    rotate(tokenHash, nextHash, expiresAt) {
      return withTransaction(pool, async (client) => {
        const found = await client.query<{
          session_id: string;
          user_id: string;
          role: Role;
          expires_at: Date;
          rotated_at: Date | null;
          revoked_at: Date | null;
        }>(
          `SELECT t.session_id, s.user_id, u.role, t.expires_at, t.rotated_at, s.revoked_at
             FROM refresh_tokens t
             JOIN refresh_sessions s ON s.id = t.session_id
             JOIN users u ON u.id = s.user_id
            WHERE t.token_hash = $1
              FOR UPDATE OF t, s`,
          [tokenHash],
        );
        const row = found.rows[0];
        const verdict = refreshVerdict(
          row && {
            expiresAt: row.expires_at,
            rotatedAt: row.rotated_at,
            sessionRevokedAt: row.revoked_at,
          },
          new Date(),
        );
        if (!row || verdict === "unknown") return { verdict: "unknown" };
        const sessionId = row.session_id;
        if (verdict === "reused") {
          await client.query(
            "UPDATE refresh_sessions SET revoked_at = now(), revoke_reason = 'reuse' WHERE id = $1",
            [sessionId],
          );
          return { verdict, sessionId };
        }
        if (verdict !== "valid") return { verdict, sessionId };
        await client.query("UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1", [
          tokenHash,
        ]);
        await client.query("UPDATE refresh_sessions SET last_used_at = now() WHERE id = $1", [
          sessionId,
        ]);
        await insertToken(client, nextHash, sessionId, expiresAt);
        return { verdict, sessionId, userId: row.user_id, role: row.role };
      });
    },

    async listForUser(userId) {
      const result = await pool.query<{
        id: string;
        created_at: Date;
        last_used_at: Date | null;
        revoked_at: Date | null;
      }>(
        `SELECT id, created_at, last_used_at, revoked_at
           FROM refresh_sessions WHERE user_id = $1 ORDER BY created_at, id`,
        [userId],
      );
      return result.rows.map((r) => ({
        id: r.id,
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
        revokedAt: r.revoked_at,
      }));
    },

    async pruneExpired() {
      const result = await pool.query(
        `DELETE FROM refresh_sessions s
          WHERE NOT EXISTS (
            SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.expires_at > now())`,
      );
      return result.rowCount ?? 0;
    },
  };
}
