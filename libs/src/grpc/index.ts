export { type AccessLevel, accessLevelsFromContracts, CONTRACT_SERVICES } from "./access-levels";
export {
  AUTHORIZATION_METADATA,
  type CallContext,
  type CallerContext,
  CLIENT_IP_METADATA,
  IDEMPOTENCY_KEY_METADATA,
  REQUEST_ID_METADATA,
} from "./call-context";
export type {
  Handlers,
  RequestOf,
  ResponseOf,
  ServerStreamingHandler,
  ServiceDefinitionLike,
  UnaryHandler,
} from "./definition-types";
export {
  type ClientCallOptions,
  callDeadline,
  createGrpcClient,
  DEADLINE_MARGIN_MS,
  type GrpcClient,
  type GrpcClientConstructor,
  type GrpcClientOptions,
  type MeshMode,
} from "./grpc-client";
export { createGrpcServer, type GrpcServer, type GrpcServerOptions } from "./grpc-server";
export { retryServiceConfig } from "./retry-service-config";
export type { GrpcHealth, ServingStatus } from "./server-health";
