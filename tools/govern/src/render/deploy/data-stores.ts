/**
 * Data stores are reached only by the services that declare them: a NetworkPolicy per
 * store in the namespace (they run without a sidecar, so Istio cannot authorize calls
 * to them; the kernel can). Migration Jobs carry their service's `app` label, so the
 * same rule admits them.
 */
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { EffectiveRepo, EffectiveService } from "../../model/effective-types";
import type { InfrastructureSpec } from "../../policy/types";
import { type RenderedFile, yamlFile } from "../output";

function usesStore(service: EffectiveService, store: InfrastructureSpec): boolean {
  if (store.kind === "postgres") return service.dependencies.postgres !== undefined;
  if (store.kind === "redis") return service.dependencies.redis.length > 0;
  return service.dependencies.otlp;
}

/** The in-namespace stores without a sidecar, by name. */
export function dataStores(repo: EffectiveRepo): [string, InfrastructureSpec][] {
  return Object.entries(repo.mesh.infrastructure)
    .filter(([, s]) => !s.sidecar && s.app)
    .sort(([a], [b]) => a.localeCompare(b));
}

export function renderDataStores(repo: EffectiveRepo): RenderedFile[] {
  const { namespace, manifestFile } = repo.mesh;
  return dataStores(repo).map(([name, store]) => {
    const users = repo.services.filter((s) => usesStore(s, store));
    const policy = new NetworkPolicy({
      metadata: { name: `${name}-clients`, namespace },
      spec: {
        podSelector: { matchLabels: { app: store.app! } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                podSelector: {
                  matchExpressions: [
                    { key: "app", operator: "In", values: users.map((s) => s.name).sort() },
                  ],
                },
              },
            ],
            ports: [{ port: store.port, protocol: "TCP" }],
          },
        ],
      },
    });
    policy.validate();
    return yamlFile(
      `deploy/generated/data-stores/${name}-network-policy.yaml`,
      [manifestFile, ...users.map((s) => s.file)],
      [policy.toJSON()],
    );
  });
}
