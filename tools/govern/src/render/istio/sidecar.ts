/**
 * Egress per workload: a Sidecar that lets the proxy reach only what the policy
 * declares (services it calls, the JWKS host, its data stores, the OTLP collector),
 * with REGISTRY_ONLY so nothing else leaves either. Also the per-service trace sampling
 * when a policy sets its own rate.
 */
import type { EffectiveRepo, EffectiveService } from "../../model/effective-types";
import type { InfrastructureKind } from "../../policy/types";
import { appSelector, fqdn, sidecarHost } from "../naming";
import { type RenderedFile, yamlFile } from "../output";
import type { Sidecar, Telemetry } from "./istio-types";

/** The hosts a service's declared dependencies reach, as Sidecar egress hosts. */
export function egressHosts(repo: EffectiveRepo, service: EffectiveService): string[] {
  const { namespace, infrastructure } = repo.mesh;
  const deps = service.dependencies;
  const uses = new Set<InfrastructureKind>();
  if (deps.postgres) uses.add("postgres");
  if (deps.redis.length > 0) uses.add("redis");
  if (deps.otlp) uses.add("otlp");
  const hosts = [
    ...deps.services.map((d) => fqdn(d.service, namespace)),
    ...(deps.jwks ? [fqdn(deps.jwks, namespace)] : []),
    ...Object.values(infrastructure)
      .filter((i) => uses.has(i.kind))
      .map((i) => i.host),
  ];
  return [...new Set(hosts.map(sidecarHost))].sort();
}

export function renderSidecar(repo: EffectiveRepo, service: EffectiveService): RenderedFile[] {
  const { namespace, manifestFile } = repo.mesh;
  const sidecar: Sidecar = {
    apiVersion: "networking.istio.io/v1",
    kind: "Sidecar",
    metadata: { name: service.name, namespace },
    spec: {
      workloadSelector: { labels: appSelector(service.name) },
      egress: [{ hosts: egressHosts(repo, service) }],
      outboundTrafficPolicy: { mode: service.egress },
    },
  };
  const files = [
    yamlFile(`istio/${service.name}/sidecar.yaml`, [service.file, manifestFile], [sidecar]),
  ];
  if (service.tracingSamplePercent !== repo.mesh.tracingSamplePercent) {
    const telemetry: Telemetry = {
      apiVersion: "telemetry.istio.io/v1",
      kind: "Telemetry",
      metadata: { name: service.name, namespace },
      spec: {
        selector: { matchLabels: appSelector(service.name) },
        tracing: [{ randomSamplingPercentage: service.tracingSamplePercent }],
      },
    };
    files.push(yamlFile(`istio/${service.name}/telemetry.yaml`, [service.file], [telemetry]));
  }
  return files;
}
