/**
 * Per-RPC rules: every served RPC has an entry and no entry names an unknown RPC;
 * callers exist; the gateway never reaches an INTERNAL RPC; and retries only where a
 * repeat is safe: protobuf says IDEMPOTENT or NO_SIDE_EFFECTS, or the RPC dedupes by
 * its idempotency key (CreateOrder).
 */
import type { PolicySet } from "../load";
import type { Finding } from "../yaml-source";
import { GRPC_CODES, isCatalogued, policyOf, reporter, servedFact, servedFacts } from "./context";

export function rpcFindings(set: PolicySet): Finding[] {
  const findings: Finding[] = [];
  for (const policy of set.policies) {
    const report = reporter(policy, findings);
    const p = policy.data;
    const rpcs = p.rpcs ?? {};
    for (const fact of servedFacts(set, p))
      if (!rpcs[fact.name])
        report(
          p.rpcs ? ["rpcs"] : ["serves"],
          `${fact.name} has no entry in rpcs: declare who may call it`,
          !!p.rpcs,
        );
    for (const [name, rpc] of Object.entries(rpcs)) {
      const fact = servedFact(set, p, name);
      if (!fact) {
        report(["rpcs", name], `${p.service} serves no RPC "${name}"`, true);
        continue;
      }
      for (const [i, caller] of rpc.callers.entries()) {
        if (!isCatalogued(caller) || !policyOf(set, caller))
          report(["rpcs", name, "callers", i], `caller "${caller}" does not exist`);
        if (caller === "api-gateway" && fact.access === "INTERNAL")
          report(
            ["rpcs", name, "callers", i],
            `${name} is INTERNAL: the api-gateway must never reach it`,
          );
      }
      const attempts = rpc.retries?.attempts ?? 0;
      if (attempts > 0 && !fact.retrySafe && rpc.idempotencyKey !== "required")
        report(
          ["rpcs", name, "retries", "attempts"],
          `${name} is not idempotent (no idempotency_level in the contract): no retries unless idempotencyKey: required`,
        );
      if (rpc.idempotencyKey && fact.retrySafe)
        report(["rpcs", name, "idempotencyKey"], `${name} is already idempotent by contract`, true);
    }
    for (const [name, fault] of Object.entries(p.faults ?? {})) {
      if (!servedFact(set, p, fault.rpc))
        report(["faults", name, "rpc"], `${p.service} serves no RPC "${fault.rpc}"`);
      if (fault.kind === "delay" && !fault.delay)
        report(["faults", name], "a delay fault needs delay");
      if (fault.kind === "error" && !GRPC_CODES.includes(fault.code as never))
        report(
          fault.code ? ["faults", name, "code"] : ["faults", name],
          "an error fault needs code: a gRPC status name such as UNAVAILABLE",
        );
    }
  }
  return findings;
}
