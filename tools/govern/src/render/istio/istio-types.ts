/**
 * Typed models of the Istio v1 resources govern renders, written from Istio's published
 * CRD schemas (security.istio.io/v1, networking.istio.io/v1, telemetry.istio.io/v1;
 * Istio 1.22+). Only the fields govern may use are modelled, and every interface is
 * closed, so a misspelt or unknown field fails type-checking of the renderers.
 * (`@kubernetes-models/istio` for Node 20 models only Istio 1.18's v1beta1.)
 */

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface WorkloadSelector {
  matchLabels: Record<string, string>;
}

type Resource<G extends string, K extends string, S> = {
  apiVersion: G;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
};

// security.istio.io/v1 ------------------------------------------------------------

export type MtlsMode = "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT";

export type PeerAuthentication = Resource<
  "security.istio.io/v1",
  "PeerAuthentication",
  {
    selector?: WorkloadSelector;
    mtls?: { mode: MtlsMode };
    portLevelMtls?: Record<string, { mode: MtlsMode }>;
  }
>;

export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
}

export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthorizationCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

export interface AuthorizationRule {
  from?: { source: AuthorizationSource }[];
  to?: { operation: AuthorizationOperation }[];
  when?: AuthorizationCondition[];
}

export type AuthorizationPolicy = Resource<
  "security.istio.io/v1",
  "AuthorizationPolicy",
  {
    selector?: WorkloadSelector;
    action?: "ALLOW" | "DENY" | "AUDIT";
    rules?: AuthorizationRule[];
  }
>;

export interface JwtRule {
  issuer: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  forwardOriginalToken?: boolean;
  timeout?: string;
}

export type RequestAuthentication = Resource<
  "security.istio.io/v1",
  "RequestAuthentication",
  { selector?: WorkloadSelector; jwtRules: JwtRule[] }
>;

// networking.istio.io/v1 ----------------------------------------------------------

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface HttpMatchRequest {
  name?: string;
  uri?: StringMatch;
  method?: StringMatch;
  port?: number;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

export interface HttpRouteDestination {
  destination: Destination;
  weight?: number;
}

export interface HttpRetry {
  attempts: number;
  perTryTimeout?: string;
  retryOn?: string;
}

export interface CorsPolicy {
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
}

export interface HttpRoute {
  name?: string;
  match?: HttpMatchRequest[];
  route: HttpRouteDestination[];
  timeout?: string;
  retries?: HttpRetry;
  corsPolicy?: CorsPolicy;
}

export type VirtualService = Resource<
  "networking.istio.io/v1",
  "VirtualService",
  { hosts: string[]; gateways?: string[]; http: HttpRoute[]; exportTo?: string[] }
>;

export interface ConnectionPoolSettings {
  tcp?: { maxConnections?: number; connectTimeout?: string };
  http?: {
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    idleTimeout?: string;
  };
}

export interface OutlierDetection {
  consecutive5xxErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
}

export interface TrafficPolicy {
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: { mode: "DISABLE" | "SIMPLE" | "MUTUAL" | "ISTIO_MUTUAL" };
}

export interface Subset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export type DestinationRule = Resource<
  "networking.istio.io/v1",
  "DestinationRule",
  { host: string; trafficPolicy?: TrafficPolicy; subsets?: Subset[]; exportTo?: string[] }
>;

export interface GatewayServer {
  name?: string;
  port: { number: number; name: string; protocol: "HTTP" | "HTTPS" | "GRPC" | "HTTP2" | "TCP" };
  hosts: string[];
}

export type Gateway = Resource<
  "networking.istio.io/v1",
  "Gateway",
  { selector: Record<string, string>; servers: GatewayServer[] }
>;

export interface IstioEgressListener {
  port?: { number: number; protocol: string; name: string };
  hosts: string[];
}

export type Sidecar = Resource<
  "networking.istio.io/v1",
  "Sidecar",
  {
    workloadSelector?: { labels: Record<string, string> };
    egress?: IstioEgressListener[];
    outboundTrafficPolicy?: { mode: "REGISTRY_ONLY" | "ALLOW_ANY" };
  }
>;

// telemetry.istio.io/v1 -----------------------------------------------------------

export type Telemetry = Resource<
  "telemetry.istio.io/v1",
  "Telemetry",
  {
    selector?: WorkloadSelector;
    tracing?: { providers?: { name: string }[]; randomSamplingPercentage?: number }[];
  }
>;

export type IstioResource =
  | PeerAuthentication
  | AuthorizationPolicy
  | RequestAuthentication
  | VirtualService
  | DestinationRule
  | Gateway
  | Sidecar
  | Telemetry;
