/**
 * `make dev` applies the built manifests in phases, each waited for before the next, so
 * nothing starts before what it needs (instead of crash-looping until it is there):
 *
 * 1. namespace    the Namespace (with sidecar injection): Secrets and Istio resources
 *                 go into it next
 * 2. data-stores  PostgreSQL, Redis and the NetworkPolicies guarding them
 * 3. database-init  the Job creating each service's database and role (dev)
 * 4. migrations   each service's migration Job
 * 5. workloads    everything else: Deployments (stable and canary), Services,
 *                 ConfigMaps, ServiceAccounts, disruption budgets, autoscalers
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

export const PHASES = [
  "namespace",
  "data-stores",
  "database-init",
  "migrations",
  "workloads",
] as const;
export type Phase = (typeof PHASES)[number];

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

const DATA_STORES = new Set(["postgres", "redis"]);

export function phaseOf(object: KubeObject): Phase {
  const labels = object.metadata.labels ?? {};
  if (object.kind === "Namespace") return "namespace";
  if (object.kind === "NetworkPolicy" || DATA_STORES.has(labels.app ?? "")) return "data-stores";
  const component = labels["app.kubernetes.io/component"];
  if (component === "database-init") return "database-init";
  if (component === "migration") return "migrations";
  return "workloads";
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** `<out>/<n>-<phase>.yaml` for each phase that has objects; returns the files by phase. */
export function writePhases(objects: readonly KubeObject[], out: string): Record<Phase, string> {
  mkdirSync(out, { recursive: true });
  const files = {} as Record<Phase, string>;
  PHASES.forEach((phase, i) => {
    const file = join(out, `${i + 1}-${phase}.yaml`);
    const docs = objects.filter((o) => phaseOf(o) === phase).map((o) => stringify(o));
    // An empty phase is an empty file: the script applies every phase file the same way.
    writeFileSync(file, docs.join("---\n"));
    files[phase] = file;
  });
  return files;
}
