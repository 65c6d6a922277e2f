/**
 * The effective policy of each service: the manifest's defaults, the service's policy
 * and the contracts merged into plain numbers, with where each value came from. Every
 * renderer reads this model and nothing else, so Istio, the runtime config and the
 * deploy patches cannot disagree.
 */
import type { ServiceName } from "@shop/libs/mesh";
import type { RpcFact } from "../contracts/rpc-facts";
import type {
  Budgets,
  EdgeSpec,
  ExceptionSpec,
  InfrastructureSpec,
  Layer,
  RedisUse,
  RetryOn,
  ScenarioSpec,
  VersionSpec,
} from "../policy/types";

/** Where a value came from: `file:line:column (what)`, or a rule's explanation. */
export type Origins = Map<string, string>;

export interface EffectiveRetries {
  /** Retries after the first attempt; 0 disables. */
  attempts: number;
  perTryTimeoutMs: number;
  retryOn: RetryOn[];
  backoff: { initialMs: number; maxMs: number; multiplier: number };
}

export interface EffectiveRpc {
  fact: RpcFact;
  callers: ServiceName[];
  /** 0 for server-streaming RPCs: a route timeout would cut the stream. */
  timeoutMs: number;
  retries: EffectiveRetries;
  idempotencyKey: boolean;
}

export interface EffectiveFault {
  name: string;
  rpc: RpcFact;
  kind: "delay" | "error";
  delayMs?: number;
  code?: string;
  percent: number;
  /** `FAULT_<NAME>`: the switch, off unless set to 1 or true. */
  env: string;
}

export interface EffectiveDependencies {
  /** Callee -> the RPC names called, and whether they are found by generic routing. */
  services: { service: ServiceName; rpcs: string[]; generic: boolean }[];
  jwks?: ServiceName;
  postgres?: string;
  redis: RedisUse[];
  otlp: boolean;
  consumes: { from: ServiceName; events: string[]; mode: "group" | "tail" }[];
}

export interface EffectiveService {
  name: ServiceName;
  /** The policy file, relative to the repository root. */
  file: string;
  owner: string;
  layer: Layer;
  httpPort: number;
  grpcPort: number;
  database?: string;
  serves: string[];
  rpcs: EffectiveRpc[];
  timeoutMs: number;
  retries: EffectiveRetries;
  outlierDetection: {
    consecutive5xxErrors: number;
    intervalMs: number;
    baseEjectionTimeMs: number;
    maxEjectionPercent: number;
  };
  connectionPool: {
    maxConnections: number;
    connectTimeoutMs: number;
    http2MaxRequests: number;
    maxRequestsPerConnection: number;
    idleTimeoutMs: number;
  };
  breaker: { errorThresholdPercent: number; volumeThreshold: number; resetTimeoutMs: number };
  mtls: "STRICT";
  egress: "REGISTRY_ONLY";
  tracingSamplePercent: number;
  versions: VersionSpec[];
  dependencies: EffectiveDependencies;
  faults: EffectiveFault[];
  edge?: EdgeSpec;
  /** The service's own budget overrides (tighter than the manifest's). */
  budgets: Budgets;
  origins: Origins;
}

export interface EffectiveMesh {
  /** The manifest's defaults: what a call gets when no policy says otherwise. */
  defaults: { timeoutMs: number; retries: EffectiveRetries };
  namespace: string;
  trustDomain: string;
  ingress: { namespace: string; selector: Record<string, string>; serviceAccount: string };
  tracingSamplePercent: number;
  infrastructure: Record<string, InfrastructureSpec>;
  exceptions: ExceptionSpec[];
  budgets: Budgets;
  scenarios: Record<string, ScenarioSpec>;
  passwordHashCostMs: number;
  /** `.repo/repo.manifest.yaml` */
  manifestFile: string;
}

export interface EffectiveRepo {
  mesh: EffectiveMesh;
  /** Sorted by name. */
  services: EffectiveService[];
}
