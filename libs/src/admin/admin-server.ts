import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ServiceError } from "../errors";
import type { Logger } from "../logging";
import type { Metrics } from "../metrics";
import type { Readiness } from "./readiness";

/** A handler for an extra admin path, e.g. user-service's `/.well-known/jwks.json`. */
export type AdminRoute = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface AdminServerOptions {
  /** The service name, echoed in /health and /ready bodies. */
  service: string;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
  /** Extra GET paths; they cannot replace /health, /ready or /metrics. */
  routes?: Readonly<Record<string, AdminRoute>>;
}

export interface AdminServer {
  /** Listens on host:port (0 picks a free port) and resolves the bound port. */
  start(host: string, port: number): Promise<number>;
  /** Stops listening and drops every connection, idle keep-alive ones included. */
  close(): Promise<void>;
}

const BUILT_IN = ["/health", "/ready", "/metrics"];

/**
 * The admin HTTP server of one service instance: `/health` (liveness: 200 while the
 * process runs, draining included), `/ready` (200 only when ready and every critical
 * check is up; 503 with the reason otherwise; the state of every dependency in the body),
 * `/metrics` (Prometheus text) and any extra routes. GET and HEAD only.
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { service, metrics, readiness, logger } = options;
  const routes = new Map(Object.entries(options.routes ?? {}));
  for (const path of routes.keys()) {
    if (BUILT_IN.includes(path) || !path.startsWith("/")) {
      throw new ServiceError(
        Code.INVALID_ARGUMENT,
        `admin route "${path}" must start with "/" and not replace ${BUILT_IN.join(", ")}`,
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const route = routes.get(path);
    if (!route && !BUILT_IN.includes(path)) {
      return sendJson(res, 404, { status: "not_found", path });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { status: "method_not_allowed", method: req.method });
    }
    if (route) return route(req, res);
    if (path === "/health") return sendJson(res, 200, { status: "ok", service });
    if (path === "/ready") {
      const report = await readiness.report();
      return sendJson(res, report.ready ? 200 : 503, {
        status: report.status,
        service,
        checks: report.checks,
      });
    }
    const text = await metrics.render();
    res.writeHead(200, {
      "content-type": metrics.registry.contentType,
      "cache-control": "no-store",
    });
    res.end(text);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error(error, "admin request %s failed", req.url);
      if (!res.headersSent) sendJson(res, 500, { status: "error" });
      else res.destroy();
    });
  });

  return {
    start(host, port) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => {
          reject(
            new ServiceError(
              Code.UNAVAILABLE,
              `admin server cannot listen on ${host}:${port}: ${error.message}`,
              { cause: error },
            ),
          );
        };
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for open sockets: keep-alive scrapers and in-flight probes
        // would hold the shutdown. Probes and scrapes are safe to cut.
        server.closeAllConnections();
      });
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}
