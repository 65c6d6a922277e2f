/**
 * The gateway's edge section: rate-limit groups and cached routes name real, reachable
 * RPCs, and only responses of read-only RPCs are cached.
 */
import type { PolicySet } from "../load";
import type { Finding } from "../yaml-source";
import { factByFullName, reporter } from "./context";

export function edgeFindings(set: PolicySet): Finding[] {
  const findings: Finding[] = [];
  for (const policy of set.policies) {
    const edge = policy.data.edge;
    if (!edge) continue;
    const report = reporter(policy, findings);
    for (const [group, limit] of Object.entries(edge.rateLimits))
      for (const [i, rpc] of (limit.rpcs ?? []).entries()) {
        const fact = factByFullName(set, rpc);
        if (!fact)
          report(["edge", "rateLimits", group, "rpcs", i], `no RPC "${rpc}" in the contracts`);
        else if (fact.access === "INTERNAL")
          report(
            ["edge", "rateLimits", group, "rpcs", i],
            `${rpc} is INTERNAL: not reachable at the edge`,
          );
      }
    for (const rpc of Object.keys(edge.cache)) {
      const fact = factByFullName(set, rpc);
      if (!fact) report(["edge", "cache", rpc], `no RPC "${rpc}" in the contracts`, true);
      else if (!fact.readOnly)
        report(
          ["edge", "cache", rpc],
          `${rpc} has side effects: only NO_SIDE_EFFECTS RPCs are cached`,
          true,
        );
      else if (fact.access !== "PUBLIC")
        report(
          ["edge", "cache", rpc],
          `${rpc} is not PUBLIC: a shared cache would leak per-user data`,
          true,
        );
    }
  }
  return findings;
}
