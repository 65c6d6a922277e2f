/** The JSON Schema definitions of `.repo/repo.manifest.yaml` (kind RepoManifest). */
import { closed, complete, int, percent, ref, type Schema, SLUG, text } from "./schema-parts";

export const MANIFEST_DEFINITIONS: Record<string, Schema> = {
  manifest: closed(
    {
      apiVersion: { const: "govern.shop.dev/v1" },
      kind: { const: "RepoManifest" },
      namespace: { type: "string", pattern: SLUG },
      trustDomain: text("The mesh's trust domain, as in principals."),
      ingress: closed(
        {
          namespace: { type: "string", pattern: SLUG },
          selector: { type: "object", additionalProperties: { type: "string" } },
          serviceAccount: { type: "string", pattern: SLUG },
        },
        ["namespace", "selector", "serviceAccount"],
      ),
      passwordHash: closed({ algorithm: text("Hash function"), costMs: int(1) }, [
        "algorithm",
        "costMs",
      ]),
      budgets: ref("budgets"),
      scenarios: {
        type: "object",
        additionalProperties: closed(
          { service: ref("service"), referenceConcurrency: int(1), budgets: ref("budgets") },
          ["service", "referenceConcurrency"],
        ),
      },
      mesh: closed(
        {
          mtls: { enum: ["STRICT", "PERMISSIVE"] },
          egress: { enum: ["REGISTRY_ONLY", "ALLOW_ANY"] },
          tracing: closed({ samplePercent: percent }, ["samplePercent"]),
          timeout: ref("duration"),
          // The defaults are complete, so every effective value has a stated origin.
          retries: complete("retries", ["attempts", "perTryTimeout", "retryOn", "backoff"]),
          outlierDetection: complete("outlierDetection", [
            "consecutive5xxErrors",
            "interval",
            "baseEjectionTime",
            "maxEjectionPercent",
          ]),
          connectionPool: complete("connectionPool", [
            "maxConnections",
            "connectTimeout",
            "http2MaxRequests",
            "maxRequestsPerConnection",
            "idleTimeout",
          ]),
          breaker: complete("breaker", [
            "errorThresholdPercent",
            "volumeThreshold",
            "resetTimeout",
          ]),
        },
        [
          "mtls",
          "egress",
          "tracing",
          "timeout",
          "retries",
          "outlierDetection",
          "connectionPool",
          "breaker",
        ],
      ),
      floors: closed(
        {
          mtls: { const: "STRICT" },
          egress: { const: "REGISTRY_ONLY" },
          maxTimeout: ref("duration"),
          maxRetryAttempts: int(0, 10),
          requireOwner: { type: "boolean" },
          maxConsecutive5xxErrors: int(1, 1000),
          minTracingSamplePercent: percent,
        },
        [
          "mtls",
          "egress",
          "maxTimeout",
          "maxRetryAttempts",
          "requireOwner",
          "maxConsecutive5xxErrors",
          "minTracingSamplePercent",
        ],
      ),
      infrastructure: {
        type: "object",
        additionalProperties: closed(
          {
            kind: { enum: ["postgres", "redis", "otlp"] },
            host: text("DNS name"),
            port: int(1, 65535),
            sidecar: { type: "boolean" },
            app: { type: "string", pattern: SLUG },
          },
          ["kind", "host", "port", "sidecar"],
        ),
      },
      exceptions: { type: "array", items: ref("exception") },
    },
    [
      "apiVersion",
      "kind",
      "namespace",
      "trustDomain",
      "ingress",
      "passwordHash",
      "budgets",
      "scenarios",
      "mesh",
      "floors",
      "infrastructure",
      "exceptions",
    ],
  ),
  exception: {
    type: "object",
    required: ["kind"],
    properties: { kind: { enum: ["probe-rewrite", "metrics-merge", "control-plane-jwks"] } },
    discriminator: { propertyName: "kind" },
    oneOf: [
      closed({ name: text("name"), kind: { const: "probe-rewrite" }, reason: text("why") }, [
        "name",
        "kind",
        "reason",
      ]),
      closed({ name: text("name"), kind: { const: "metrics-merge" }, reason: text("why") }, [
        "name",
        "kind",
        "reason",
      ]),
      closed(
        {
          name: text("name"),
          kind: { const: "control-plane-jwks" },
          reason: text("why"),
          service: ref("service"),
          port: int(1, 65535),
          path: { type: "string", pattern: "^/" },
        },
        ["name", "kind", "reason", "service", "port", "path"],
      ),
    ],
  },
};
