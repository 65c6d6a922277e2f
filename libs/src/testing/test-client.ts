import { createServiceTokenSigner, loadServiceKeys, serviceKeyFiles } from "../auth";
import {
  createGrpcClient,
  type GrpcClient,
  type GrpcClientConstructor,
  type ServiceDefinitionLike,
} from "../grpc";
import { createLogger } from "../logging";
import type { ServiceName } from "../mesh";
import { defaultRuntimeConfig } from "../runtime-config";
import { devServiceKeysDir } from "../service/service-env";

/**
 * A real gRPC client of a service under test, calling as `as` (default api-gateway)
 * with that service's dev identity key, and with no retries, so tests see each answer.
 */
export async function createTestClient<D extends ServiceDefinitionLike>(
  ClientClass: GrpcClientConstructor<D>,
  options: { port: number; upstream: ServiceName; as?: ServiceName },
): Promise<GrpcClient<D>> {
  const self = options.as ?? "api-gateway";
  const keys = await loadServiceKeys(serviceKeyFiles(devServiceKeysDir(), self));
  return createGrpcClient(ClientClass, {
    target: `127.0.0.1:${options.port}`,
    self,
    signer: createServiceTokenSigner({ service: self, privateKey: keys.privateKey }),
    runtimeConfig: defaultRuntimeConfig(self),
    upstream: options.upstream,
    meshMode: "istio",
    logger: createLogger({ service: self, level: "silent" }),
  });
}
