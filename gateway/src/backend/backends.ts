/**
 * The gateway's backends: one client per backend, which backend serves which gRPC
 * service, and each RPC's default deadline from the runtime config rendered from
 * policy (the method's timeout, else the backend's, else the default).
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceName } from "@shop/libs/mesh";
import type { RpcTarget } from "../edge/rpc-target";
import {
  type BackendClient,
  type BackendClientOptions,
  type BackendSpec,
  createBackendClient,
} from "./backend-client";

export interface Backends {
  readonly clients: readonly BackendClient[];
  /** Every service some backend serves. */
  readonly services: readonly DescService[];
  /** The client of the backend serving the RPC's service. */
  forRpc(rpc: RpcTarget): BackendClient;
  /** The deadline a call gets when the client sets none. */
  defaultTimeoutMs(rpc: RpcTarget): number;
  close(): void;
}

export function createBackends(
  specs: readonly BackendSpec[],
  options: BackendClientOptions,
): Backends {
  const byService = new Map<string, BackendClient>();
  const clients = specs.map((spec) => {
    const client = createBackendClient(spec, options);
    for (const service of spec.services) {
      if (byService.has(service.typeName)) {
        throw new Error(`${service.typeName} is served by two backends`);
      }
      byService.set(service.typeName, client);
    }
    return client;
  });
  const { runtimeConfig } = options;
  return {
    clients,
    services: specs.flatMap((s) => s.services),
    forRpc(rpc) {
      const client = byService.get(rpc.service.typeName);
      if (!client) throw new Error(`no backend serves ${rpc.service.typeName}`);
      return client;
    },
    defaultTimeoutMs(rpc) {
      const backend = byService.get(rpc.service.typeName)?.name as ServiceName | undefined;
      const upstream = backend ? runtimeConfig.upstreams[backend] : undefined;
      return (
        upstream?.methods?.[rpc.method.name]?.timeoutMs ??
        upstream?.timeoutMs ??
        runtimeConfig.defaults.timeoutMs
      );
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}
