/**
 * The two policy documents as they are written in YAML, after schema validation:
 * `.repo/repo.manifest.yaml` (kind RepoManifest) and each `.repo/policy.yaml` (kind
 * ServicePolicy). Durations are strings (`2s`); `effective.ts` turns them into numbers.
 * The JSON Schema in `schema.ts` describes the same shapes and rejects unknown keys.
 */

export type BudgetMode = "gate" | "target";
export type Layer = "application" | "domain-data";
export type AccessLevel = "PUBLIC" | "AUTHENTICATED" | "ADMIN" | "INTERNAL";
export type RedisUse = "cache" | "rate-limits" | "event-bus" | "throttle";

/** Envoy's retry conditions for HTTP and for gRPC (`x-envoy-retry-grpc-on`). */
export const RETRY_ON_GRPC = [
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
] as const;
export const RETRY_ON_HTTP = [
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "envoy-ratelimited",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "http3-post-connect-failure",
] as const;
export type RetryOn = (typeof RETRY_ON_GRPC)[number] | (typeof RETRY_ON_HTTP)[number];

export interface RetriesSpec {
  /** Retries after the first attempt (Istio's `attempts`); 0 disables retries. */
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: RetryOn[];
  /** Client-side backoff for grpc-js retries in local mode (Envoy uses its own). */
  backoff?: { initial: string; max: string; multiplier: number };
}

export interface OutlierDetectionSpec {
  consecutive5xxErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
}

export interface ConnectionPoolSpec {
  maxConnections?: number;
  connectTimeout?: string;
  http2MaxRequests?: number;
  maxRequestsPerConnection?: number;
  idleTimeout?: string;
}

/** The application-level breaker (runtime config): opens on an error share. */
export interface BreakerSpec {
  errorThresholdPercent?: number;
  volumeThreshold?: number;
  resetTimeout?: string;
}

export interface ResilienceSpec {
  timeout?: string;
  retries?: RetriesSpec;
  outlierDetection?: OutlierDetectionSpec;
  connectionPool?: ConnectionPoolSpec;
  breaker?: BreakerSpec;
}

/** One budget as the manifest states it; a policy restates only what it tightens. */
export interface BudgetSpec {
  mode?: BudgetMode;
  /** Upper bound as a duration: latency and startup. */
  max?: string;
  maxPercent?: number;
  minPercent?: number;
  maxMb?: number;
  minRps?: number;
  /** Which concurrency a latency budget is measured at. */
  at?: "reference" | "high";
  /** Services the budget applies to; all when absent. */
  services?: string[];
  /** Why a scenario's budget differs from the shared one. */
  reason?: string;
  /** Adds this many password hashes (manifest `passwordHash.costMs` each) to `max`. */
  passwordHashes?: number;
}

export type BudgetName =
  | "latencyP95"
  | "latencyP95High"
  | "errorRate"
  | "availability"
  | "throughput"
  | "startup"
  | "startupTarget"
  | "memory"
  | "memoryTarget"
  | "cpu";

export type Budgets = Partial<Record<BudgetName, BudgetSpec>>;

export interface ScenarioSpec {
  service: string;
  referenceConcurrency: number;
  budgets?: Budgets;
}

export interface MeshDefaults extends ResilienceSpec {
  mtls: "STRICT" | "PERMISSIVE";
  egress: "REGISTRY_ONLY" | "ALLOW_ANY";
  tracing: { samplePercent: number };
}

export interface Floors {
  mtls: "STRICT";
  egress: "REGISTRY_ONLY";
  maxTimeout: string;
  maxRetryAttempts: number;
  requireOwner: boolean;
  /** Outlier detection must eject after at most this many consecutive errors. */
  maxConsecutive5xxErrors: number;
  minTracingSamplePercent: number;
}

export type InfrastructureKind = "postgres" | "redis" | "otlp";

export interface InfrastructureSpec {
  kind: InfrastructureKind;
  host: string;
  port: number;
  /** Runs in the shop namespace without a sidecar (a data store). */
  sidecar: boolean;
  /** Pod label `app` of the store, for its NetworkPolicy. */
  app?: string;
}

export type ExceptionSpec =
  | { name: string; kind: "probe-rewrite"; reason: string }
  | { name: string; kind: "metrics-merge"; reason: string }
  | {
      name: string;
      kind: "control-plane-jwks";
      reason: string;
      service: string;
      port: number;
      path: string;
    };

export interface RepoManifest {
  apiVersion: "govern.shop.dev/v1";
  kind: "RepoManifest";
  namespace: string;
  trustDomain: string;
  ingress: { namespace: string; selector: Record<string, string>; serviceAccount: string };
  passwordHash: { algorithm: string; costMs: number };
  budgets: Budgets;
  scenarios: Record<string, ScenarioSpec>;
  mesh: MeshDefaults;
  floors: Floors;
  infrastructure: Record<string, InfrastructureSpec>;
  exceptions: ExceptionSpec[];
}

export interface RpcPolicy {
  callers: string[];
  timeout?: string;
  retries?: RetriesSpec;
  /** `required`: the RPC is idempotent by its idempotency key, so it may be retried. */
  idempotencyKey?: "required";
}

export interface ServiceDependency {
  /** RPC names, or every non-internal RPC (the gateway's generic transcoding). */
  rpcs: string[] | "non-internal";
}

export interface Dependencies {
  services?: Record<string, ServiceDependency>;
  /** Fetches this service's JWKS over HTTP. */
  jwks?: string;
  postgres?: string;
  redis?: RedisUse[];
  otlp?: boolean;
  events?: { consumes?: { from: string; events: string[]; mode: "group" | "tail" }[] };
}

export interface FaultSpec {
  rpc: string;
  kind: "delay" | "error";
  delay?: string;
  code?: string;
  percent: number;
}

export interface VersionSpec {
  name: string;
  weight: number;
}

export interface RateLimitGroup {
  key: "client-ip" | "user";
  limit: number;
  window: string;
  rpcs?: string[];
}

export interface EdgeSpec {
  hosts: string[];
  jwt: { issuer: string; audiences: string[]; jwksUri: string };
  publicPaths: string[];
  rateLimits: Record<string, RateLimitGroup>;
  cache: Record<string, { ttl: string }>;
  cors: {
    allowOrigins: string[];
    allowMethods: string[];
    allowHeaders: string[];
    exposeHeaders: string[];
    maxAge: string;
    allowCredentials: boolean;
  };
}

export interface ServicePolicy {
  apiVersion: "govern.shop.dev/v1";
  kind: "ServicePolicy";
  service: string;
  owner?: string;
  layer: Layer;
  serves: string[];
  data?: { postgres?: string; streams?: string[] };
  dependencies?: Dependencies;
  rpcs?: Record<string, RpcPolicy>;
  resilience?: ResilienceSpec;
  /** Mesh settings a service may tighten within the floors. */
  mesh?: {
    mtls?: "STRICT" | "PERMISSIVE" | "DISABLE";
    egress?: "REGISTRY_ONLY" | "ALLOW_ANY";
    tracing?: { samplePercent: number };
  };
  versions: VersionSpec[];
  budgets?: Budgets;
  faults?: Record<string, FaultSpec>;
  edge?: EdgeSpec;
}
