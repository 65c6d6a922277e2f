/**
 * Dependencies name services and RPCs that exist; a database is reached only by the
 * service that owns it.
 */
import { eventNames } from "../../contracts/event-names";
import type { PolicySet } from "../load";
import type { Finding } from "../yaml-source";
import { isCatalogued, policyOf, reporter, servedFact } from "./context";

export function dependencyFindings(set: PolicySet): Finding[] {
  const findings: Finding[] = [];
  const events = eventNames();
  for (const policy of set.policies) {
    const report = reporter(policy, findings);
    const p = policy.data;
    const deps = p.dependencies ?? {};
    for (const [callee, dep] of Object.entries(deps.services ?? {})) {
      const target = policyOf(set, callee);
      if (!isCatalogued(callee) || !target) {
        report(["dependencies", "services", callee], `service "${callee}" does not exist`, true);
        continue;
      }
      if (callee === p.service)
        report(
          ["dependencies", "services", callee],
          "a service does not call itself over the mesh",
          true,
        );
      if (dep.rpcs === "non-internal") continue;
      for (const [i, rpc] of dep.rpcs.entries())
        if (!servedFact(set, target.data, rpc))
          report(
            ["dependencies", "services", callee, "rpcs", i],
            `${callee} serves no RPC "${rpc}"`,
          );
    }
    if (deps.jwks !== undefined && !policyOf(set, deps.jwks))
      report(["dependencies", "jwks"], `service "${deps.jwks}" does not exist`);
    if (deps.postgres !== undefined && deps.postgres !== p.data?.postgres)
      report(
        ["dependencies", "postgres"],
        `the database "${deps.postgres}" is not ${p.service}'s: a database is reached only by its owner`,
      );
    for (const [i, consumed] of (deps.events?.consumes ?? []).entries()) {
      if (!policyOf(set, consumed.from))
        report(
          ["dependencies", "events", "consumes", i, "from"],
          `service "${consumed.from}" does not exist`,
        );
      for (const [j, event] of consumed.events.entries())
        if (!events.includes(event))
          report(
            ["dependencies", "events", "consumes", i, "events", j],
            `no event "${event}" in shop.events.v1`,
          );
    }
  }
  return findings;
}
