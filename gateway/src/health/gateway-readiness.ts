/**
 * The gateway's /ready: green once the routes are built from the descriptors and the
 * JWKS has been loaded (without keys no protected route can be served). Redis and the
 * backends are reported in the body and as `dependency_up` metrics but never fail the
 * probe: rate limits fail open and breakers serve fallbacks, so the gateway keeps
 * serving what it can. The breakers' states are in the body too.
 */
import { createReadiness, type Readiness } from "@shop/libs/admin";
import type { Logger } from "@shop/libs/logging";
import type { Registry } from "prom-client";
import type { BackendClient } from "../backend/backend-client";
import type { BreakerState } from "../edge/circuit-breakers";

export interface GatewayReadiness {
  readonly readiness: Readiness;
  /** The /ready answer. */
  report(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Fetches the JWKS until it has keys once, retrying every second. */
  startJwksProbe(): void;
  stop(): void;
}

const PROBE_INTERVAL_MS = 1_000;

export function createGatewayReadiness(options: {
  registry: Registry;
  jwksUrl: string;
  redisUp: () => boolean;
  backends: readonly BackendClient[];
  breakerStates: () => Record<string, BreakerState>;
  logger: Logger;
}): GatewayReadiness {
  const readiness = createReadiness({ registry: options.registry });
  let jwksLoaded = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  // The routes exist before readiness is created: the descriptors are compiled in.
  readiness.addCheck("descriptors", async () => true, { critical: true });
  readiness.addCheck("jwks", async () => jwksLoaded, { critical: true });
  readiness.addCheck("redis", async () => options.redisUp(), { critical: false });
  for (const backend of options.backends) {
    readiness.addCheck(backend.name, () => backend.isServing(500), { critical: false });
  }

  const probe = async () => {
    try {
      const response = await fetch(options.jwksUrl, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as { keys?: unknown };
      if (response.ok && Array.isArray(body.keys) && body.keys.length > 0) {
        jwksLoaded = true;
        options.logger.info("JWKS loaded");
        return;
      }
    } catch {
      // Not reachable yet (user-service starting): try again.
    }
    if (!stopped) {
      timer = setTimeout(probe, PROBE_INTERVAL_MS);
      timer.unref();
    }
  };

  return {
    readiness,
    async report() {
      const report = await readiness.report();
      return {
        status: report.ready ? 200 : 503,
        body: {
          status: report.status,
          service: "api-gateway",
          checks: report.checks,
          breakers: options.breakerStates(),
        },
      };
    },
    startJwksProbe() {
      void probe();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
