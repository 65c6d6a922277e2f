/**
 * Each policy names a catalogued service, sits in that service's folder, owns the
 * database the catalogue gives it, and serves protobuf services nobody else serves.
 */
import { SERVICES } from "@shop/libs/mesh";
import type { PolicySet } from "../load";
import type { Finding } from "../yaml-source";
import { catalogueEntry, reporter } from "./context";

export function serviceFindings(set: PolicySet): Finding[] {
  const findings: Finding[] = [];
  const servedBy = new Map<string, string>();
  const seen = new Set<string>();
  for (const policy of set.policies) {
    const report = reporter(policy, findings);
    const p = policy.data;
    const entry = catalogueEntry(p.service);
    if (!entry) {
      report(["service"], `unknown service "${p.service}" (not in libs/src/mesh/services.ts)`);
      continue;
    }
    if (policy.source.file !== `${entry.dir}/.repo/policy.yaml`)
      report(["service"], `${p.service}'s policy belongs in ${entry.dir}/.repo/policy.yaml`);
    if (seen.has(p.service)) report(["service"], `a second policy for ${p.service}`);
    seen.add(p.service);
    if (p.data?.postgres !== undefined && p.data.postgres !== entry.database?.name)
      report(
        ["data", "postgres"],
        entry.database
          ? `${p.service} owns the database "${entry.database.name}", not "${p.data.postgres}"`
          : `${p.service} owns no database`,
      );
    if (entry.database && p.data?.postgres === undefined)
      report(
        ["service"],
        `${p.service} owns the database "${entry.database.name}": declare data.postgres`,
      );
    for (const [i, proto] of p.serves.entries()) {
      if (!set.facts.some((f) => f.protoService === proto))
        report(["serves", i], `no protobuf service "${proto}" in the contracts`);
      const other = servedBy.get(proto);
      if (other) report(["serves", i], `${proto} is already served by ${other}`);
      servedBy.set(proto, p.service);
    }
    if (p.service === "api-gateway" && !p.edge)
      report(["service"], "the api-gateway policy needs an edge section");
    if (p.service !== "api-gateway" && p.edge)
      report(["edge"], "only the api-gateway has an edge section", true);
  }
  for (const entry of SERVICES)
    if (!seen.has(entry.name))
      findings.push({
        file: `${entry.dir}/.repo/policy.yaml`,
        line: 1,
        column: 1,
        message: `${entry.name} has no policy: every service of the mesh needs one`,
      });
  return findings;
}
