/**
 * The gateway's HTTP/1.1 server on port 8000: /api/** (transcoded routes and
 * aggregation routes), Connect and gRPC-Web calls (handed to the RPC edge by path and
 * content type), /health, /ready, /metrics, /openapi.json and /docs, CORS, the
 * request id on every answer, per-route metrics, and a graceful stop (stop accepting,
 * let requests in flight finish within the grace period, then cut what is left).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { AggregationRoute } from "../aggregation/aggregation-route";
import type { EdgePipeline } from "../edge/edge-pipeline";
import type { RpcEdge } from "../rpc/rpc-edge";
import type { RestBinding } from "../transcoding/http-rule-bindings";
import type { JsonCodec } from "../transcoding/json-codec";
import { PathValueError } from "../transcoding/path-template";
import type { Router } from "../transcoding/router";
import type { Cors } from "./cors";
import { edgeRequestFromHttp, requestIdOf } from "./edge-request-from-http";
import { httpError } from "./error-writer";
import { createHttpExchange, type HttpExchange } from "./http-exchange";
import type { HttpMetrics } from "./http-metrics";
import type { RestHandler } from "./rest-handler";

export type RouteTarget =
  | { readonly kind: "rest"; readonly binding: RestBinding }
  | { readonly kind: "aggregation"; readonly route: AggregationRoute };

/** The non-API paths, each answering GET and HEAD. */
export interface BuiltInRoutes {
  readonly [path: string]: (exchange: HttpExchange) => Promise<void> | void;
}

export interface HttpServerOptions {
  router: Router<RouteTarget>;
  rest: RestHandler;
  pipeline: EdgePipeline;
  codec: JsonCodec;
  builtIns: BuiltInRoutes;
  cors: Cors;
  metrics: HttpMetrics;
  logger: Logger;
  aggregationTimeoutMs: number;
  trustedHops: number;
  /** Connect and gRPC-Web calls on this port; none: REST only. */
  rpc?: RpcEdge;
}

export interface HttpServer {
  start(host: string, port: number): Promise<number>;
  /**
   * Stops accepting; waits up to `graceMs` for requests in flight, then cuts them.
   * @param beforeCut runs when requests are still in flight after the grace period
   */
  stop(graceMs: number, beforeCut?: () => Promise<void>): Promise<void>;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { router, cors, logger } = options;
  const registry = options.codec.registry;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function dispatch(exchange: HttpExchange, method: string): Promise<string> {
    const builtIn = options.builtIns[exchange.rawPath];
    if (builtIn) {
      if (method !== "GET" && method !== "HEAD") {
        throw httpError(405, Code.UNIMPLEMENTED, `${method} is not allowed here`, {
          allow: "GET, HEAD",
        });
      }
      await builtIn(exchange);
      return exchange.rawPath;
    }
    const preflight = method === "OPTIONS" && exchange.req.headers["access-control-request-method"];
    if (preflight && options.rpc?.servesPath(exchange.rawPath)) {
      exchange.res.writeHead(204, {
        ...cors.preflight(exchange.req.headers.origin, ["POST", "GET"]),
        "x-request-id": exchange.requestId,
      });
      exchange.res.end();
      return "preflight";
    }
    const match = matchRoute(router, preflight ? String(preflight) : method, exchange.rawPath);
    if (preflight) {
      if (match.kind === "not-found") throw httpError(404, Code.NOT_FOUND, "no such route");
      const methods = match.kind === "found" ? [match.entry.httpMethod] : match.allowed;
      exchange.res.writeHead(204, {
        ...cors.preflight(exchange.req.headers.origin, methods),
        "x-request-id": exchange.requestId,
      });
      exchange.res.end();
      return "preflight";
    }
    if (match.kind === "not-found") {
      throw httpError(404, Code.NOT_FOUND, `no route for ${method} ${exchange.rawPath}`);
    }
    if (match.kind === "method-not-allowed") {
      throw httpError(405, Code.UNIMPLEMENTED, `${method} is not allowed for this path`, {
        allow: match.allowed.join(", "),
      });
    }
    const { target, template } = match.entry;
    if (target.kind === "rest") {
      await options.rest(exchange, target.binding, match.params);
    } else {
      await aggregate(exchange, target.route, match.params);
    }
    return template.source;
  }

  async function aggregate(
    exchange: HttpExchange,
    route: AggregationRoute,
    params: ReadonlyMap<string, string>,
  ): Promise<void> {
    const request = edgeRequestFromHttp(exchange.req, {
      requestId: exchange.requestId,
      trustedHops: options.trustedHops,
      signal: exchange.signal,
    });
    const admission = await options.pipeline.admit(request, {
      name: route.id,
      access: route.access,
    });
    exchange.addHeaders(admission.headers);
    const timeoutMs = Math.min(
      request.timeoutMs ?? options.aggregationTimeoutMs,
      options.aggregationTimeoutMs,
    );
    await route.handle(exchange, params, {
      pipeline: options.pipeline,
      codec: options.codec,
      request,
      deadline: new Date(Date.now() + timeoutMs),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const done = options.metrics.start();
    const started = performance.now();
    const method = req.method ?? "GET";
    const requestId = requestIdOf(req);
    const { rpc } = options;
    if (rpc?.accepts(req)) {
      // Connect or gRPC-Web: the RPC edge answers (and logs the call) in its protocol.
      for (const [name, value] of Object.entries(cors.headers(req.headers.origin))) {
        res.setHeader(name, value as string | string[]);
      }
      rpc.serve(req, res, requestId);
      if (!res.writableEnded) await new Promise((resolve) => res.once("close", resolve));
      done(rpc.routeOf((req.url ?? "").split("?", 1)[0]!), method, res.statusCode);
      return;
    }
    const exchange = createHttpExchange(req, res, {
      requestId,
      headers: cors.headers(req.headers.origin),
      registry,
      logger,
    });
    let route = "unmatched";
    try {
      route = await dispatch(exchange, method);
    } catch (error) {
      exchange.sendError(error);
    }
    if (!res.writableEnded) await new Promise((resolve) => res.once("close", resolve));
    done(route, method, res.statusCode);
    // One line per request, like the services' "rpc completed"; never the headers.
    if (logger.isLevelEnabled("info")) {
      logger.info(
        {
          requestId,
          method,
          route,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        },
        "request completed",
      );
    }
  }

  const server = createServer((req, res) => {
    inFlight += 1;
    handle(req, res)
      .catch((error: unknown) => {
        logger.error({ err: error }, "request handling failed");
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      });
  });
  // Longer than typical load balancers' idle timeout, so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return {
    start(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async stop(graceMs, beforeCut) {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (inFlight > 0) await beforeCut?.();
      server.closeAllConnections();
      await closed;
    },
  };
}

function matchRoute(router: Router<RouteTarget>, method: string, rawPath: string) {
  try {
    return router.match(method, rawPath);
  } catch (error) {
    if (!(error instanceof PathValueError)) throw error;
    throw ServiceError.invalidArgument([
      { field: error.field, description: "malformed percent-encoding" },
    ]);
  }
}

/** A built-in route answering JSON. */
export function jsonRoute(body: () => Promise<{ status: number; body: JsonValue }>) {
  return async (exchange: HttpExchange) => {
    const answer = await body();
    exchange.sendJson(answer.status, answer.body, { "cache-control": "no-store" });
  };
}
