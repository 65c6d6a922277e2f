/**
 * The whole mesh for the reliability suite: `startTestMesh` (test/support) pointed at a
 * private PostgreSQL cluster and a private Redis when the test will restart them, with
 * recovery intervals short enough for a test to wait for.
 */
import type { Env } from "@shop/libs/config";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { startTestMesh, type TestMesh } from "../../support/test-mesh";
import type { PrivatePostgres } from "./private-postgres";
import type { PrivateRedis } from "./private-redis";

export interface FaultMeshOptions {
  /** The cluster the mesh's databases live on (default: the machine's PostgreSQL). */
  postgres?: PrivatePostgres;
  /** The Redis every process uses (default: the machine's Redis, own key prefix). */
  redis?: PrivateRedis;
  /** Extra variables per service, on top of the suite's. */
  env?: Partial<Record<ServiceName, Env>>;
}

/**
 * What every mesh of the suite runs with: saga recovery a test can wait for, and the
 * gateway's breakers probing again after 1 s instead of 10 s. A restart opens the
 * breaker of the restarted service; with 10 s it would still be open when a 3 s fault
 * window ends, and the window would measure the breaker rather than the fault.
 */
const SUITE_ENV: Partial<Record<ServiceName, Env>> = {
  "order-service": { SAGA_RECOVERY_INTERVAL: "1s", SAGA_RECOVERY_AFTER: "2s" },
  "api-gateway": { BREAKER_RESET_TIMEOUT: "1s" },
};

export function startFaultMesh(options: FaultMeshOptions = {}): Promise<TestMesh> {
  const env: Partial<Record<ServiceName, Env>> = {};
  for (const { name } of SERVICES) {
    env[name] = {
      ...SUITE_ENV[name],
      ...(options.redis ? { REDIS_URL: options.redis.url } : {}),
      ...options.env?.[name],
    };
  }
  return startTestMesh({
    env,
    readyTimeoutMs: 90_000,
    ...(options.postgres ? { adminUrl: options.postgres.adminUrl } : {}),
  });
}
