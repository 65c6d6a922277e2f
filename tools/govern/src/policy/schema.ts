/**
 * The JSON Schema of both policy documents (draft-07, so editors' YAML language servers
 * read it). `govern schema` writes it to `.repo/policy.schema.json`; `govern check`
 * fails when that file is stale. Every object rejects unknown keys: a typo is an error,
 * not a silently ignored setting.
 */
import { DURATION_PATTERN } from "./duration";
import { MANIFEST_DEFINITIONS } from "./schema-manifest";
import { closed, int, percent, ref, type Schema, SERVICE, SLUG, text } from "./schema-parts";
import { RETRY_ON_GRPC, RETRY_ON_HTTP } from "./types";

const definitions: Record<string, Schema> = {
  ...MANIFEST_DEFINITIONS,
  duration: {
    type: "string",
    pattern: DURATION_PATTERN,
    description: "A duration: a number and one unit of ms, s, m or h (250ms, 2s, 1m).",
  },
  service: { type: "string", pattern: SERVICE, description: "A service name (its account)." },
  retries: closed({
    attempts: { ...int(0, 10), description: "Retries after the first attempt; 0 disables." },
    perTryTimeout: ref("duration"),
    retryOn: {
      type: "array",
      uniqueItems: true,
      minItems: 1,
      items: { enum: [...RETRY_ON_GRPC, ...RETRY_ON_HTTP] },
      description: "Envoy retry conditions; the gRPC ones are unavailable, cancelled, ...",
    },
    backoff: closed(
      {
        initial: ref("duration"),
        max: ref("duration"),
        multiplier: { type: "number", minimum: 1, maximum: 10 },
      },
      ["initial", "max", "multiplier"],
    ),
  }),
  outlierDetection: closed({
    consecutive5xxErrors: int(1, 1000),
    interval: ref("duration"),
    baseEjectionTime: ref("duration"),
    maxEjectionPercent: { ...int(0, 100) },
  }),
  connectionPool: closed({
    maxConnections: int(1),
    connectTimeout: ref("duration"),
    http2MaxRequests: int(1),
    maxRequestsPerConnection: int(0),
    idleTimeout: ref("duration"),
  }),
  breaker: closed({
    errorThresholdPercent: percent,
    volumeThreshold: int(1),
    resetTimeout: ref("duration"),
  }),
  resilience: closed({
    timeout: ref("duration"),
    retries: ref("retries"),
    outlierDetection: ref("outlierDetection"),
    connectionPool: ref("connectionPool"),
    breaker: ref("breaker"),
  }),
  budget: closed({
    mode: { enum: ["gate", "target"], description: "gate fails CI when missed; target reports." },
    max: ref("duration"),
    maxPercent: percent,
    minPercent: percent,
    maxMb: int(1),
    minRps: int(1),
    at: { enum: ["reference", "high"] },
    services: { type: "array", items: ref("service"), uniqueItems: true },
    reason: text("Why this budget differs from the shared one."),
    passwordHashes: { ...int(1, 10), description: "Adds N password hashes to max." },
  }),
  budgets: closed(
    Object.fromEntries(
      [
        "latencyP95",
        "latencyP95High",
        "errorRate",
        "availability",
        "throughput",
        "startup",
        "startupTarget",
        "memory",
        "memoryTarget",
        "cpu",
      ].map((n) => [n, ref("budget")]),
    ),
  ),
  rpc: closed(
    {
      callers: {
        type: "array",
        items: ref("service"),
        uniqueItems: true,
        description: "Services (accounts) allowed to call this RPC.",
      },
      timeout: ref("duration"),
      retries: ref("retries"),
      idempotencyKey: {
        const: "required",
        description: "The RPC dedupes by its idempotency key, so retries are safe.",
      },
    },
    ["callers"],
  ),
  dependencies: closed({
    services: {
      type: "object",
      propertyNames: { pattern: SERVICE },
      additionalProperties: closed(
        {
          rpcs: {
            oneOf: [
              { type: "array", items: { type: "string" }, uniqueItems: true, minItems: 1 },
              { const: "non-internal" },
            ],
          },
        },
        ["rpcs"],
      ),
    },
    jwks: { ...ref("service"), description: "Fetches this service's JWKS over HTTP." },
    postgres: text("The database it connects to (its own)."),
    redis: {
      type: "array",
      uniqueItems: true,
      items: { enum: ["cache", "rate-limits", "event-bus", "throttle"] },
    },
    otlp: { type: "boolean" },
    events: closed({
      consumes: {
        type: "array",
        items: closed(
          {
            from: ref("service"),
            events: { type: "array", items: { type: "string" }, minItems: 1 },
            mode: { enum: ["group", "tail"] },
          },
          ["from", "events", "mode"],
        ),
      },
    }),
  }),
  fault: closed(
    {
      rpc: text("The RPC (of this service) the fault applies to."),
      kind: { enum: ["delay", "error"] },
      delay: ref("duration"),
      code: { type: "string", pattern: "^[A-Z_]+$" },
      percent: { type: "number", exclusiveMinimum: 0, maximum: 100 },
    },
    ["rpc", "kind", "percent"],
  ),
  edge: closed(
    {
      hosts: { type: "array", items: { type: "string" }, minItems: 1 },
      jwt: closed(
        {
          issuer: text("iss"),
          audiences: { type: "array", items: { type: "string" }, minItems: 1 },
          jwksUri: { type: "string", pattern: "^https?://" },
        },
        ["issuer", "audiences", "jwksUri"],
      ),
      publicPaths: { type: "array", items: { type: "string", pattern: "^/" } },
      rateLimits: {
        type: "object",
        additionalProperties: closed(
          {
            key: { enum: ["client-ip", "user"] },
            limit: int(1),
            window: ref("duration"),
            rpcs: { type: "array", items: { type: "string" } },
          },
          ["key", "limit", "window"],
        ),
      },
      cache: { type: "object", additionalProperties: closed({ ttl: ref("duration") }, ["ttl"]) },
      cors: closed(
        {
          allowOrigins: { type: "array", items: { type: "string" } },
          allowMethods: { type: "array", items: { type: "string" } },
          allowHeaders: { type: "array", items: { type: "string" } },
          exposeHeaders: { type: "array", items: { type: "string" } },
          maxAge: ref("duration"),
          allowCredentials: { type: "boolean" },
        },
        ["allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge"],
      ),
    },
    ["hosts", "jwt", "publicPaths", "rateLimits", "cache", "cors"],
  ),
  policy: closed(
    {
      apiVersion: { const: "govern.shop.dev/v1" },
      kind: { const: "ServicePolicy" },
      service: ref("service"),
      owner: { type: "string", pattern: SLUG, description: "The owning team's slug." },
      layer: { enum: ["application", "domain-data"] },
      serves: {
        type: "array",
        items: { type: "string", pattern: "^[a-z0-9.]+\\.[A-Z][A-Za-z0-9]*$" },
        uniqueItems: true,
        description: "Fully-qualified protobuf services this service implements.",
      },
      data: closed({
        postgres: text("The database it owns."),
        streams: { type: "array", items: { type: "string" } },
      }),
      dependencies: ref("dependencies"),
      rpcs: { type: "object", additionalProperties: ref("rpc") },
      resilience: ref("resilience"),
      mesh: closed({
        mtls: { enum: ["STRICT", "PERMISSIVE", "DISABLE"] },
        egress: { enum: ["REGISTRY_ONLY", "ALLOW_ANY"] },
        tracing: closed({ samplePercent: percent }, ["samplePercent"]),
      }),
      versions: {
        type: "array",
        minItems: 1,
        maxItems: 2,
        description: "The stable version first, then the canary, with traffic weights.",
        items: closed({ name: { type: "string", pattern: SLUG }, weight: int(0, 100) }, [
          "name",
          "weight",
        ]),
      },
      budgets: ref("budgets"),
      faults: {
        type: "object",
        propertyNames: { pattern: SLUG },
        additionalProperties: ref("fault"),
      },
      edge: ref("edge"),
    },
    ["apiVersion", "kind", "service", "layer", "serves", "versions"],
  ),
};

/** One schema for both documents, told apart by `kind`. */
export const POLICY_SCHEMA: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://shop.dev/govern/policy.schema.json",
  title: "Governance policy: .repo/repo.manifest.yaml or <service>/.repo/policy.yaml",
  type: "object",
  required: ["kind"],
  properties: { kind: { enum: ["RepoManifest", "ServicePolicy"] } },
  discriminator: { propertyName: "kind" },
  oneOf: [ref("manifest"), ref("policy")],
  definitions,
};

/** The schema file's text, as committed. */
export function policySchemaText(): string {
  return `${JSON.stringify(POLICY_SCHEMA, null, 2)}\n`;
}
