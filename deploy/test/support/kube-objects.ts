/**
 * Test support: building kustomizations with kubectl's built-in kustomize, validating
 * each object with kubernetes-models, and reading the parts the rules look at.
 */
import { spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

/** Manifests, rules and peers are read as plain JSON: typed where the rules need it. */
// biome-ignore lint/suspicious/noExplicitAny: the one untyped alias, for YAML read as JSON
export type Json = any;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Json;
  data?: Json;
}

export const hasKubectl =
  spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

/** `kubectl kustomize <dir>`, parsed. */
export function kustomize(dir: string): KubeObject[] {
  const built = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`kubectl kustomize ${dir}:\n${built.stderr}`);
  return parseAllDocuments(built.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

export function parseYamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** kubernetes-models' class of an object: `apps/v1` `Deployment` -> apps/v1/Deployment. */
export function validateWithModel(object: KubeObject): void {
  const module = require(`kubernetes-models/${object.apiVersion}/${object.kind}`) as Json;
  const Model = module[object.kind];
  if (!Model) throw new Error(`no kubernetes-models class for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

export const id = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

/** Objects that run pods, with their pod template. */
export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "Job"];

export interface PodTemplateOf {
  owner: KubeObject;
  namespace: string;
  labels: Record<string, string>;
  spec: Json;
}

export function podTemplates(objects: readonly KubeObject[]): PodTemplateOf[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((o) => ({
      owner: o,
      namespace: o.metadata.namespace ?? "default",
      labels: o.spec.template.metadata?.labels ?? {},
      spec: o.spec.template.spec,
    }));
}

/** Every (kind, name, key) a pod template reads from a Secret or ConfigMap. */
export function externalReferences(
  template: PodTemplateOf,
): { kind: "Secret" | "ConfigMap"; name: string; key?: string; optional: boolean }[] {
  const refs: ReturnType<typeof externalReferences> = [];
  for (const c of [
    ...(template.spec.containers ?? []),
    ...(template.spec.initContainers ?? []),
  ] as Json[]) {
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      const m = e.valueFrom?.configMapKeyRef;
      if (s) refs.push({ kind: "Secret", name: s.name, key: s.key, optional: !!s.optional });
      if (m) refs.push({ kind: "ConfigMap", name: m.name, key: m.key, optional: !!m.optional });
    }
    for (const f of c.envFrom ?? []) {
      if (f.secretRef)
        refs.push({ kind: "Secret", name: f.secretRef.name, optional: !!f.secretRef.optional });
      if (f.configMapRef)
        refs.push({
          kind: "ConfigMap",
          name: f.configMapRef.name,
          optional: !!f.configMapRef.optional,
        });
    }
  }
  for (const v of template.spec.volumes ?? []) {
    if (v.secret)
      refs.push({ kind: "Secret", name: v.secret.secretName, optional: !!v.secret.optional });
    if (v.configMap)
      refs.push({ kind: "ConfigMap", name: v.configMap.name, optional: !!v.configMap.optional });
  }
  return refs;
}
