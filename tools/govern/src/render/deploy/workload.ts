/**
 * Per-service Kubernetes objects governance owns: the ServiceAccount (the identity every
 * principal names), the fault switches' ConfigMap, and a strategic-merge patch for the
 * Deployment of each version (labels, resources from the budgets, the exceptions' pod
 * annotations, MESH_MODE=istio so retries live in one layer). Validated with
 * kubernetes-models.
 */

import type { IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import { PodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { EffectiveRepo, EffectiveService } from "../../model/effective-types";
import { workloadLabels } from "../naming";
import { type RenderedFile, yamlFile } from "../output";

/** What the manifest's budgets give a container. */
export interface ResourceBudget {
  memoryMb?: number | undefined;
  cpuPercent?: number | undefined;
}

export interface DeploymentPatch {
  apiVersion: "apps/v1";
  kind: "Deployment";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    template: {
      metadata: IObjectMeta;
      spec: { serviceAccountName: string; containers: IContainer[] };
    };
  };
}

/** The Deployment of each version: the stable one is `<service>`, a canary `<service>-canary`. */
export function deploymentName(service: EffectiveService, index: number): string {
  return index === 0 ? service.name : `${service.name}-canary`;
}

export function faultsConfigMapName(service: EffectiveService): string {
  return `${service.name}-faults`;
}

function podAnnotations(repo: EffectiveRepo, service: EffectiveService): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const exception of repo.mesh.exceptions) {
    if (exception.kind === "probe-rewrite")
      annotations["sidecar.istio.io/rewriteAppHTTPProbers"] = "true";
    if (exception.kind === "metrics-merge") {
      annotations["prometheus.io/scrape"] = "true";
      annotations["prometheus.io/port"] = String(service.httpPort);
      annotations["prometheus.io/path"] = "/metrics";
    }
  }
  return Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => a.localeCompare(b)));
}

export function deploymentPatch(
  repo: EffectiveRepo,
  service: EffectiveService,
  index: number,
  budget: ResourceBudget,
): DeploymentPatch {
  const version = service.versions[index]!.name;
  const labels = workloadLabels(service, version);
  // Memory: request = limit = the gated peak, so the scheduler reserves what the gate
  // allows and nothing is overcommitted. CPU: the target as a request and no limit,
  // since CFS throttling would turn a CPU target into latency-budget misses.
  const memory: Record<string, string> = {};
  const cpu: Record<string, string> = {};
  if (budget.memoryMb !== undefined) memory.memory = `${budget.memoryMb}Mi`;
  if (budget.cpuPercent !== undefined) cpu.cpu = `${budget.cpuPercent * 10}m`;
  const container: IContainer = {
    name: service.name,
    resources: { requests: { ...cpu, ...memory }, limits: memory },
    env: [{ name: "MESH_MODE", value: "istio" }],
    envFrom: [{ configMapRef: { name: faultsConfigMapName(service), optional: true } }],
  };
  const template = {
    metadata: { labels, annotations: podAnnotations(repo, service) },
    spec: { serviceAccountName: service.name, containers: [container] },
  };
  new PodTemplateSpec(template).validate();
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: deploymentName(service, index), labels },
    spec: { template },
  };
}

export function renderWorkload(
  repo: EffectiveRepo,
  service: EffectiveService,
  budget: ResourceBudget,
): RenderedFile[] {
  const { namespace, manifestFile } = repo.mesh;
  const dir = `deploy/generated/${service.name}`;
  const sources = [service.file, manifestFile];
  const account = new ServiceAccount({
    metadata: { name: service.name, namespace, labels: { app: service.name } },
  });
  account.validate();
  // Every declared fault, switched off: an operator turns one on with its variable.
  const faults = new ConfigMap({
    metadata: { name: faultsConfigMapName(service), namespace, labels: { app: service.name } },
    data: Object.fromEntries(service.faults.map((f) => [f.env, "0"])),
  });
  faults.validate();
  return [
    yamlFile(`${dir}/service-account.yaml`, sources, [account.toJSON()]),
    yamlFile(`${dir}/faults.yaml`, sources, [faults.toJSON()]),
    ...service.versions.map((v, i) =>
      yamlFile(`${dir}/deployment-${v.name}.patch.yaml`, sources, [
        deploymentPatch(repo, service, i, budget),
      ]),
    ),
  ];
}
