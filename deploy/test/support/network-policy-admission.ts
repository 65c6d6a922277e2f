/**
 * Which pods a set of NetworkPolicies lets reach a pod on a port: Kubernetes' rules,
 * evaluated on the manifests (pod templates stand for their pods). A pod that no
 * policy selects for ingress admits everyone; once one does, only what some rule
 * allows. Peers are pods of the same namespace matched by podSelector (the policies
 * here use no namespaceSelector or ipBlock; the evaluator refuses them rather than
 * guess).
 */
import type { Json, KubeObject, PodTemplateOf } from "./kube-objects";

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    const ok =
      e.operator === "In"
        ? has && (e.values ?? []).includes(value!)
        : e.operator === "NotIn"
          ? !has || !(e.values ?? []).includes(value!)
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : undefined;
    if (ok === undefined) throw new Error(`unknown selector operator ${e.operator}`);
    if (!ok) return false;
  }
  return true;
}

/** The pods admitted to `target` on `port`, or "all" when no policy restricts it. */
export function admittedPods(
  target: PodTemplateOf,
  port: number,
  policies: readonly KubeObject[],
  pods: readonly PodTemplateOf[],
): PodTemplateOf[] | "all" {
  const selecting = policies.filter(
    (p) =>
      (p.metadata.namespace ?? "default") === target.namespace &&
      selectorMatches(p.spec.podSelector, target.labels) &&
      (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress"),
  );
  if (selecting.length === 0) return "all";
  const admitted = new Set<PodTemplateOf>();
  for (const policy of selecting) {
    for (const rule of policy.spec.ingress ?? []) {
      const ports = (rule.ports ?? []) as Json[];
      if (ports.length > 0 && !ports.some((p) => p.port === port)) continue;
      const peers = (rule.from ?? []) as Json[];
      if (peers.length === 0) return "all";
      for (const peer of peers) {
        if (peer.namespaceSelector || peer.ipBlock)
          throw new Error(`${policy.metadata.name}: namespaceSelector/ipBlock not evaluated here`);
        for (const pod of pods)
          if (pod.namespace === target.namespace && selectorMatches(peer.podSelector, pod.labels))
            admitted.add(pod);
      }
    }
  }
  return [...admitted];
}
