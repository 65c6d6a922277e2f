/**
 * `grpc.health.v1.Health` on the gateway's gRPC port, as every gRPC server of the mesh
 * serves it (DESIGN.md): the whole server ("") and each exposed service are SERVING
 * exactly when /ready says ready, so a gRPC health probe and the HTTP one agree.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb";

export interface HealthRoutesOptions {
  /** Service names a client may ask about, besides "" (the whole server). */
  readonly services: readonly string[];
  readonly isReady: () => Promise<boolean>;
  /** How often Watch looks at readiness again. */
  readonly watchIntervalMs?: number;
}

/** Registers grpc.health.v1.Health on `router`. */
export function addHealthRoutes(router: ConnectRouter, options: HealthRoutesOptions): void {
  const known = new Set(["", ...options.services]);
  const status = async () =>
    (await options.isReady()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  router.service(Health, {
    async check(request: HealthCheckRequest) {
      if (!known.has(request.service)) {
        throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      }
      return { status: await status() };
    },
    async *watch(request: HealthCheckRequest, ctx) {
      // The protocol keeps a watch on an unknown service open: it may appear later.
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const now = known.has(request.service) ? await status() : ServingStatus.SERVICE_UNKNOWN;
        if (now !== last) {
          last = now;
          yield { status: now };
        }
        await sleep(options.watchIntervalMs ?? 1_000, undefined, { signal: ctx.signal }).catch(
          () => undefined,
        );
      }
    },
    async list() {
      const now = await status();
      return {
        statuses: Object.fromEntries([...known].map((name) => [name, { status: now }])),
      };
    },
  });
}
