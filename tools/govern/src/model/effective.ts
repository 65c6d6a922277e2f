/**
 * Merges a validated `PolicySet` into the effective model: for every value the most
 * specific statement wins (RPC entry, then the service's policy, then the manifest's
 * mesh defaults), the contracts switch retries off where a repeat is unsafe, and each
 * value records its origin for `govern explain`.
 */
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import type { RpcFact } from "../contracts/rpc-facts";
import { durationMs } from "../policy/duration";
import type { Loaded, PolicySet } from "../policy/load";
import type { RetriesSpec, RpcPolicy, ServicePolicy } from "../policy/types";
import { type PathSegment, positionOf } from "../policy/yaml-source";
import type {
  EffectiveRepo,
  EffectiveRetries,
  EffectiveRpc,
  EffectiveService,
  Origins,
} from "./effective-types";

type Candidate = [Loaded<unknown>, PathSegment[], string];

/** Records the origin of each value it picks. */
function createPicker(origins: Origins) {
  const where = ([loaded, path, what]: Candidate) => {
    const p = positionOf(loaded.source, path);
    return `${p.file}:${p.line}:${p.column} (${what})`;
  };
  return {
    /** The first candidate whose YAML path holds a value. */
    pick<T>(key: string, candidates: Candidate[], read: (value: unknown) => T): T {
      for (const candidate of candidates) {
        const value = candidate[0].source.doc.getIn(candidate[1]);
        if (value !== undefined) {
          origins.set(key, where(candidate));
          return read(value);
        }
      }
      throw new Error(`no value for ${key}: the manifest's mesh defaults should hold one`);
    },
    set(key: string, origin: string): void {
      origins.set(key, origin);
    },
  };
}

const asMs = (v: unknown) => durationMs(String(v));
const asNumber = (v: unknown) => Number(v);
const asJs = <T>(v: unknown): T =>
  (typeof v === "object" && v !== null && "toJSON" in v ? (v as { toJSON(): T }).toJSON() : v) as T;

function mergeRetries(
  pick: ReturnType<typeof createPicker>["pick"],
  prefix: string,
  layers: Candidate[],
): EffectiveRetries {
  const at = (field: PathSegment[], what: Candidate[]) =>
    what.map(([l, p, w]) => [l, [...p, ...field], w] as Candidate);
  return {
    attempts: pick(`${prefix}.attempts`, at(["attempts"], layers), asNumber),
    perTryTimeoutMs: pick(`${prefix}.perTryTimeout`, at(["perTryTimeout"], layers), asMs),
    retryOn: pick(`${prefix}.retryOn`, at(["retryOn"], layers), (v) =>
      asJs<RetriesSpec["retryOn"]>(v)!.slice(),
    ),
    backoff: pick(`${prefix}.backoff`, at(["backoff"], layers), (v) => {
      const b = asJs<NonNullable<RetriesSpec["backoff"]>>(v);
      return {
        initialMs: durationMs(b.initial),
        maxMs: durationMs(b.max),
        multiplier: b.multiplier,
      };
    }),
  };
}

function effectiveService(set: PolicySet, policy: Loaded<ServicePolicy>): EffectiveService {
  const p = policy.data;
  const manifest = set.manifest;
  const origins: Origins = new Map();
  const { pick, set: note } = createPicker(origins);
  const svc: Candidate = [policy, ["resilience"], "service policy"];
  const mesh: Candidate = [manifest, ["mesh"], "mesh default"];
  const field = (f: PathSegment[], ...layers: Candidate[]) =>
    layers.map(([l, path, w]) => [l, [...path, ...f], w] as Candidate);
  const entry = SERVICES.find((s) => s.name === p.service)!;

  if (p.owner) pick("owner", [[policy, ["owner"], "service policy"]], String);
  for (const key of ["layer", "versions", "dependencies", "faults"])
    if (policy.source.doc.has(key)) pick(key, [[policy, [key], "service policy"]], String);
  const timeoutMs = pick("timeout", field(["timeout"], svc, mesh), asMs);
  const retries = mergeRetries(pick, "retries", field(["retries"], svc, mesh));
  const group = <K extends string>(
    name: string,
    keys: K[],
    read: (k: K) => (v: unknown) => number,
  ) =>
    Object.fromEntries(
      keys.map((k) => [k, pick(`${name}.${k}`, field([name, k], svc, mesh), read(k))]),
    ) as Record<K, number>;

  const outlier = group(
    "outlierDetection",
    ["consecutive5xxErrors", "interval", "baseEjectionTime", "maxEjectionPercent"],
    (k) => (k === "interval" || k === "baseEjectionTime" ? asMs : asNumber),
  );
  const pool = group(
    "connectionPool",
    [
      "maxConnections",
      "connectTimeout",
      "http2MaxRequests",
      "maxRequestsPerConnection",
      "idleTimeout",
    ],
    (k) => (k === "connectTimeout" || k === "idleTimeout" ? asMs : asNumber),
  );
  const breaker = group(
    "breaker",
    ["errorThresholdPercent", "volumeThreshold", "resetTimeout"],
    (k) => (k === "resetTimeout" ? asMs : asNumber),
  );
  const tracingSamplePercent = pick(
    "tracing.samplePercent",
    [
      [policy, ["mesh", "tracing", "samplePercent"], "service policy"],
      [manifest, ["mesh", "tracing", "samplePercent"], "mesh default"],
    ],
    asNumber,
  );
  note("mtls", `${set.manifest.source.file} (floor mtls: STRICT)`);
  note("egress", `${set.manifest.source.file} (floor egress: REGISTRY_ONLY)`);

  const rpcs = set.facts
    .filter((f) => p.serves.includes(f.protoService))
    .map((fact) => effectiveRpc(fact, p.rpcs?.[fact.name], policy, svc, mesh, pick, note));

  const deps = p.dependencies ?? {};
  const faults = Object.entries(p.faults ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, f]) => ({
      name,
      rpc: rpcs.find((r) => r.fact.name === f.rpc)!.fact,
      kind: f.kind,
      ...(f.delay ? { delayMs: durationMs(f.delay) } : {}),
      ...(f.code ? { code: f.code } : {}),
      percent: f.percent,
      env: `FAULT_${name.toUpperCase().replace(/-/g, "_")}`,
    }));

  return {
    name: p.service as ServiceName,
    file: policy.source.file,
    owner: p.owner ?? "",
    layer: p.layer,
    httpPort: entry.httpPort,
    grpcPort: entry.grpcPort,
    ...(p.data?.postgres ? { database: p.data.postgres } : {}),
    serves: [...p.serves].sort(),
    rpcs,
    timeoutMs,
    retries,
    outlierDetection: {
      consecutive5xxErrors: outlier.consecutive5xxErrors,
      intervalMs: outlier.interval,
      baseEjectionTimeMs: outlier.baseEjectionTime,
      maxEjectionPercent: outlier.maxEjectionPercent,
    },
    connectionPool: {
      maxConnections: pool.maxConnections,
      connectTimeoutMs: pool.connectTimeout,
      http2MaxRequests: pool.http2MaxRequests,
      maxRequestsPerConnection: pool.maxRequestsPerConnection,
      idleTimeoutMs: pool.idleTimeout,
    },
    breaker: {
      errorThresholdPercent: breaker.errorThresholdPercent,
      volumeThreshold: breaker.volumeThreshold,
      resetTimeoutMs: breaker.resetTimeout,
    },
    mtls: "STRICT",
    egress: "REGISTRY_ONLY",
    tracingSamplePercent,
    versions: p.versions.map((v) => ({ ...v })),
    dependencies: {
      services: Object.entries(deps.services ?? {})
        .map(([service, d]) => ({
          service: service as ServiceName,
          generic: d.rpcs === "non-internal",
          rpcs: d.rpcs === "non-internal" ? nonInternalRpcs(set, service) : [...d.rpcs].sort(),
        }))
        .sort((a, b) => a.service.localeCompare(b.service)),
      ...(deps.jwks ? { jwks: deps.jwks as ServiceName } : {}),
      ...(deps.postgres ? { postgres: deps.postgres } : {}),
      redis: [...(deps.redis ?? [])].sort(),
      otlp: deps.otlp ?? false,
      consumes: (deps.events?.consumes ?? []).map((c) => ({
        from: c.from as ServiceName,
        events: [...c.events].sort(),
        mode: c.mode,
      })),
    },
    faults,
    ...(p.edge ? { edge: p.edge } : {}),
    budgets: p.budgets ?? {},
    origins,
  };
}

function nonInternalRpcs(set: PolicySet, service: string): string[] {
  const callee = set.policies.find((p) => p.data.service === service)!.data;
  return set.facts
    .filter((f) => callee.serves.includes(f.protoService) && f.access !== "INTERNAL")
    .map((f) => f.name)
    .sort();
}

function effectiveRpc(
  fact: RpcFact,
  rpc: RpcPolicy | undefined,
  policy: Loaded<ServicePolicy>,
  svc: Candidate,
  mesh: Candidate,
  pick: ReturnType<typeof createPicker>["pick"],
  note: (key: string, origin: string) => void,
): EffectiveRpc {
  const key = `rpcs.${fact.name}`;
  const own: Candidate = [policy, ["rpcs", fact.name], "RPC entry"];
  const idempotencyKey = rpc?.idempotencyKey === "required";
  let timeoutMs: number;
  if (fact.serverStreaming && rpc?.timeout === undefined) {
    timeoutMs = 0;
    note(
      `${key}.timeout`,
      "contract: server-streaming, so no route timeout (it would cut the stream)",
    );
  } else {
    timeoutMs = pick(
      `${key}.timeout`,
      [own, svc, mesh].map(([l, p, w]) => [l, [...p, "timeout"], w] as Candidate),
      asMs,
    );
  }
  const layers: Candidate[] = [
    [policy, ["rpcs", fact.name, "retries"], "RPC entry"],
    [svc[0], [...svc[1], "retries"], svc[2]],
    [mesh[0], [...mesh[1], "retries"], mesh[2]],
  ];
  if (rpc) pick(`${key}.callers`, [[policy, ["rpcs", fact.name, "callers"], "RPC entry"]], String);
  const retries = mergeRetries(pick, `${key}.retries`, layers);
  if (!fact.retrySafe && !idempotencyKey && retries.attempts > 0) {
    retries.attempts = 0;
    note(
      `${key}.retries.attempts`,
      "contract: no idempotency_level and no idempotency key, so never retried",
    );
  }
  return {
    fact,
    callers: [...(rpc?.callers ?? [])].sort() as ServiceName[],
    timeoutMs,
    retries,
    idempotencyKey,
  };
}

/** The effective model of a validated policy set. */
export function effectiveRepo(set: PolicySet): EffectiveRepo {
  const m = set.manifest.data;
  const { pick } = createPicker(new Map());
  const mesh: Candidate = [set.manifest, ["mesh"], "mesh default"];
  return {
    mesh: {
      defaults: {
        timeoutMs: durationMs(m.mesh.timeout!),
        retries: mergeRetries(pick, "retries", [[mesh[0], ["mesh", "retries"], mesh[2]]]),
      },
      namespace: m.namespace,
      trustDomain: m.trustDomain,
      ingress: m.ingress,
      tracingSamplePercent: m.mesh.tracing.samplePercent,
      infrastructure: m.infrastructure,
      exceptions: m.exceptions,
      budgets: m.budgets,
      scenarios: m.scenarios,
      passwordHashCostMs: m.passwordHash.costMs,
      manifestFile: set.manifest.source.file,
    },
    services: set.policies
      .map((p) => effectiveService(set, p))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}
