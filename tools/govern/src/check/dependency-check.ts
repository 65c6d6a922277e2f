/**
 * Declared dependencies against the code and against the callees' allowed callers:
 * - an RPC the code calls but the policy does not declare (at the call site);
 * - a declared RPC the code never calls (at the declaration), once the service has
 *   code: a policy describing a service that is not written yet is not drift;
 * - a declared RPC the callee does not allow this caller on;
 * - a caller the callee allows that does not declare the RPC (least privilege).
 */

import type { PolicySet } from "../policy/load";
import { catalogueEntry, policyOf } from "../policy/semantic/context";
import { type Finding, findingAt } from "../policy/yaml-source";
import { findRpcCalls, serviceSources } from "./rpc-calls";

export interface DependencyReport {
  findings: Finding[];
  /** Services whose src/ has no code yet (their calls were not compared). */
  withoutCode: string[];
}

function declaredRpcs(
  set: PolicySet,
  caller: string,
): Map<string, { rpcs: Set<string>; generic: boolean }> {
  const deps = policyOf(set, caller)?.data.dependencies?.services ?? {};
  return new Map(
    Object.entries(deps).map(([callee, d]) => [
      callee,
      {
        generic: d.rpcs === "non-internal",
        rpcs: new Set(d.rpcs === "non-internal" ? [] : d.rpcs),
      },
    ]),
  );
}

export function dependencyReport(set: PolicySet): DependencyReport {
  const findings: Finding[] = [];
  const withoutCode: string[] = [];
  const serverOf = (protoService: string) =>
    set.policies.find((p) => p.data.serves.includes(protoService))?.data.service;

  for (const policy of set.policies) {
    const caller = policy.data.service;
    const dir = catalogueEntry(caller)?.dir;
    if (!dir) continue;
    const declared = declaredRpcs(set, caller);
    if (serviceSources(set.root, dir).length === 0) withoutCode.push(caller);
    else {
      // A service implementing its own contract (`Handlers<typeof ProductServiceService>`)
      // is not calling it.
      const foreign = set.facts.filter((f) => serverOf(f.protoService) !== caller);
      const found = findRpcCalls(set.root, dir, foreign);
      const called = new Set<string>();
      for (const call of found) {
        const callee = serverOf(call.rpc.protoService) ?? call.rpc.protoService;
        called.add(`${callee}/${call.rpc.name}`);
        const dep = declared.get(callee);
        const ok = dep?.generic ? call.rpc.access !== "INTERNAL" : dep?.rpcs.has(call.rpc.name);
        if (!ok)
          findings.push({
            file: call.file,
            line: call.line,
            column: call.column,
            message: `${caller} calls ${callee} ${call.rpc.name} but ${policy.source.file} does not declare it`,
          });
      }
      for (const [callee, dep] of declared)
        for (const [i, rpc] of [...dep.rpcs].entries())
          if (!called.has(`${callee}/${rpc}`))
            findings.push(
              findingAt(
                policy.source,
                ["dependencies", "services", callee, "rpcs", i],
                `${caller} declares ${callee} ${rpc} but its code never calls it`,
              ),
            );
    }
    for (const [callee, dep] of declared) {
      const target = policyOf(set, callee);
      if (!target) continue;
      const rpcs = dep.generic
        ? Object.entries(target.data.rpcs ?? {})
            .filter(([name]) => set.facts.some((f) => f.name === name && f.access !== "INTERNAL"))
            .map(([name]) => name)
        : [...dep.rpcs];
      for (const [i, rpc] of rpcs.entries())
        if (!(target.data.rpcs?.[rpc]?.callers ?? []).includes(caller))
          findings.push(
            findingAt(
              policy.source,
              dep.generic
                ? ["dependencies", "services", callee]
                : ["dependencies", "services", callee, "rpcs", i],
              `${callee} does not allow ${caller} to call ${rpc}: add it to rpcs.${rpc}.callers in ${target.source.file}`,
              dep.generic,
            ),
          );
    }
  }

  for (const policy of set.policies)
    for (const [rpc, entry] of Object.entries(policy.data.rpcs ?? {}))
      for (const [i, caller] of entry.callers.entries()) {
        const dep = declaredRpcs(set, caller).get(policy.data.service);
        const fact = set.facts.find(
          (f) => f.name === rpc && policy.data.serves.includes(f.protoService),
        );
        const declares = dep?.generic ? fact?.access !== "INTERNAL" : dep?.rpcs.has(rpc);
        if (!declares && policyOf(set, caller))
          findings.push(
            findingAt(
              policy.source,
              ["rpcs", rpc, "callers", i],
              `allows ${caller} to call ${rpc}, but ${caller} does not declare it: remove it (least privilege) or declare it`,
            ),
          );
      }
  return { findings, withoutCode };
}
