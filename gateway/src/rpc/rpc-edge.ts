/**
 * The gateway's second face: every exposed RPC over gRPC, gRPC-Web and Connect through
 * one connect-es router, plus server reflection and health. The same router serves
 * port 9000 (h2c: all three protocols) and the Connect and gRPC-Web calls that arrive on
 * port 8000 beside REST, which the HTTP server hands over when `accepts` says so.
 *
 * The dispatch is connectNodeAdapter's, written out (a path lookup and connect-node's
 * request/response conversions) for two reasons: the HTTP layer's request id and
 * client address reach the handlers directly, and an answer that cannot be written
 * (the client left) is a structured log line rather than the adapter's console.error.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Registry } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, createContextValues } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { Logger } from "@shop/libs/logging";
import type { Metrics } from "@shop/libs/metrics";
import type { EdgePipeline } from "../edge/edge-pipeline";
import type { RpcTarget } from "../edge/rpc-target";
import { Health } from "../gen/grpc/health/v1/health_pb";
import { createEdgeReflection } from "./edge-reflection";
import { addHealthRoutes } from "./health-service";
import { addReflectionRoutes, REFLECTION_SERVICES } from "./reflection-service";
import { RPC_CALL_ORIGIN, rpcCallOrigin } from "./rpc-request";
import { createRpcRoutes } from "./rpc-routes";

type NodeServerRequest = IncomingMessage | Http2ServerRequest;
/** connect-node's response type: Node's http or http2 one, their write/writeHead reconciled. */
type NodeServerResponse = Parameters<typeof universalResponseToNodeResponse>[1];

export interface RpcEdgeOptions {
  readonly targets: readonly RpcTarget[];
  readonly pipeline: EdgePipeline;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly fallbackRpcs: ReadonlySet<string>;
  readonly trustedHops: number;
  /** Largest request message in bytes (BODY_LIMIT). */
  readonly readMaxBytes: number;
  readonly isReady: () => Promise<boolean>;
}

export interface RpcEdge {
  /** Whether a request on the HTTP/1.1 port is a Connect or gRPC-Web call. */
  accepts(req: IncomingMessage): boolean;
  /** Whether `path` belongs to a service served here (for CORS preflights). */
  servesPath(path: string): boolean;
  /** The metrics label of a path: the RPC's path when one is served there. */
  routeOf(path: string): string;
  /** Serves one call; `requestId` when the HTTP layer already chose it. */
  serve(req: NodeServerRequest, res: NodeServerResponse, requestId?: string): void;
  /** Ends the calls still running with UNAVAILABLE (at the end of the grace period). */
  abortCalls(): void;
}

/** Connect (streaming or unary POST, or GET) and gRPC-Web; plain gRPC needs HTTP/2. */
const HTTP1_CONTENT_TYPES = /^application\/(grpc-web(-text)?|connect\+|json|proto)/;

export function createRpcEdge(options: RpcEdgeOptions): RpcEdge {
  const reflection = createEdgeReflection(options.targets, [...REFLECTION_SERVICES, Health]);
  const services = new Set(reflection.listServices());
  const shutdown = new AbortController();
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    readMaxBytes: options.readMaxBytes,
    shutdownSignal: shutdown.signal,
  });
  createRpcRoutes(options)(router);
  addReflectionRoutes(router, reflection);
  addHealthRoutes(router, {
    services: [...new Set(options.targets.map((t) => t.service.typeName))],
    isReady: options.isReady,
  });
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));

  const serviceOf = (path: string) => path.slice(1, path.lastIndexOf("/"));
  return {
    accepts(req) {
      const path = (req.url ?? "").split("?", 1)[0]!;
      if (!services.has(serviceOf(path))) return false;
      if (req.method === "GET") return (req.url ?? "").includes("connect=v1");
      return HTTP1_CONTENT_TYPES.test(req.headers["content-type"] ?? "");
    },
    servesPath: (path) => services.has(serviceOf(path)),
    routeOf: (path) => (handlers.has(path) ? path : "unmatched"),
    serve(req, res, requestId) {
      const origin = rpcCallOrigin(req, options.trustedHops, requestId);
      res.setHeader("x-request-id", origin.requestId);
      const path = (req.url ?? "").split("?", 1)[0]!;
      const handler = handlers.get(path);
      if (!handler) {
        unknownMethod(req, res);
        return;
      }
      const request = universalRequestFromNodeRequest(
        req,
        res,
        undefined,
        createContextValues().set(RPC_CALL_ORIGIN, origin),
      );
      handler(request)
        .then((answer) => universalResponseToNodeResponse(answer, res))
        .catch((error: unknown) => {
          // Mostly a client that left while its answer was written: worth a debug line.
          const gone = res.destroyed || req.destroyed;
          options.logger[gone ? "debug" : "warn"](
            { err: error, rpc: path, requestId: origin.requestId },
            "writing an RPC answer failed",
          );
        });
    },
    abortCalls() {
      // UNAVAILABLE: the client may retry at once, against another replica.
      shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable));
    },
  };
}

/**
 * No handler at this path: an unknown method, or one the edge does not expose. Answered
 * in the caller's protocol, the same for both, so nothing tells them apart.
 */
function unknownMethod(req: NodeServerRequest, res: NodeServerResponse): void {
  const contentType = String(req.headers["content-type"] ?? "");
  const message = `unknown method ${(req.url ?? "").split("?", 1)[0]}`;
  // gRPC's grpc-message: percent-encoded outside printable ASCII (and "%" itself).
  const status = {
    "grpc-status": "12",
    "grpc-message": message.replace(/[^\x20-\x24\x26-\x7e]/gu, encodeURIComponent),
  };
  if (contentType.startsWith("application/grpc-web")) {
    // gRPC-Web reads a status sent in the headers (its "trailers-only" answer).
    res.writeHead(200, { "content-type": contentType.split(";", 1)[0]!, ...status });
    res.end();
    return;
  }
  if (contentType.startsWith("application/grpc")) {
    res.writeHead(200, { "content-type": "application/grpc" });
    res.addTrailers(status);
    res.end();
    return;
  }
  const body = JSON.stringify({ code: "unimplemented", message });
  res.writeHead(404, { "content-type": "application/json" });
  res.end(body);
}
