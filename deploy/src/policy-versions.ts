/**
 * A service's versions as its policy states them (`versions:` of
 * `<service dir>/.repo/policy.yaml`), and the name a new canary gets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";
import { parse } from "yaml";

export interface PolicyVersion {
  name: string;
  weight: number;
}

export function policyFile(root: string, service: string): string {
  const spec = SERVICES.find((s) => s.name === service);
  if (!spec)
    throw new Error(`unknown service "${service}" (${SERVICES.map((s) => s.name).join(", ")})`);
  return join(root, spec.dir, ".repo", "policy.yaml");
}

export function policyVersions(root: string, service: string): PolicyVersion[] {
  const policy = parse(readFileSync(policyFile(root, service), "utf8")) as {
    versions?: PolicyVersion[];
  };
  return policy.versions ?? [];
}

/**
 * The `--version` a new canary needs: the stable `vN` plus one (`v1` -> `v2`, and `v2`
 * after a promote -> `v3`); undefined while a canary exists (govern keeps its name).
 */
export function nextCanaryVersion(versions: readonly PolicyVersion[]): string | undefined {
  if (versions.length !== 1) return undefined;
  const match = /^v(\d+)$/.exec(versions[0]!.name);
  return match ? `v${Number(match[1]) + 1}` : `${versions[0]!.name}-canary`;
}
