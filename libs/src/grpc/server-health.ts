/**
 * grpc.health.v1.Health for one server: "" (the whole server) and each added service.
 * grpc-health-check does the protocol; this wrapper remembers the statuses for /ready
 * and ends open Watch streams on shutdown, which would otherwise count as in-flight
 * calls and hold a graceful shutdown until its grace period runs out.
 */
import type { Server, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";

export type { ServingStatus } from "grpc-health-check";

/** The health of a gRPC server, as its admin endpoint (/ready) reads it. */
export interface GrpcHealth {
  /** The status of `service` ("" = the whole server); undefined when not registered. */
  status(service?: string): ServingStatus | undefined;
  /** True while the server is started and not shutting down. */
  isServing(): boolean;
}

export interface ServerHealth extends GrpcHealth {
  /** Registers a service name, NOT_SERVING until `setAll("SERVING")`. */
  register(service: string): void;
  setAll(status: ServingStatus): void;
  addToServer(server: Server): void;
  /** Ends every Watch stream after it received the last status; later changes are dropped. */
  closeWatches(): void;
}

export function createServerHealth(): ServerHealth {
  const implementation = new HealthImplementation();
  const statuses = new Map<string, ServingStatus>();
  // biome-ignore lint/suspicious/noExplicitAny: the health messages are untyped proto-loader objects
  const watches = new Set<ServerWritableStream<any, any>>();
  let closed = false;

  const set = (service: string, status: ServingStatus) => {
    if (closed) return;
    statuses.set(service, status);
    implementation.setStatus(service, status);
  };
  set("", "NOT_SERVING");

  return {
    status: (service = "") => statuses.get(service),
    isServing: () => statuses.get("") === "SERVING",
    register: (service) => set(service, "NOT_SERVING"),
    setAll(status) {
      for (const service of statuses.keys()) set(service, status);
    },
    addToServer(server) {
      implementation.addToServer({
        addService(definition, handlers: UntypedServiceImplementation) {
          const watch = handlers.watch as (call: ServerWritableStream<unknown, unknown>) => void;
          server.addService(definition, {
            ...handlers,
            watch(call: ServerWritableStream<unknown, unknown>) {
              watches.add(call);
              const forget = () => watches.delete(call);
              call.on("cancelled", forget);
              call.on("finish", forget);
              watch(call);
            },
          });
        },
      });
    },
    closeWatches() {
      closed = true;
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
