/**
 * `.repo/generated/<service>.json`: the runtime config type of libs/src/runtime-config,
 * rendered from the same effective model as Istio, so grpc-js (MESH_MODE=local) and
 * Envoy (MESH_MODE=istio) apply the same timeouts and retries. The JSON carries no
 * header: the libs schema is strict and JSON has no comments; `.repo/generated/
 * README.md` names the sources.
 */
import type { RuntimeConfig } from "@shop/libs/runtime-config";
import type { EffectiveRepo, EffectiveRetries, EffectiveService } from "../model/effective-types";
import type { RetryOn } from "../policy/types";
import { responseCacheRules } from "./edge-config";
import { jsonFile, type RenderedFile } from "./output";

type RetryPolicy = RuntimeConfig["defaults"]["retry"];
type StatusCodeName = RetryPolicy["retryableStatusCodes"][number];

/**
 * How Envoy's retry conditions surface in grpc-js: the gRPC ones by name; a connection
 * that failed, was refused or reset surfaces as UNAVAILABLE.
 */
const STATUS_OF: Record<RetryOn, StatusCodeName | undefined> = {
  cancelled: "CANCELLED",
  "deadline-exceeded": "DEADLINE_EXCEEDED",
  internal: "INTERNAL",
  "resource-exhausted": "RESOURCE_EXHAUSTED",
  unavailable: "UNAVAILABLE",
  "connect-failure": "UNAVAILABLE",
  "refused-stream": "UNAVAILABLE",
  reset: "UNAVAILABLE",
  "reset-before-request": "UNAVAILABLE",
  "5xx": "UNAVAILABLE",
  "gateway-error": "UNAVAILABLE",
  "envoy-ratelimited": undefined,
  "retriable-4xx": undefined,
  "retriable-status-codes": undefined,
  "retriable-headers": undefined,
  "http3-post-connect-failure": undefined,
};

/** A stream has no deadline in the mesh; locally it gets the longest the schema allows. */
const STREAM_TIMEOUT_MS = 600_000;

export function retryPolicy(retries: EffectiveRetries): RetryPolicy {
  const codes = new Set(retries.retryOn.map((r) => STATUS_OF[r]).filter((c) => c !== undefined));
  return {
    // Istio counts retries; grpc-js counts attempts, the first included.
    maxAttempts: retries.attempts + 1,
    initialBackoffMs: retries.backoff.initialMs,
    maxBackoffMs: retries.backoff.maxMs,
    backoffMultiplier: retries.backoff.multiplier,
    retryableStatusCodes: retries.attempts === 0 ? [] : [...codes].sort(),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function upstream(callee: EffectiveService, rpcs: string[]) {
  const retry = retryPolicy(callee.retries);
  const methods: Record<string, { timeoutMs?: number; retry?: RetryPolicy }> = {};
  for (const rpc of callee.rpcs.filter((r) => rpcs.includes(r.fact.name))) {
    const timeoutMs =
      rpc.fact.serverStreaming && rpc.timeoutMs === 0 ? STREAM_TIMEOUT_MS : rpc.timeoutMs;
    const own = retryPolicy(rpc.retries);
    const override = {
      ...(timeoutMs !== callee.timeoutMs ? { timeoutMs } : {}),
      ...(same(own, retry) ? {} : { retry: own }),
    };
    if (Object.keys(override).length > 0) methods[rpc.fact.name] = override;
  }
  return {
    timeoutMs: callee.timeoutMs,
    retry,
    breaker: { ...callee.breaker },
    ...(Object.keys(methods).length > 0 ? { methods } : {}),
  };
}

export function runtimeConfig(repo: EffectiveRepo, service: EffectiveService): RuntimeConfig {
  const upstreams: RuntimeConfig["upstreams"] = {};
  for (const dep of service.dependencies.services) {
    const callee = repo.services.find((s) => s.name === dep.service)!;
    upstreams[dep.service] = upstream(callee, dep.rpcs);
  }
  const allowedCallers: RuntimeConfig["allowedCallers"] = {};
  for (const rpc of service.rpcs)
    if (rpc.fact.access === "INTERNAL") allowedCallers[rpc.fact.fullName] = [...rpc.callers];
  const faults: RuntimeConfig["faults"] = {};
  for (const f of service.faults) {
    const base = { method: f.rpc.fullName, percent: f.percent, env: f.env };
    faults[f.name] =
      f.kind === "delay"
        ? { ...base, kind: "delay", delayMs: f.delayMs! }
        : { ...base, kind: "error", code: f.code as StatusCodeName };
  }
  return {
    service: service.name,
    defaults: {
      timeoutMs: repo.mesh.defaults.timeoutMs,
      retry: retryPolicy(repo.mesh.defaults.retries),
    },
    upstreams,
    allowedCallers,
    faults,
    responseCache: responseCacheRules(service),
  };
}

export function renderRuntimeConfigs(repo: EffectiveRepo): RenderedFile[] {
  return repo.services.map((s) =>
    jsonFile(`.repo/generated/${s.name}.json`, runtimeConfig(repo, s)),
  );
}
