/**
 * deploy/generated/kustomization.yaml: a kustomize Component the deploy overlays
 * include. Its patches select their targets by kind and name or label, so a patch
 * whose workload does not exist (yet) is a no-op rather than an error.
 */
import type { EffectiveRepo } from "../../model/effective-types";
import { type RenderedFile, yamlFile } from "../output";
import { dataStores } from "./data-stores";
import { deploymentName } from "./workload";

export interface KustomizeTarget {
  kind: string;
  name?: string;
  labelSelector?: string;
}

export interface KustomizeComponent {
  apiVersion: "kustomize.config.k8s.io/v1alpha1";
  kind: "Component";
  resources: string[];
  patches: ({ target: KustomizeTarget } & ({ path: string } | { patch: string }))[];
}

/** Pods that must run without a sidecar get the injection label switched off. */
const NO_SIDECAR = (apiVersion: string, kind: string) =>
  [
    `apiVersion: ${apiVersion}`,
    `kind: ${kind}`,
    "metadata:",
    "  name: selected-by-target",
    "spec:",
    "  template:",
    "    metadata:",
    "      labels:",
    '        sidecar.istio.io/inject: "false"',
  ].join("\n");

export const MIGRATION_JOB_SELECTOR = "app.kubernetes.io/component=migration";

export function renderKustomization(repo: EffectiveRepo, files: RenderedFile[]): RenderedFile {
  const local = (path: string) => path.replace(/^deploy\/generated\//, "");
  const resources = files
    .map((f) => local(f.path))
    .filter((p) => !p.endsWith(".patch.yaml"))
    .sort();
  const stores = dataStores(repo).map(([, s]) => s.app!);
  const patches: KustomizeComponent["patches"] = [
    {
      target: { kind: "Namespace", name: repo.mesh.namespace },
      patch: [
        "apiVersion: v1",
        "kind: Namespace",
        "metadata:",
        `  name: ${repo.mesh.namespace}`,
        "  labels:",
        "    istio-injection: enabled",
      ].join("\n"),
    },
    ...repo.services.flatMap((s) =>
      s.versions.map((v, i) => ({
        target: { kind: "Deployment", name: deploymentName(s, i) },
        path: `${s.name}/deployment-${v.name}.patch.yaml`,
      })),
    ),
    {
      // By name (kustomize matches it as an anchored regex): the stores' workloads.
      target: { kind: "StatefulSet|Deployment", name: stores.join("|") },
      patch: NO_SIDECAR("apps/v1", "Deployment"),
    },
    {
      target: { kind: "Job", labelSelector: MIGRATION_JOB_SELECTOR },
      patch: NO_SIDECAR("batch/v1", "Job"),
    },
  ];
  const component: KustomizeComponent = {
    apiVersion: "kustomize.config.k8s.io/v1alpha1",
    kind: "Component",
    resources,
    patches,
  };
  const sources = [repo.mesh.manifestFile, ...repo.services.map((s) => s.file)];
  return yamlFile("deploy/generated/kustomization.yaml", sources, [component]);
}
