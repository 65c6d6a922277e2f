/**
 * Finding and validating the policy files of a repository: the shared manifest and one
 * policy per service. Everything downstream (render, check, explain) starts from a
 * `PolicySet` that passed both the schema and the semantic rules.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type RpcFact, rpcFacts } from "../contracts/rpc-facts";
import { createSchemaValidator } from "./schema-validate";
import { semanticFindings } from "./semantic";
import type { RepoManifest, ServicePolicy } from "./types";
import {
  type Finding,
  readYamlSource,
  sortFindings,
  syntaxFindings,
  type YamlSource,
} from "./yaml-source";

export const MANIFEST_FILE = ".repo/repo.manifest.yaml";

export interface Loaded<T> {
  source: YamlSource;
  data: T;
}

export interface PolicySet {
  root: string;
  manifest: Loaded<RepoManifest>;
  policies: Loaded<ServicePolicy>[];
  facts: RpcFact[];
}

/** The policy files under `root`, relative, sorted: services first, then the gateway. */
export function policyFiles(root: string): string[] {
  const services = existsSync(join(root, "services"))
    ? readdirSync(join(root, "services"), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `services/${d.name}/.repo/policy.yaml`)
        .sort()
    : [];
  return [...services, "gateway/.repo/policy.yaml"].filter((f) => existsSync(join(root, f)));
}

export type LoadResult = { ok: true; set: PolicySet } | { ok: false; findings: Finding[] };

/**
 * Reads and validates every policy file. Schema errors stop before the semantic rules,
 * which assume well-formed documents.
 */
export function loadPolicySet(root: string, facts: RpcFact[] = rpcFacts()): LoadResult {
  if (!existsSync(join(root, MANIFEST_FILE)))
    return {
      ok: false,
      findings: [{ file: MANIFEST_FILE, line: 1, column: 1, message: "the manifest is missing" }],
    };
  const sources = [MANIFEST_FILE, ...policyFiles(root)].map((f) => readYamlSource(root, f));
  const validate = createSchemaValidator();
  const findings = sources.flatMap((s) => {
    const syntax = syntaxFindings(s);
    return syntax.length > 0 ? syntax : validate(s);
  });
  const [manifestSource, ...policySources] = sources as [YamlSource, ...YamlSource[]];
  if ((manifestSource.data as { kind?: string } | undefined)?.kind !== "RepoManifest")
    findings.push({
      file: MANIFEST_FILE,
      line: 1,
      column: 1,
      message: "kind must be RepoManifest",
    });
  for (const s of policySources)
    if ((s.data as { kind?: string } | undefined)?.kind !== "ServicePolicy")
      findings.push({ file: s.file, line: 1, column: 1, message: "kind must be ServicePolicy" });
  if (findings.length > 0) return { ok: false, findings: sortFindings(findings) };

  const set: PolicySet = {
    root,
    manifest: { source: manifestSource, data: manifestSource.data as RepoManifest },
    policies: policySources.map((source) => ({ source, data: source.data as ServicePolicy })),
    facts,
  };
  const semantic = semanticFindings(set);
  return semantic.length > 0 ? { ok: false, findings: sortFindings(semantic) } : { ok: true, set };
}
