import { createHash } from "node:crypto";
import { Role } from "@shop/gen/ts/shop/user/v1/user";
import { Code } from "@shop/libs/errors";
import type { ScratchDatabase } from "@shop/libs/testing";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { createSessionRepository } from "../adapters/session-repository";
import { createPasswordHasher } from "../domain/password-hasher";
import {
  rejection,
  scratchDatabase,
  signedInAs,
  startUserServiceUnderTest,
  type UserServiceUnderTest,
  uniqueEmail,
} from "../testing/user-service-under-test";

describe("accounts and sign-in over gRPC", () => {
  let database: ScratchDatabase;
  let sut: UserServiceUnderTest;
  const query = <R extends object>(sql: string, params: unknown[] = []) =>
    sut.service.runtime.pool!.query<R>(sql, params).then((r) => r.rows);

  beforeAll(async () => {
    database = await scratchDatabase();
    sut = await startUserServiceUnderTest(database.url);
  });
  afterAll(async () => {
    await sut?.stop();
    await database?.drop();
  });

  it("registers, logs in, refreshes, and revokes a family when a rotated token returns", async () => {
    const email = uniqueEmail("Alice");
    const registered = await sut.client.register({
      email: `  ${email.replace("example.com", "EXAMPLE.com")} `,
      password: "secure123",
      name: " Alice ",
    });
    const user = registered.user!;
    expect(user).toMatchObject({ email, name: "Alice", role: Role.ROLE_CUSTOMER });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(registered).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });

    const claims = decodeJwt(registered.accessToken);
    expect(claims).toEqual({
      sub: user.id,
      role: "customer",
      iss: "user-service",
      aud: "shop-api",
      iat: expect.any(Number),
      exp: claims.iat! + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const header = decodeProtectedHeader(registered.accessToken);
    expect(header).toEqual({ alg: "EdDSA", typ: "JWT", kid: expect.any(String) });
    const jwks = (await (await fetch(sut.jwksUrl)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);

    // The service verifies its own token through libs' verifier and its own JWKS.
    const me = await sut.client.getMe({}, signedInAs(registered));
    expect(me.user).toEqual(user);

    // Addresses compare without regard to case.
    const login = await sut.client.login({ email: email.toUpperCase(), password: "secure123" });
    expect(login.user).toEqual(user);
    expect(decodeJwt(login.accessToken).jti).not.toBe(claims.jti);

    const first = await sut.client.refreshToken({ refreshToken: login.refreshToken });
    expect(first).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect(first.refreshToken).not.toBe(login.refreshToken);
    expect(decodeJwt(first.accessToken).sub).toBe(user.id);
    const second = await sut.client.refreshToken({ refreshToken: first.refreshToken });

    const reuse = await rejection(sut.client.refreshToken({ refreshToken: login.refreshToken }));
    expect(reuse.code).toBe(Code.UNAUTHENTICATED);
    expect(reuse.reason).toBe("REFRESH_TOKEN_REUSED");
    // The reuse revoked the family: its newest token is dead too.
    const newest = await rejection(sut.client.refreshToken({ refreshToken: second.refreshToken }));
    expect(newest.code).toBe(Code.UNAUTHENTICATED);
    expect(newest.reason).toBe("REFRESH_TOKEN_REVOKED");
    // Another sign-in (register's family) is untouched.
    await expect(
      sut.client.refreshToken({ refreshToken: registered.refreshToken }),
    ).resolves.toMatchObject({ tokenType: "Bearer" });

    const sessions = await query<{ revoke_reason: string | null; tokens: string }>(
      `SELECT s.revoke_reason, count(t.*)::text AS tokens
         FROM refresh_sessions s JOIN refresh_tokens t ON t.session_id = s.id
        WHERE s.user_id = $1 GROUP BY s.id, s.created_at ORDER BY s.created_at`,
      [user.id],
    );
    expect(sessions).toEqual([
      { revoke_reason: null, tokens: "2" },
      { revoke_reason: "reuse", tokens: "3" },
    ]);
    // Only SHA-256 digests of refresh tokens are stored.
    const digest = createHash("sha256").update(second.refreshToken).digest();
    const stored = await query<{ token_hash: Buffer }>(
      "SELECT token_hash FROM refresh_tokens WHERE token_hash = $1",
      [digest],
    );
    expect(stored).toHaveLength(1);
    const raw = await query("SELECT 1 FROM refresh_tokens WHERE token_hash = $1", [
      Buffer.from(second.refreshToken),
    ]);
    expect(raw).toHaveLength(0);
  });

  it("stores an argon2id hash, never the password", async () => {
    const email = uniqueEmail();
    const { user } = await sut.client.register({ email, password: "secure123", name: "" });
    const [row] = await query<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = $1",
      [user!.id],
    );
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row!.password_hash).not.toContain("secure123");
  });

  it("refuses a taken address, whatever its case, and decides a race by the index", async () => {
    const email = uniqueEmail();
    await sut.client.register({ email, password: "secure123", name: "" });
    const duplicate = await rejection(
      sut.client.register({ email: email.toUpperCase(), password: "another-pass1", name: "" }),
    );
    expect(duplicate.code).toBe(Code.ALREADY_EXISTS);
    expect(duplicate.fieldViolations).toEqual([
      { field: "email", description: "is already registered" },
    ]);
    expect(duplicate.message).not.toContain(email);

    const racing = uniqueEmail();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => sut.client.register({ email: racing, password: "secure123", name: "" })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason.code).toBe(Code.ALREADY_EXISTS);
    }
  });

  it.each([
    [{ email: "", password: "secure123", name: "" }, ["email"]],
    [{ email: "not-an-address", password: "secure123", name: "" }, ["email"]],
    [{ email: "x@y", password: "short", name: "n".repeat(101) }, ["email", "password", "name"]],
    [{ email: "NEW", password: "password123", name: "" }, ["password"]],
    [{ email: "NEW", password: "", name: "" }, ["password"]],
    [{ email: "NEW", password: "secure123", name: "Eve\u0000" }, ["name"]],
    [{ email: "NEW", password: "secure\u0000123", name: "" }, ["password"]],
  ])("refuses a malformed registration %j, naming %j", async (request, fields) => {
    const error = await rejection(
      sut.client.register({
        ...request,
        email: request.email === "NEW" ? uniqueEmail() : request.email,
      }),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(fields);
  });

  it("answers an unknown address and a wrong password the same way", async () => {
    const email = uniqueEmail();
    await sut.client.register({ email, password: "secure123", name: "" });
    const wrong = await rejection(sut.client.login({ email, password: "secure124" }));
    const unknown = await rejection(
      sut.client.login({ email: uniqueEmail(), password: "secure123" }),
    );
    for (const error of [wrong, unknown]) {
      expect(error.code).toBe(Code.UNAUTHENTICATED);
      expect(error.reason).toBe("INVALID_CREDENTIALS");
    }
    expect(wrong.message).toBe(unknown.message);

    const malformed = await rejection(sut.client.login({ email: "nobody", password: "" }));
    expect(malformed.code).toBe(Code.INVALID_ARGUMENT);
    expect(malformed.fieldViolations.map((v) => v.field)).toEqual(["email", "password"]);
  });

  it("refuses empty, malformed, unknown and expired refresh tokens", async () => {
    const empty = await rejection(sut.client.refreshToken({ refreshToken: "" }));
    expect(empty.code).toBe(Code.INVALID_ARGUMENT);
    expect(empty.fieldViolations.map((v) => v.field)).toEqual(["refresh_token"]);

    for (const [token, reason] of [
      ["not a token", "REFRESH_TOKEN_INVALID"],
      ["A".repeat(43), "REFRESH_TOKEN_INVALID"],
    ]) {
      const error = await rejection(sut.client.refreshToken({ refreshToken: token! }));
      expect(error.code).toBe(Code.UNAUTHENTICATED);
      expect(error.reason).toBe(reason);
    }

    const { refreshToken } = await sut.client.register({
      email: uniqueEmail(),
      password: "secure123",
      name: "",
    });
    await query(
      "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [createHash("sha256").update(refreshToken).digest()],
    );
    const expired = await rejection(sut.client.refreshToken({ refreshToken }));
    expect(expired.code).toBe(Code.UNAUTHENTICATED);
    expect(expired.reason).toBe("REFRESH_TOKEN_EXPIRED");
  });

  it("puts the account's current role into refreshed tokens", async () => {
    const registered = await sut.client.register({
      email: uniqueEmail(),
      password: "secure123",
      name: "",
    });
    await query("UPDATE users SET role = 'admin' WHERE id = $1", [registered.user!.id]);
    const refreshed = await sut.client.refreshToken({ refreshToken: registered.refreshToken });
    expect(decodeJwt(refreshed.accessToken).role).toBe("admin");
    const me = await sut.client.getMe({}, signedInAs({ accessToken: refreshed.accessToken }));
    expect(me.user?.role).toBe(Role.ROLE_ADMIN);
  });

  it("upgrades a hash made with older parameters at the next login", async () => {
    const email = uniqueEmail();
    const { user } = await sut.client.register({ email, password: "secure123", name: "" });
    const weak = await createPasswordHasher({ memoryKib: 7168, iterations: 5, parallelism: 1 });
    await query("UPDATE users SET password_hash = $2 WHERE id = $1", [
      user!.id,
      await weak.hash("secure123"),
    ]);
    await sut.client.login({ email, password: "secure123" });
    const [row] = await query<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = $1",
      [user!.id],
    );
    expect(row!.password_hash).toMatch(/\$m=19456,t=2,p=1\$/);
    await expect(sut.client.login({ email, password: "secure123" })).resolves.toBeDefined();
  });

  it("prunes sessions whose every refresh token has expired", async () => {
    const email = uniqueEmail();
    const registered = await sut.client.register({ email, password: "secure123", name: "" });
    await sut.client.login({ email, password: "secure123" });
    await query(
      "UPDATE refresh_tokens SET expires_at = now() - interval '1 day' WHERE token_hash = $1",
      [createHash("sha256").update(registered.refreshToken).digest()],
    );
    const sessions = createSessionRepository(sut.service.runtime.pool!);
    expect(await sessions.pruneExpired()).toBeGreaterThanOrEqual(1);
    const left = await sessions.listForUser(registered.user!.id);
    expect(left).toHaveLength(1);
    expect(
      await query("SELECT 1 FROM refresh_tokens WHERE token_hash = $1", [
        createHash("sha256").update(registered.refreshToken).digest(),
      ]),
    ).toHaveLength(0);
  });

  it("requires a valid access token for the caller's own account", async () => {
    expect((await rejection(sut.client.getMe({}))).code).toBe(Code.UNAUTHENTICATED);
    const forged = await rejection(
      sut.client.getMe({}, signedInAs({ user: { id: "x" }, accessToken: "e30.e30.sig" })),
    );
    expect(forged.code).toBe(Code.UNAUTHENTICATED);
  });
});
