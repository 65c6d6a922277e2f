/**
 * deploy/components/canaries/kustomization.yaml lists the canary component of each
 * service whose policy has a canary now. Governance says which ones: its rendered
 * component patches a `<service>-canary` Deployment for each (deploy/generated/).
 * `make canary`, `make promote` and `make rollback` rewrite the list after govern has
 * re-rendered; the tests fail when the two disagree.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const REGISTRY_FILE = "deploy/components/canaries/kustomization.yaml";
const GENERATED_FILE = "deploy/generated/kustomization.yaml";

interface KustomizePatch {
  target?: { kind?: string; name?: string };
}

/** Services with a canary Deployment in governance's rendered component, sorted. */
export function canariesInGenerated(root: string): string[] {
  const component = parse(readFileSync(join(root, GENERATED_FILE), "utf8")) as {
    patches?: KustomizePatch[];
  };
  return (component.patches ?? [])
    .filter((p) => p.target?.kind === "Deployment" && p.target.name?.endsWith("-canary"))
    .map((p) => p.target!.name!.replace(/-canary$/, ""))
    .sort();
}

/** Services the registry includes a canary component for, sorted. */
export function canariesInRegistry(root: string): string[] {
  const registry = parse(readFileSync(join(root, REGISTRY_FILE), "utf8")) as {
    components?: string[];
  };
  return (registry.components ?? []).map((c) => c.replace(/^\.\.\/canary\//, "")).sort();
}

export function registryText(services: readonly string[]): string {
  const list =
    services.length === 0 ? " []" : `\n${services.map((s) => `  - ../canary/${s}`).join("\n")}`;
  return [
    "# The services that run a canary now: one entry per service whose policy has a second",
    "# version. Written by `deploy/src/cli.ts sync-canaries` from deploy/generated/ (make",
    "# canary, make promote and make rollback run it); a test fails when the two disagree.",
    "apiVersion: kustomize.config.k8s.io/v1alpha1",
    "kind: Component",
    `components:${list}`,
    "",
  ].join("\n");
}

/** Rewrites the registry from deploy/generated/; returns the services with a canary. */
export function syncCanaryRegistry(root: string): string[] {
  const services = canariesInGenerated(root);
  writeFileSync(join(root, REGISTRY_FILE), registryText(services));
  return services;
}
