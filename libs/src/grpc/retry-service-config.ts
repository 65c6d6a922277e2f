/**
 * grpc-js's own retries, for running without a mesh (MESH_MODE=local): the runtime
 * config's retry policies as a gRPC service config. In the mesh Istio retries, and a
 * second layer here would multiply the attempts.
 */
import type { RetryPolicy as GrpcRetryPolicy, MethodConfig, ServiceConfig } from "@grpc/grpc-js";
import type { ServiceName } from "../mesh";
import type { RetryPolicy, RuntimeConfig } from "../runtime-config";

/**
 * The service config for calls to `grpcService` (e.g. "shop.product.v1.ProductService")
 * of `upstream`: the upstream's policy (or the defaults) for every method, each
 * method's own policy over it. Undefined when nothing retries.
 */
export function retryServiceConfig(
  runtimeConfig: RuntimeConfig,
  upstream: ServiceName,
  grpcService: string,
): ServiceConfig | undefined {
  const config = runtimeConfig.upstreams[upstream];
  const base = config?.retry ?? runtimeConfig.defaults.retry;
  const methodConfig: MethodConfig[] = [];
  if (base.maxAttempts > 1) {
    methodConfig.push({ name: [{ service: grpcService }], retryPolicy: grpcRetryPolicy(base) });
  }
  for (const [method, override] of Object.entries(config?.methods ?? {})) {
    if (!override.retry) continue;
    // The most specific name wins in grpc-js, so an entry without a policy turns the
    // service-wide policy off for this method.
    methodConfig.push({
      name: [{ service: grpcService, method }],
      ...(override.retry.maxAttempts > 1 ? { retryPolicy: grpcRetryPolicy(override.retry) } : {}),
    });
  }
  if (!methodConfig.some((m) => m.retryPolicy)) return undefined;
  return { loadBalancingConfig: [], methodConfig };
}

function grpcRetryPolicy(retry: RetryPolicy): GrpcRetryPolicy {
  return {
    maxAttempts: retry.maxAttempts,
    initialBackoff: seconds(retry.initialBackoffMs),
    maxBackoff: seconds(retry.maxBackoffMs),
    backoffMultiplier: retry.backoffMultiplier,
    retryableStatusCodes: [...retry.retryableStatusCodes],
  };
}

/** gRPC's duration syntax: "0.250s". */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}
