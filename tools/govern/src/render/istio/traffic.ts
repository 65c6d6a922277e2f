/**
 * How the mesh calls a service: a VirtualService (timeouts, retries with gRPC retry
 * conditions, per-RPC overrides, version weights) and a DestinationRule (subsets,
 * connection pool, outlier detection). Routes are emitted only for RPCs that differ
 * from the service's defaults, most specific first; the last route catches the rest.
 */
import type {
  EffectiveRepo,
  EffectiveRetries,
  EffectiveRpc,
  EffectiveService,
} from "../../model/effective-types";
import { formatDuration } from "../../policy/duration";
import { fqdn, kebab } from "../naming";
import { type RenderedFile, yamlFile } from "../output";
import type {
  DestinationRule,
  HttpRetry,
  HttpRoute,
  HttpRouteDestination,
  VirtualService,
} from "./istio-types";

/** Istio's HTTPRetry; `attempts: 0` must stand alone (Istio refuses other fields with it). */
export function httpRetry(retries: EffectiveRetries): HttpRetry {
  if (retries.attempts === 0) return { attempts: 0 };
  return {
    attempts: retries.attempts,
    perTryTimeout: formatDuration(retries.perTryTimeoutMs),
    retryOn: retries.retryOn.join(","),
  };
}

/** Weighted destinations, one per version subset. */
export function versionDestinations(service: EffectiveService, host: string, port?: number) {
  return service.versions.map(
    (v): HttpRouteDestination => ({
      destination: { host, subset: v.name, ...(port ? { port: { number: port } } : {}) },
      weight: v.weight,
    }),
  );
}

const sameRetries = (a: EffectiveRetries, b: EffectiveRetries) =>
  JSON.stringify(httpRetry(a)) === JSON.stringify(httpRetry(b));

function differs(service: EffectiveService, rpc: EffectiveRpc): boolean {
  return rpc.timeoutMs !== service.timeoutMs || !sameRetries(rpc.retries, service.retries);
}

function route(
  name: string,
  path: string | undefined,
  timeoutMs: number,
  retries: EffectiveRetries,
  destinations: HttpRouteDestination[],
): HttpRoute {
  return {
    name,
    ...(path ? { match: [{ uri: { exact: path } }] } : {}),
    route: destinations,
    timeout: formatDuration(timeoutMs),
    retries: httpRetry(retries),
  };
}

export function renderTraffic(repo: EffectiveRepo, service: EffectiveService): RenderedFile[] {
  const { namespace, manifestFile } = repo.mesh;
  const host = fqdn(service.name, namespace);
  const destinations = versionDestinations(service, host);
  const sources = [service.file, manifestFile];
  const files: RenderedFile[] = [];
  if (service.rpcs.length > 0) {
    const overrides = service.rpcs
      .filter((rpc) => differs(service, rpc))
      .map((rpc) =>
        route(kebab(rpc.fact.name), rpc.fact.path, rpc.timeoutMs, rpc.retries, destinations),
      );
    const vs: VirtualService = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: service.name, namespace },
      spec: {
        hosts: [host],
        http: [
          ...overrides,
          route("default", undefined, service.timeoutMs, service.retries, destinations),
        ],
      },
    };
    files.push(yamlFile(`istio/${service.name}/virtual-service.yaml`, sources, [vs]));
  }
  const { connectionPool: pool, outlierDetection: od } = service;
  const dr: DestinationRule = {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: service.name, namespace },
    spec: {
      host,
      trafficPolicy: {
        tls: { mode: "ISTIO_MUTUAL" },
        connectionPool: {
          tcp: {
            maxConnections: pool.maxConnections,
            connectTimeout: formatDuration(pool.connectTimeoutMs),
          },
          http: {
            http2MaxRequests: pool.http2MaxRequests,
            maxRequestsPerConnection: pool.maxRequestsPerConnection,
            idleTimeout: formatDuration(pool.idleTimeoutMs),
          },
        },
        outlierDetection: {
          consecutive5xxErrors: od.consecutive5xxErrors,
          interval: formatDuration(od.intervalMs),
          baseEjectionTime: formatDuration(od.baseEjectionTimeMs),
          maxEjectionPercent: od.maxEjectionPercent,
        },
      },
      subsets: service.versions.map((v) => ({ name: v.name, labels: { version: v.name } })),
    },
  };
  files.push(yamlFile(`istio/${service.name}/destination-rule.yaml`, sources, [dr]));
  return files;
}
