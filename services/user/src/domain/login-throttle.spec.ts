import { UserServiceClient } from "@shop/gen/ts/shop/user/v1/user";
import { Code } from "@shop/libs/errors";
import { createTestClient, type ScratchDatabase } from "@shop/libs/testing";
import {
  rejection,
  scratchDatabase,
  signedInAs,
  startUserServiceUnderTest,
  type UserServiceUnderTest,
  uniqueEmail,
} from "../testing/user-service-under-test";

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
