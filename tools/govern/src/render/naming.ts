/**
 * Names every renderer agrees on: hosts, principals, labels and file headers.
 */
import type { ServiceName } from "@shop/libs/mesh";
import type { EffectiveMesh, EffectiveService } from "../model/effective-types";

/** The in-cluster DNS name of a service. */
export function fqdn(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}

/** The SPIFFE-style principal Istio derives from a service account. */
export function principal(mesh: EffectiveMesh, serviceAccount: string, namespace = mesh.namespace) {
  return `${mesh.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export function ingressPrincipal(mesh: EffectiveMesh): string {
  return principal(mesh, mesh.ingress.serviceAccount, mesh.ingress.namespace);
}

/** A Sidecar egress host, `namespace/dns-name` (`*` for a name outside the cluster). */
export function sidecarHost(host: string): string {
  const inCluster = /^[^.]+\.([^.]+)\.svc\.cluster\.local$/.exec(host);
  return inCluster ? `${inCluster[1]}/${host}` : `*/${host}`;
}

/** The pod label every selector uses. */
export function appSelector(service: ServiceName | string): { app: string } {
  return { app: service };
}

/** Governance labels on a workload and its pods. */
export function workloadLabels(service: EffectiveService, version: string): Record<string, string> {
  return {
    app: service.name,
    version,
    "app.kubernetes.io/name": service.name,
    "app.kubernetes.io/part-of": "shop",
    "shop.dev/owner": service.owner,
    "shop.dev/layer": service.layer,
  };
}

/** The `# Rendered by govern ...` header naming the policy files an output came from. */
export function headerLines(sources: string[]): string[] {
  return [
    `Rendered by govern from ${[...new Set(sources)].sort().join(", ")}.`,
    "Do not edit: change the policy, then run `npx govern render` (CI checks for drift).",
  ];
}

/** Kebab-case of an RPC name, for route names: CreateOrder -> create-order. */
export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}
