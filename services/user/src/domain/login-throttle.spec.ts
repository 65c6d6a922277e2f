import { UserServiceClient } from "@shop/gen/ts/shop/user/v1/user";
import { Code, ServiceError } from "@shop/libs/errors";
import { createLogger } from "@shop/libs/logging";
import { createMemoryInfrastructure } from "@shop/libs/service";
import { createTestClient, type ScratchDatabase } from "@shop/libs/testing";
import { Registry } from "prom-client";
import {
  rejection,
  scratchDatabase,
  signedInAs,
  startUserServiceUnderTest,
  type UserServiceUnderTest,
  uniqueEmail,
} from "../testing/user-service-under-test";
import { createLoginThrottle } from "./login-throttle";

const LOCKOUT_MS = 60_000;

describe("login throttling in Redis", () => {
  let database: ScratchDatabase;
  let sut: UserServiceUnderTest;
  const viaGateway = (clientIp: string) => ({ ctx: { clientIp } });

  async function account(): Promise<string> {
    const email = uniqueEmail();
    await sut.client.register({ email, password: "secure123", name: "" });
    return email;
  }
  async function fail(email: string, clientIp = "198.51.100.1") {
    const error = await rejection(
      sut.client.login({ email, password: "wrong-password" }, viaGateway(clientIp)),
    );
    expect(error.code).toBe(Code.UNAUTHENTICATED);
  }

  beforeAll(async () => {
    database = await scratchDatabase();
    sut = await startUserServiceUnderTest(database.url, {
      LOGIN_ACCOUNT_MAX_FAILURES: "3",
      LOGIN_IP_MAX_FAILURES: "5",
      LOGIN_LOCKOUT: `${LOCKOUT_MS}ms`,
    });
  });
  afterAll(async () => {
    await sut?.stop();
    await database?.drop();
  });

  it("locks an account after repeated failures, even for the right password", async () => {
    const email = await account();
    const other = await account();
    for (let i = 0; i < 3; i++) await fail(email, `198.51.100.${10 + i}`);
    const locked = await rejection(
      sut.client.login({ email, password: "secure123" }, viaGateway("198.51.100.99")),
    );
    expect(locked.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(locked.reason).toBe("LOGIN_THROTTLED");
    expect(locked.retryAfterMs).toBeGreaterThan(0);
    expect(locked.retryAfterMs).toBeLessThanOrEqual(LOCKOUT_MS);
    // Another account is not affected.
    await expect(sut.client.login({ email: other, password: "secure123" })).resolves.toBeDefined();
  });

  it("gives guesses that race no more password checks than the account's limit", async () => {
    const email = await account();
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        rejection(
          sut.client.login({ email, password: `wrong-${i}` }, viaGateway(`198.51.100.${40 + i}`)),
        ),
      ),
    );
    const codes = outcomes.map((error) => error.code);
    expect(codes.filter((code) => code === Code.UNAUTHENTICATED).length).toBeLessThanOrEqual(3);
    expect(codes.filter((code) => code !== Code.UNAUTHENTICATED)).toEqual(
      codes.filter((code) => code === Code.RESOURCE_EXHAUSTED),
    );
  });

  it("locks an unknown address exactly like a real one", async () => {
    const ghost = uniqueEmail("ghost");
    for (let i = 0; i < 3; i++) await fail(ghost, `198.51.100.${20 + i}`);
    const locked = await rejection(sut.client.login({ email: ghost, password: "secure123" }));
    expect(locked.code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it("counts an account's failures afresh after a success", async () => {
    const email = await account();
    for (let round = 0; round < 2; round++) {
      await fail(email, "198.51.100.30");
      await fail(email, "198.51.100.31");
      await expect(sut.client.login({ email, password: "secure123" })).resolves.toBeDefined();
    }
  });

  it("locks a client address spraying many accounts, and only that address", async () => {
    const spray = "203.0.113.7";
    for (let i = 0; i < 5; i++) await fail(uniqueEmail("spray"), spray);
    const victim = await account();
    const locked = await rejection(
      sut.client.login({ email: victim, password: "secure123" }, viaGateway(spray)),
    );
    expect(locked.code).toBe(Code.RESOURCE_EXHAUSTED);
    await expect(
      sut.client.login({ email: victim, password: "secure123" }, viaGateway("203.0.113.8")),
    ).resolves.toBeDefined();

    // x-client-ip is trusted only from api-gateway: another caller cannot pin a lockout
    // on someone else's address (nor escape one by claiming another).
    const asOrderService = await createTestClient(UserServiceClient, {
      port: sut.service.grpcPort,
      upstream: "user-service",
      as: "order-service",
    });
    try {
      await expect(
        asOrderService.login({ email: victim, password: "secure123" }, viaGateway(spray)),
      ).resolves.toBeDefined();
    } finally {
      asOrderService.close();
    }
  });

  it("makes DeleteMe's password check share the account's budget", async () => {
    const email = await account();
    const signedIn = await sut.client.login({ email, password: "secure123" });
    for (let i = 0; i < 3; i++) {
      const error = await rejection(
        sut.client.deleteMe({ password: "guess-number-1" }, signedInAs(signedIn)),
      );
      expect(error.code).toBe(Code.PERMISSION_DENIED);
    }
    const locked = await rejection(
      sut.client.deleteMe({ password: "secure123" }, signedInAs(signedIn)),
    );
    expect(locked.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect((await rejection(sut.client.login({ email, password: "secure123" }))).code).toBe(
      Code.RESOURCE_EXHAUSTED,
    );
  });
});

describe("login throttling without Redis", () => {
  let database: ScratchDatabase;
  let sut: UserServiceUnderTest;

  beforeAll(async () => {
    database = await scratchDatabase();
    // Nothing listens on port 1: every Redis command fails at once.
    sut = await startUserServiceUnderTest(database.url, {
      REDIS_URL: "redis://127.0.0.1:1",
      LOGIN_ACCOUNT_MAX_FAILURES: "1",
    });
  });
  afterAll(async () => {
    await sut?.stop();
    await database?.drop();
  });

  it("fails open: logins keep working, and the outage is counted", async () => {
    const email = uniqueEmail();
    await sut.client.register({ email, password: "secure123", name: "" });
    for (let i = 0; i < 2; i++) {
      const error = await rejection(sut.client.login({ email, password: "wrong-password" }));
      expect(error.code).toBe(Code.UNAUTHENTICATED);
    }
    await expect(sut.client.login({ email, password: "secure123" })).resolves.toBeDefined();
    const metrics = await (await fetch(`http://127.0.0.1:${sut.service.httpPort}/metrics`)).text();
    const line = metrics.split("\n").find((l) => l.startsWith("login_throttle_unavailable_total"));
    expect(Number(line?.split(" ").pop())).toBeGreaterThan(0);
  });
});

describe("LoginThrottle.verify", () => {
  const rules = {
    account: { maxFailures: 2, windowMs: 60_000, lockoutMs: 60_000 },
    address: { maxFailures: 3, windowMs: 60_000, lockoutMs: 60_000 },
  };
  const throttle = () =>
    createLoginThrottle({
      infrastructure: createMemoryInfrastructure(),
      rules,
      secret: Buffer.alloc(32, 7),
      logger: createLogger({ service: "login-throttle-test", level: "silent" }),
      registry: new Registry(),
    });
  const attempt = (emailKey: string, clientIp?: string) => ({ emailKey, clientIp });
  const refused = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: ServiceError) => error,
    );

  it("refuses a guess while the account's places are all taken by guesses in flight", async () => {
    const t = throttle();
    let finish!: (verdict: boolean) => void;
    const slow = () => new Promise<boolean>((resolve) => (finish = resolve));
    const first = t.verify(attempt("a", "192.0.2.1"), slow);
    const second = t.verify(attempt("a", "192.0.2.2"), async () => false);
    expect(await second).toBe(false);
    const third = await refused(t.verify(attempt("a", "192.0.2.3"), async () => true));
    expect(third).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, reason: "LOGIN_THROTTLED" });
    finish(true);
    expect(await first).toBe(true);
    // The success restarted the account's count: two more failures are allowed.
    expect(await t.verify(attempt("a", "192.0.2.4"), async () => false)).toBe(false);
    expect(await t.verify(attempt("a", "192.0.2.5"), async () => false)).toBe(false);
    expect(await refused(t.verify(attempt("a"), async () => true))).toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
  });

  it("counts nothing for a check that throws, and hands back the place", async () => {
    const t = throttle();
    for (let i = 0; i < 5; i++) {
      await expect(
        t.verify(attempt("b", "192.0.2.9"), async () => {
          throw new ServiceError(Code.DEADLINE_EXCEEDED, "too slow");
        }),
      ).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    }
    expect(await t.verify(attempt("b", "192.0.2.9"), async () => true)).toBe(true);
  });

  it("gives back the account's place when the address is refused", async () => {
    const t = throttle();
    for (let i = 0; i < 3; i++)
      await t.verify(attempt(`spray-${i}`, "192.0.2.66"), async () => false);
    await expect(t.verify(attempt("c", "192.0.2.66"), async () => true)).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
    // Had the refused attempt kept its place, the account would now have one left.
    expect(await t.verify(attempt("c", "192.0.2.67"), async () => false)).toBe(false);
    expect(await t.verify(attempt("c", "192.0.2.68"), async () => true)).toBe(true);
  });

  it("keeps the address's count after a success on another account", async () => {
    const t = throttle();
    await t.verify(attempt("d1", "192.0.2.77"), async () => false);
    await t.verify(attempt("d2", "192.0.2.77"), async () => false);
    expect(await t.verify(attempt("d3", "192.0.2.77"), async () => true)).toBe(true);
    await t.verify(attempt("d4", "192.0.2.77"), async () => false);
    await expect(t.verify(attempt("d5", "192.0.2.77"), async () => true)).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
    });
  });
});
