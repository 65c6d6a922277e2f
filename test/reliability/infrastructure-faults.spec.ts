/**
 * Faults of the data stores, on a private PostgreSQL cluster and a private Redis (the
 * machine's shared servers are never touched), while orders are placed under load from
 * a separate process: PostgreSQL crashed and restarted, Redis restarted, Redis down for
 * a while. After each: nothing lost, every process healthy again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { TestMesh } from "../support/test-mesh";
import { startFaultMesh } from "./support/fault-mesh";
import { type FaultContext, runFaultScenario } from "./support/fault-scenario";
import { call, productIds, register } from "./support/mesh-client";
import { type PrivatePostgres, startPrivatePostgres } from "./support/private-postgres";
import { type PrivateRedis, startPrivateRedis } from "./support/private-redis";
import { reliabilityProfile } from "./support/reliability-profile";
import { createSecretLedger, expectNoSecrets, type SecretLedger } from "./support/secret-scan";

jest.setTimeout(240_000);

const profile = reliabilityProfile();
const repetitions = Array.from({ length: profile.repetitions }, (_, i) => i + 1);

describe("data store faults under load", () => {
  let postgres: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let mesh: TestMesh | undefined;
  let context: FaultContext;
  let secrets: SecretLedger;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    redis = await startPrivateRedis();
    mesh = await startFaultMesh({
      postgres,
      redis,
      env: {
        "api-gateway": {
          RATE_LIMIT_ANONYMOUS: "off",
          RATE_LIMIT_AUTHENTICATED: "off",
          RATE_LIMIT_CREDENTIALS: "off",
        },
      },
    });
    secrets = createSecretLedger();
    const customers = await Promise.all(
      Array.from({ length: 6 }, () => register(mesh!, { secrets })),
    );
    context = { mesh, profile, customers, productIds: await productIds(mesh, 5), secrets };
  });
  afterAll(async () => {
    await mesh?.stop().catch(() => undefined);
    await redis?.destroy();
    postgres?.destroy();
  });

  it.each(repetitions)("PostgreSQL crashed and restarted (run %i)", async () => {
    const report = await runFaultScenario(context, {
      name: "PostgreSQL restart (immediate: crash + WAL recovery)",
      async inject({ erase }) {
        postgres!.restart("immediate");
        await erase();
        await sleep(500);
      },
    });
    expect(report.violations).toEqual([]);
    expect(report.orders.acknowledged).toBeGreaterThan(0);
  });

  it.each(repetitions)("PostgreSQL down for a while (run %i)", async () => {
    const report = await runFaultScenario(context, {
      name: "PostgreSQL down",
      async inject({ erase }) {
        postgres!.stopServer("immediate");
        await erase();
        await sleep(profile.outageMs);
        postgres!.startServer();
      },
    });
    expect(report.violations).toEqual([]);
  });

  it.each(repetitions)("Redis restarted (run %i)", async () => {
    const report = await runFaultScenario(context, {
      name: "Redis restart (SIGKILL, AOF)",
      async inject({ erase }) {
        await redis!.kill();
        await erase();
        await sleep(500);
        await redis!.start();
      },
    });
    expect(report.violations).toEqual([]);
    expect(report.events.userDeletedApplied).toBe(report.events.userDeleted);
  });

  it.each(repetitions)("Redis down for a while (run %i)", async () => {
    let down = 0;
    let up = 0;
    const report = await runFaultScenario(context, {
      name: "Redis down",
      async inject({ erase }) {
        await redis!.kill();
        await erase();
        down = Date.now();
        await sleep(profile.outageMs);
        up = Date.now();
        await redis!.start();
      },
    });
    expect(report.violations).toEqual([]);
    // Redis holds no order state: rate limits fail open, the outbox holds the events,
    // so orders go on while it is down.
    const during = report.attempts.filter((a) => a.kind === "order" && a.at > down && a.at < up);
    expect(during.filter((a) => a.status === 200).length).toBeGreaterThan(0);
  });

  it("reads from the catalog work again once Redis is back", async () => {
    const answer = await call(mesh!.gatewayUrl, "GET", "/api/products?pageSize=3");
    expect(answer.status).toBe(200);
  });

  it("leaks no password, token, hash or card number into logs or spans", async () => {
    await expectNoSecrets(mesh!, secrets);
  });
});
