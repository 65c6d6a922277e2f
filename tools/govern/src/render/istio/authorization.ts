/**
 * One ALLOW AuthorizationPolicy per service, on top of the namespace deny-all: each
 * caller's principal on exactly the RPC paths it is allowed, on the gRPC port; every
 * service that declares the JWKS dependency on the JWKS path; and, for the gateway, the
 * ingress gateway on its two public ports.
 */
import type { EffectiveRepo, EffectiveService } from "../../model/effective-types";
import { appSelector, ingressPrincipal, principal } from "../naming";
import { type RenderedFile, yamlFile } from "../output";
import type { AuthorizationPolicy, AuthorizationRule } from "./istio-types";

export const JWKS_PATH = "/.well-known/jwks.json";

function callerRules(repo: EffectiveRepo, service: EffectiveService): AuthorizationRule[] {
  const byCaller = new Map<string, string[]>();
  for (const rpc of service.rpcs)
    for (const caller of rpc.callers)
      byCaller.set(caller, [...(byCaller.get(caller) ?? []), rpc.fact.path]);
  return [...byCaller.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([caller, paths]) => ({
      from: [{ source: { principals: [principal(repo.mesh, caller)] } }],
      to: [
        {
          operation: {
            ports: [String(service.grpcPort)],
            methods: ["POST"],
            paths: [...paths].sort(),
          },
        },
      ],
    }));
}

function jwksRule(repo: EffectiveRepo, service: EffectiveService): AuthorizationRule[] {
  const fetchers = repo.services
    .filter((s) => s.dependencies.jwks === service.name)
    .map((s) => s.name);
  if (fetchers.length === 0) return [];
  return [
    {
      from: [{ source: { principals: fetchers.sort().map((f) => principal(repo.mesh, f)) } }],
      to: [
        { operation: { ports: [String(service.httpPort)], methods: ["GET"], paths: [JWKS_PATH] } },
      ],
    },
  ];
}

function ingressRule(repo: EffectiveRepo, service: EffectiveService): AuthorizationRule[] {
  if (!service.edge) return [];
  return [
    {
      from: [{ source: { principals: [ingressPrincipal(repo.mesh)] } }],
      to: [{ operation: { ports: [String(service.httpPort), String(service.grpcPort)] } }],
    },
  ];
}

export function renderAuthorization(repo: EffectiveRepo, service: EffectiveService): RenderedFile {
  const policy: AuthorizationPolicy = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: service.name, namespace: repo.mesh.namespace },
    spec: {
      selector: { matchLabels: appSelector(service.name) },
      action: "ALLOW",
      rules: [
        ...ingressRule(repo, service),
        ...callerRules(repo, service),
        ...jwksRule(repo, service),
      ],
    },
  };
  const sources = [
    service.file,
    repo.mesh.manifestFile,
    ...repo.services.filter((s) => s.dependencies.jwks === service.name).map((s) => s.file),
  ];
  return yamlFile(`istio/${service.name}/authorization-policy.yaml`, sources, [policy]);
}
