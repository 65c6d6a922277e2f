/**
 * The edge: Istio's ingress Gateway (REST on 8000, gRPC on 9000) and its VirtualService
 * to the api-gateway's version subsets, with CORS answered at the ingress; and JWT at
 * the api-gateway workload: a RequestAuthentication that rejects invalid tokens and a
 * DENY policy for requests without a valid token outside the public routes.
 *
 * The JWKS is referenced by `jwksUri` (user-service's in-cluster URL), not inlined:
 * inlining needs the keys at render time, before user-service exists and every time
 * keys rotate. istiod fetches it in plaintext; the manifest's control-plane-jwks
 * exception opens exactly that path.
 */
import type { EffectiveRepo, EffectiveService } from "../../model/effective-types";
import { durationMs } from "../../policy/duration";
import { appSelector, fqdn } from "../naming";
import { type RenderedFile, yamlFile } from "../output";
import type {
  AuthorizationPolicy,
  AuthorizationRule,
  Gateway,
  HttpRoute,
  RequestAuthentication,
  VirtualService,
} from "./istio-types";
import { versionDestinations } from "./traffic";

export const INGRESS_GATEWAY = "shop-ingress";

/**
 * An AuthorizationPolicy path for a REST template: a whole-segment variable becomes
 * Istio's `{*}` (one segment), `{x=**}` becomes `{**}`; a variable inside a segment
 * (`{id}:watch`) cannot be expressed and falls back to a prefix match from there.
 */
export function authzPath(template: string): string {
  const segments = template.split("/");
  const out: string[] = [];
  for (const segment of segments) {
    if (/^\{[^}=]+\}$/.test(segment)) out.push("{*}");
    else if (/^\{[^}=]+=\*\*\}$/.test(segment)) out.push("{**}");
    else if (segment.includes("{")) return `${out.join("/")}/*`;
    else out.push(segment);
  }
  return out.join("/");
}

/** Paths and methods reachable without a token: PUBLIC RPCs (REST and gRPC) and the policy's list. */
export function publicRoutes(
  repo: EffectiveRepo,
  gateway: EffectiveService,
): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  const add = (path: string, method: string) =>
    routes.set(path, (routes.get(path) ?? new Set()).add(method));
  for (const s of repo.services)
    for (const rpc of s.rpcs) {
      if (rpc.fact.access !== "PUBLIC") continue;
      add(rpc.fact.path, "POST");
      if (rpc.fact.readOnly) add(rpc.fact.path, "GET"); // Connect's GET for side-effect-free RPCs
      if (rpc.fact.http) add(authzPath(rpc.fact.http.path), rpc.fact.http.method);
    }
  for (const path of gateway.edge?.publicPaths ?? []) add(path, "GET");
  return new Map([...routes.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function jwtResources(repo: EffectiveRepo, gateway: EffectiveService) {
  const { namespace } = repo.mesh;
  const edge = gateway.edge!;
  const selector = { matchLabels: appSelector(gateway.name) };
  const requestAuth: RequestAuthentication = {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name: `${gateway.name}-jwt`, namespace },
    spec: {
      selector,
      jwtRules: [
        {
          issuer: edge.jwt.issuer,
          audiences: [...edge.jwt.audiences],
          jwksUri: edge.jwt.jwksUri,
          fromHeaders: [{ name: "authorization", prefix: "Bearer " }],
          forwardOriginalToken: true,
        },
      ],
    },
  };
  const routes = publicRoutes(repo, gateway);
  // Paths that admit the same methods share one rule.
  const byMethods = new Map<string, string[]>();
  for (const [path, methods] of routes) {
    const key = [...methods, "OPTIONS"].sort().join(",");
    byMethods.set(key, [...(byMethods.get(key) ?? []), path]);
  }
  const anonymous = [{ source: { notRequestPrincipals: ["*"] } }];
  // CORS preflights carry no token; the ingress answers them, this keeps them harmless.
  const rules: AuthorizationRule[] = [
    {
      from: anonymous,
      to: [{ operation: { notPaths: [...routes.keys()], notMethods: ["OPTIONS"] } }],
    },
    ...[...byMethods.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([methods, paths]) => ({
        from: anonymous,
        to: [{ operation: { paths, notMethods: methods.split(",") } }],
      })),
  ];
  const deny: AuthorizationPolicy = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: `${gateway.name}-require-jwt`, namespace },
    spec: { selector, action: "DENY", rules },
  };
  return { requestAuth, deny };
}

function ingressResources(repo: EffectiveRepo, gateway: EffectiveService) {
  const { namespace, ingress } = repo.mesh;
  const edge = gateway.edge!;
  const hosts = [...edge.hosts].sort();
  const gw: Gateway = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: INGRESS_GATEWAY, namespace },
    spec: {
      selector: { ...ingress.selector },
      servers: [
        { port: { number: gateway.httpPort, name: "http-rest", protocol: "HTTP" }, hosts },
        { port: { number: gateway.grpcPort, name: "grpc", protocol: "GRPC" }, hosts },
      ],
    },
  };
  const cors = {
    allowOrigins: edge.cors.allowOrigins.map((exact) => ({ exact })),
    allowMethods: [...edge.cors.allowMethods],
    allowHeaders: [...edge.cors.allowHeaders],
    exposeHeaders: [...edge.cors.exposeHeaders],
    maxAge: `${durationMs(edge.cors.maxAge) / 1000}s`,
    allowCredentials: edge.cors.allowCredentials,
  };
  const host = fqdn(gateway.name, namespace);
  // No retries at the edge: the api-gateway knows which calls are safe to repeat.
  const route = (name: string, port: number): HttpRoute => ({
    name,
    match: [{ port }],
    route: versionDestinations(gateway, host, port),
    retries: { attempts: 0 },
    corsPolicy: cors,
  });
  const vs: VirtualService = {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: INGRESS_GATEWAY, namespace },
    spec: {
      hosts,
      gateways: [INGRESS_GATEWAY],
      http: [route("rest", gateway.httpPort), route("grpc", gateway.grpcPort)],
    },
  };
  return { gw, vs };
}

export function renderEdge(repo: EffectiveRepo, gateway: EffectiveService): RenderedFile[] {
  const sources = [gateway.file, repo.mesh.manifestFile];
  const contractSources = [...sources, ...repo.services.map((s) => s.file)];
  const { requestAuth, deny } = jwtResources(repo, gateway);
  const { gw, vs } = ingressResources(repo, gateway);
  return [
    yamlFile(`istio/${gateway.name}/request-authentication.yaml`, sources, [requestAuth]),
    yamlFile(`istio/${gateway.name}/require-jwt.yaml`, contractSources, [deny]),
    yamlFile("istio/ingress/gateway.yaml", sources, [gw]),
    yamlFile("istio/ingress/virtual-service.yaml", sources, [vs]),
  ];
}
