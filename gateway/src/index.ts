/**
 * @shop/api-gateway: the edge of the mesh. The embedded mode starts it with
 * `startGateway`; the pieces below are what every protocol at the edge (REST, gRPC,
 * gRPC-Web, Connect) shares: the RPC targets read from the descriptors, the backends,
 * and the one edge pipeline.
 */
export type { AggregationRoute } from "./aggregation/aggregation-route";
export type { BackendSpec } from "./backend/backend-client";
export { type Backends, createBackends } from "./backend/backends";
export { type GatewayConfig, parseGatewayConfig } from "./config/gateway-config";
export type { EdgeRequest } from "./edge/call-metadata";
export {
  type Admission,
  createEdgePipeline,
  type EdgePipeline,
  type StreamOutcome,
  type UnaryOutcome,
} from "./edge/edge-pipeline";
export { type RpcTarget, rpcTargetsFromServices } from "./edge/rpc-target";
export { type Gateway, type GatewayOptions, shopBackends, startGateway } from "./gateway";
export { createRpcEdge, type RpcEdge } from "./rpc/rpc-edge";
export { type RestBinding, restBindingsFromServices } from "./transcoding/http-rule-bindings";
