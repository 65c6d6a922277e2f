/**
 * The runtime config of one process: what governance renders from the service's policy
 * into `.repo/generated/<service>.json`. Every object is strict (unknown keys are
 * rejected) so a renderer bug or a hand edit fails loudly at start-up instead of being
 * ignored.
 */
import { z } from "zod";
import { SERVICES, type ServiceName } from "../mesh";

const SERVICE_NAMES = SERVICES.map((s) => s.name) as [ServiceName, ...ServiceName[]];

/** gRPC status code names, without OK: the codes a retry policy or a fault may name. */
export const STATUS_CODE_NAMES = [
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;
export type StatusCodeName = (typeof STATUS_CODE_NAMES)[number];

/** grpc-js caps retry attempts at 5; a larger number would be silently lowered. */
export const MAX_ATTEMPTS_LIMIT = 5;

export const serviceNameSchema = z.enum(SERVICE_NAMES).describe("A service of the mesh.");

/** "shop.product.v1.ProductService/ReserveStock": package.Service/Method, no leading slash. */
export const rpcFullNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.[A-Z][A-Za-z0-9]*\/[A-Z][A-Za-z0-9]*$/,
    'expected "package.Service/Method", e.g. "shop.product.v1.ProductService/ReserveStock"',
  )
  .describe("A fully qualified RPC name: package.Service/Method.");

const timeoutMs = z
  .number()
  .int()
  .min(1)
  .max(600_000)
  .describe("Deadline of one call in milliseconds, all retry attempts included.");

export const retryPolicySchema = z
  .strictObject({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(MAX_ATTEMPTS_LIMIT)
      .describe("Attempts including the first; 1 means no retries."),
    initialBackoffMs: z.number().int().min(1).describe("Backoff before the first retry."),
    maxBackoffMs: z.number().int().min(1).describe("Upper bound of any backoff."),
    backoffMultiplier: z.number().min(1).describe("Growth factor of the backoff per attempt."),
    retryableStatusCodes: z
      .array(z.enum(STATUS_CODE_NAMES))
      .describe("Status codes that trigger a retry, e.g. UNAVAILABLE."),
  })
  .superRefine((retry, ctx) => {
    if (retry.maxBackoffMs < retry.initialBackoffMs) {
      ctx.addIssue({
        code: "custom",
        path: ["maxBackoffMs"],
        message: "must be at least initialBackoffMs",
      });
    }
    if (retry.maxAttempts > 1 && retry.retryableStatusCodes.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["retryableStatusCodes"],
        message: "must name at least one code when maxAttempts > 1",
      });
    }
  })
  .describe("grpc-js retry policy; applied only when MESH_MODE=local (Istio retries in the mesh).");

export const breakerSchema = z
  .strictObject({
    errorThresholdPercent: z
      .number()
      .min(1)
      .max(100)
      .describe("Error percentage over the window that opens the breaker."),
    volumeThreshold: z
      .number()
      .int()
      .min(1)
      .describe("Calls in the window before the breaker may open."),
    resetTimeoutMs: z
      .number()
      .int()
      .min(1)
      .describe("Time the breaker stays open before a trial call."),
  })
  .describe("Circuit breaker for calls to the upstream.");

const methodOverrideSchema = z
  .strictObject({
    timeoutMs: timeoutMs.optional(),
    retry: retryPolicySchema.optional(),
  })
  .describe("Overrides for one RPC of the upstream.");

export const upstreamSchema = z
  .strictObject({
    timeoutMs: timeoutMs.optional(),
    retry: retryPolicySchema.optional(),
    breaker: breakerSchema.optional(),
    methods: z
      .record(
        z.string().regex(/^[A-Z][A-Za-z0-9]*$/, "expected an RPC name like ReserveStock"),
        methodOverrideSchema,
      )
      .optional()
      .describe("Per-RPC overrides, keyed by the RPC name as in the contract."),
  })
  .describe("How this process calls one upstream service.");

const faultBase = {
  method: rpcFullNameSchema.describe("The RPC of this process the fault applies to."),
  percent: z.number().min(0).max(100).describe("Share of calls affected, 0-100."),
  env: z
    .string()
    .regex(/^FAULT_[A-Z0-9_]+$/, "expected an environment variable name FAULT_...")
    .describe('The variable that switches the fault on when "1" or "true"; off otherwise.'),
};

export const faultSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({
      ...faultBase,
      kind: z.literal("delay"),
      delayMs: z.number().int().min(1).max(600_000).describe("Added latency."),
    }),
    z.strictObject({
      ...faultBase,
      kind: z.literal("error"),
      code: z.enum(STATUS_CODE_NAMES).describe("The status the call fails with."),
    }),
  ])
  .describe("A declared fault, off unless its FAULT_* variable is set.");

export const runtimeConfigSchema = z
  .strictObject({
    service: serviceNameSchema.describe("The process this config belongs to."),
    defaults: z
      .strictObject({
        timeoutMs,
        retry: retryPolicySchema,
      })
      .describe("Applied to every upstream call unless overridden."),
    upstreams: z
      .partialRecord(serviceNameSchema, upstreamSchema)
      .default({})
      .describe("How this process calls others, by upstream service."),
    allowedCallers: z
      .record(rpcFullNameSchema, z.array(serviceNameSchema))
      .default({})
      .describe("Who may call this process's INTERNAL RPCs; an RPC not listed admits nobody."),
    faults: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a kebab-case name"), faultSchema)
      .default({})
      .describe("Declared faults by name."),
    responseCache: z
      .record(
        rpcFullNameSchema,
        z.strictObject({
          ttlMs: z
            .number()
            .int()
            .min(1)
            .max(86_400_000)
            .describe("Longest an answer is served; invalidation usually ends it sooner."),
        }),
      )
      .default({})
      .describe("The edge's cached public reads by RPC (api-gateway only), from edge.cache."),
  })
  .describe("Runtime config rendered from policy into .repo/generated/<service>.json.");

/** The parsed runtime config of one process. */
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;
export type RetryPolicy = z.output<typeof retryPolicySchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type FaultConfig = z.output<typeof faultSchema>;
export type BreakerConfig = z.output<typeof breakerSchema>;
