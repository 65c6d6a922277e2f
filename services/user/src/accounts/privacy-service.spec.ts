import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, type ServiceError as GrpcError, Metadata } from "@grpc/grpc-js";
import { EventEnvelope, UserDeleted } from "@shop/gen/ts/shop/events/v1/events";
import {
  ExportMyDataResponse,
  type GetUserResponse,
  UserServiceClient,
} from "@shop/gen/ts/shop/user/v1/user";
import { Code, ServiceError } from "@shop/libs/errors";
import type { ScratchDatabase } from "@shop/libs/testing";
import { createTestClient } from "@shop/libs/testing";
import {
  rejection,
  scratchDatabase,
  signedInAs,
  startUserServiceUnderTest,
  type UserServiceUnderTest,
  uniqueEmail,
} from "../testing/user-service-under-test";

/** Log lines written by the service under test. */
function captureLogs() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

/** A runtime config that lets order-service (only) call GetUser. */
function runtimeConfigFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "user-runtime-")), "user-service.json");
  writeFileSync(
    file,
    JSON.stringify({
      service: "user-service",
      defaults: {
        timeoutMs: 5000,
        retry: {
          maxAttempts: 1,
          initialBackoffMs: 100,
          maxBackoffMs: 1000,
          backoffMultiplier: 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
      allowedCallers: { "shop.user.v1.UserService/GetUser": ["order-service"] },
    }),
  );
  return file;
}

describe("privacy rights and the internal lookup", () => {
  let database: ScratchDatabase;
  let sut: UserServiceUnderTest;
  const logs = captureLogs();
  const query = <R extends object>(sql: string, params: unknown[] = []) =>
    sut.service.runtime.pool!.query<R>(sql, params).then((r) => r.rows);

  beforeAll(async () => {
    database = await scratchDatabase();
    sut = await startUserServiceUnderTest(
      database.url,
      { LOG_LEVEL: "debug", RUNTIME_CONFIG_PATH: runtimeConfigFile() },
      logs.destination,
    );
  });
  afterAll(async () => {
    await sut?.stop();
    await database?.drop();
  });

  it("exports the account and its sessions as one JSON document that round-trips", async () => {
    const email = uniqueEmail();
    const registered = await sut.client.register({ email, password: "secure123", name: "Dana" });
    const login = await sut.client.login({ email, password: "secure123" });
    await sut.client.refreshToken({ refreshToken: login.refreshToken });
    const exported = await sut.client.exportMyData({}, signedInAs(registered));

    expect(exported.user).toEqual(registered.user);
    expect(exported.sessions).toHaveLength(2);
    expect(exported.sessions[0]).toMatchObject({ lastUseTime: undefined, revokeTime: undefined });
    expect(exported.sessions[1]?.lastUseTime).toBeInstanceOf(Date);
    expect(exported.exportTime!.getTime()).toBeGreaterThanOrEqual(
      registered.user!.createTime!.getTime(),
    );

    const json = JSON.stringify(ExportMyDataResponse.toJSON(exported));
    expect(ExportMyDataResponse.fromJSON(JSON.parse(json))).toEqual(exported);
    expect(JSON.parse(json)).toMatchObject({
      user: { email, name: "Dana", role: "ROLE_CUSTOMER" },
    });
    // Metadata only: no password hash, no token of any kind.
    expect(json).not.toMatch(/argon2|password/i);
    for (const token of [registered.refreshToken, login.refreshToken, login.accessToken]) {
      expect(json).not.toContain(token);
    }
  });

  it("erases every personal field, keeps a tombstone, and emits UserDeleted atomically", async () => {
    const email = uniqueEmail("Erin");
    const name = "Erin Example-Person";
    const registered = await sut.client.register({ email, password: "secure123", name });
    const login = await sut.client.login({ email, password: "secure123" });
    const id = registered.user!.id;
    const [{ password_hash: hash }] = (await query<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = $1",
      [id],
    )) as [{ password_hash: string }];
    const tokenDigests = [registered.refreshToken, login.refreshToken].map((t) =>
      createHash("sha256").update(t).digest("hex"),
    );

    const empty = await rejection(sut.client.deleteMe({ password: "" }, signedInAs(registered)));
    expect(empty.code).toBe(Code.INVALID_ARGUMENT);
    expect(empty.fieldViolations.map((v) => v.field)).toEqual(["password"]);
    const wrong = await rejection(
      sut.client.deleteMe({ password: "secure124" }, signedInAs(registered)),
    );
    expect(wrong.code).toBe(Code.PERMISSION_DENIED);

    await sut.client.deleteMe({ password: "secure123" }, signedInAs(registered));

    // No table holds the address, the name, the hash or a token digest, as text or bytes.
    const personal = [email, email.toLowerCase(), name, hash, ...tokenDigests];
    const hex = (text: string) => Buffer.from(text).toString("hex");
    const tables = await query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        "users",
        "refresh_sessions",
        "refresh_tokens",
        "deleted_users",
        "outbox",
      ]),
    );
    for (const { name: table } of tables) {
      const rows = await query<{ row: string }>(
        `SELECT row_to_json(t)::text AS row FROM ${table} t`,
      );
      for (const { row } of rows) {
        for (const value of personal) {
          expect(row.toLowerCase()).not.toContain(value.toLowerCase());
          expect(row).not.toContain(hex(value));
        }
      }
    }
    expect(await query("SELECT 1 FROM users WHERE id = $1", [id])).toHaveLength(0);
    expect(await query("SELECT 1 FROM refresh_sessions WHERE user_id = $1", [id])).toHaveLength(0);

    // The tombstone is the id and the time, nothing else.
    const columns = await query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'deleted_users' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => c.column_name)).toEqual(["id", "deleted_at"]);
    const [tombstone] = await query<{ deleted_at: Date }>(
      "SELECT deleted_at FROM deleted_users WHERE id = $1",
      [id],
    );

    // One UserDeleted in the outbox, written by the same transaction (same now()).
    const events = await query<{ envelope: Buffer; created_at: Date; stream: string }>(
      "SELECT envelope, created_at, stream FROM outbox WHERE type = 'shop.events.v1.UserDeleted'",
    );
    const mine = events
      .map((e) => ({ ...e, decoded: EventEnvelope.decode(e.envelope) }))
      .filter((e) => e.decoded.aggregateId === id);
    expect(mine).toHaveLength(1);
    const event = mine[0]!;
    expect(event.stream).toBe("events.user-service");
    expect(event.decoded.producer).toBe("user-service");
    expect(UserDeleted.decode(event.decoded.payload!.value)).toEqual({
      userId: id,
      deleteTime: tombstone!.deleted_at,
    });
    expect(event.created_at).toEqual(tombstone!.deleted_at);

    // What the still-unexpired access token and the old credentials can do now: nothing.
    expect((await rejection(sut.client.getMe({}, signedInAs(registered)))).code).toBe(
      Code.NOT_FOUND,
    );
    expect((await rejection(sut.client.exportMyData({}, signedInAs(registered)))).code).toBe(
      Code.NOT_FOUND,
    );
    expect(
      (await rejection(sut.client.deleteMe({ password: "secure123" }, signedInAs(registered))))
        .code,
    ).toBe(Code.NOT_FOUND);
    expect((await rejection(sut.client.login({ email, password: "secure123" }))).code).toBe(
      Code.UNAUTHENTICATED,
    );
    expect(
      (await rejection(sut.client.refreshToken({ refreshToken: login.refreshToken }))).code,
    ).toBe(Code.UNAUTHENTICATED);
    // The address is free again: a new account, a new id.
    const again = await sut.client.register({ email, password: "secure123", name: "" });
    expect(again.user!.id).not.toBe(id);
  });

  it("erases nothing when the event cannot be written", async () => {
    const email = uniqueEmail();
    const registered = await sut.client.register({ email, password: "secure123", name: "" });
    await query(`
      CREATE FUNCTION refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'outbox refused by the test'; END $$;
      CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox
        FOR EACH ROW EXECUTE FUNCTION refuse_outbox();`);
    try {
      const failed = await rejection(
        sut.client.deleteMe({ password: "secure123" }, signedInAs(registered)),
      );
      expect(failed.code).not.toBe(Code.OK);
    } finally {
      await query("DROP TRIGGER refuse_outbox ON outbox; DROP FUNCTION refuse_outbox();");
    }
    const id = registered.user!.id;
    expect(await query("SELECT 1 FROM users WHERE id = $1", [id])).toHaveLength(1);
    expect(await query("SELECT 1 FROM deleted_users WHERE id = $1", [id])).toHaveLength(0);
    await expect(sut.client.getMe({}, signedInAs(registered))).resolves.toBeDefined();
  });

  it("serves GetUser only to allowed services with a service identity", async () => {
    const registered = await sut.client.register({
      email: uniqueEmail(),
      password: "secure123",
      name: "Gus",
    });
    const id = registered.user!.id;

    // No service token at all: a plain grpc-js client.
    const anonymous = new UserServiceClient(
      `127.0.0.1:${sut.service.grpcPort}`,
      credentials.createInsecure(),
    );
    try {
      const error = await new Promise<ServiceError>((resolve, reject) =>
        anonymous.getUser(
          { userId: id },
          new Metadata(),
          (e: GrpcError | null, r?: GetUserResponse) =>
            e
              ? resolve(ServiceError.fromGrpc(e))
              : reject(new Error(`answered ${JSON.stringify(r)}`)),
        ),
      );
      expect(error.code).toBe(Code.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
    // A real identity that the runtime config does not allow (the gateway).
    expect((await rejection(sut.client.getUser({ userId: id }))).code).toBe(Code.PERMISSION_DENIED);

    const orders = await createTestClient(UserServiceClient, {
      port: sut.service.grpcPort,
      upstream: "user-service",
      as: "order-service",
    });
    try {
      expect((await orders.getUser({ userId: id })).user).toEqual(registered.user);
      const unknown = await rejection(
        orders.getUser({ userId: "00000000-0000-4000-8000-000000000000" }),
      );
      expect(unknown.code).toBe(Code.NOT_FOUND);
      for (const userId of ["", "42", "'; DROP TABLE users; --"]) {
        const bad = await rejection(orders.getUser({ userId }));
        expect(bad.code).toBe(Code.INVALID_ARGUMENT);
        expect(bad.fieldViolations.map((v) => v.field)).toEqual(["user_id"]);
      }
      await sut.client.deleteMe({ password: "secure123" }, signedInAs(registered));
      expect((await rejection(orders.getUser({ userId: id }))).code).toBe(Code.NOT_FOUND);
    } finally {
      orders.close();
    }
  });

  it("never logs passwords, hashes, tokens or full addresses", async () => {
    const email = uniqueEmail("Logan");
    const registered = await sut.client.register({ email, password: "loggable-secret", name: "" });
    await rejection(sut.client.login({ email, password: "wrong-secret-99" }));
    await rejection(sut.client.register({ email, password: "loggable-secret", name: "" }));
    const login = await sut.client.login({ email, password: "loggable-secret" });
    const refreshed = await sut.client.refreshToken({ refreshToken: login.refreshToken });
    await rejection(sut.client.refreshToken({ refreshToken: login.refreshToken }));
    const [{ password_hash: hash }] = (await query<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = $1",
      [registered.user!.id],
    )) as [{ password_hash: string }];
    await sut.client.deleteMe({ password: "loggable-secret" }, signedInAs(registered));

    const text = logs.lines.join("");
    expect(text).toContain(registered.user!.id); // the lines are there...
    for (const secret of [
      email,
      email.toLowerCase(),
      "loggable-secret",
      "wrong-secret-99",
      hash,
      hash.split("$").pop()!,
      registered.accessToken,
      registered.refreshToken,
      login.refreshToken,
      refreshed.refreshToken,
      refreshed.accessToken.split(".")[2]!,
    ]) {
      expect(text).not.toContain(secret); // ...but none of these
    }
  });
});
