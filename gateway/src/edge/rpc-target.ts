/**
 * The RPCs the edge may call, read from the descriptors: every method whose `access`
 * option is set and is not INTERNAL, unary or server streaming (the two kinds a
 * backend call supports). What every protocol at the edge shares; REST additionally
 * needs a google.api.http rule (see http-rule-bindings.ts).
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type AccessLevel, accessLevelsFromContracts } from "@shop/libs/grpc";

/** One RPC the gateway can call. */
export interface RpcTarget {
  readonly method: DescMethod;
  readonly service: DescService;
  /** "shop.product.v1.ProductService/GetProduct", as runtime config and policy name it. */
  readonly fullName: string;
  /** "/shop.product.v1.ProductService/GetProduct", the gRPC path. */
  readonly path: string;
  readonly access: Exclude<AccessLevel, "internal">;
  readonly streaming: boolean;
}

/** An RPC left out of a protocol's surface, and why (logged at start-up). */
export interface SkippedRpc {
  readonly fullName: string;
  readonly reason: string;
}

/** The access levels of `services`, as `rpcTargetOf` takes them. */
export type AccessLevels = ReadonlyMap<string, AccessLevel>;

/**
 * The edge's view of one method, or why it is not exposed: no access level (a
 * forgotten option closes an RPC), INTERNAL, or a client/bidi stream.
 */
export function rpcTargetOf(
  service: DescService,
  method: DescMethod,
  levels: AccessLevels,
): RpcTarget | { readonly skipped: string } {
  const fullName = `${service.typeName}/${method.name}`;
  const access = levels.get(`/${fullName}`);
  if (access === undefined) return { skipped: "no access level: closed" };
  if (access === "internal") {
    return { skipped: "INTERNAL: never exposed, whatever its HTTP rule says" };
  }
  if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") {
    return { skipped: `${method.methodKind} RPCs cannot be served at the edge` };
  }
  return {
    method,
    service,
    fullName,
    path: `/${fullName}`,
    access,
    streaming: method.methodKind === "server_streaming",
  };
}

/** Every RPC of `services` the edge serves to gRPC, gRPC-Web and Connect clients. */
export function rpcTargetsFromServices(services: readonly DescService[]): {
  targets: RpcTarget[];
  skipped: SkippedRpc[];
} {
  const levels = accessLevelsFromContracts(services);
  const targets: RpcTarget[] = [];
  const skipped: SkippedRpc[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const target = rpcTargetOf(service, method, levels);
      if ("skipped" in target) {
        skipped.push({ fullName: `${service.typeName}/${method.name}`, reason: target.skipped });
      } else {
        targets.push(target);
      }
    }
  }
  return { targets, skipped };
}
