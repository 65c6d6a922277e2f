/**
 * `--apply`: `kubectl apply` on the rendered resources a canary change touched. Patch
 * files and the kustomize Component are not standalone objects; they reach the cluster
 * with the deploy overlay, so they are listed for the operator instead.
 */
import { spawnSync } from "node:child_process";

export interface ApplyPlan {
  /** Passed to `kubectl apply -f`. */
  apply: string[];
  /** Changed, but applied through the deploy overlay. */
  viaOverlay: string[];
}

export function applyPlan(changed: string[]): ApplyPlan {
  const yaml = changed.filter(
    (f) => f.endsWith(".yaml") && (f.startsWith("istio/") || f.startsWith("deploy/generated/")),
  );
  const viaOverlay = yaml.filter(
    (f) => f.endsWith(".patch.yaml") || f.endsWith("kustomization.yaml"),
  );
  return {
    apply: yaml.filter((f) => !viaOverlay.includes(f)).sort(),
    viaOverlay: viaOverlay.sort(),
  };
}

export function kubectlArgs(files: string[]): string[] {
  return ["apply", ...files.flatMap((f) => ["-f", f])];
}

/** Runs kubectl (or $KUBECTL) from `root`; returns its exit code. */
export function runKubectl(
  root: string,
  files: string[],
  kubectl = process.env.KUBECTL ?? "kubectl",
): number {
  if (files.length === 0) return 0;
  const result = spawnSync(kubectl, kubectlArgs(files), { cwd: root, stdio: "inherit" });
  return result.status ?? 1;
}
