/**
 * Every RPC carries `(shop.options.v1.access)`, and is INTERNAL exactly when it has no
 * HTTP rule (so the gateway can never expose an internal RPC). Positions point into the
 * .proto file at the `rpc` line.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RpcFact } from "../contracts/rpc-facts";
import type { Finding } from "../policy/yaml-source";

function rpcPosition(root: string, fact: RpcFact): { line: number; column: number } {
  const path = join(root, fact.protoFile);
  if (!existsSync(path)) return { line: 1, column: 1 };
  const lines = readFileSync(path, "utf8").split("\n");
  const pattern = new RegExp(`\\brpc\\s+${fact.name}\\s*\\(`);
  const index = lines.findIndex((l) => pattern.test(l));
  return index === -1
    ? { line: 1, column: 1 }
    : { line: index + 1, column: lines[index]!.search(/\S/) + 1 };
}

export function accessFindings(root: string, facts: RpcFact[]): Finding[] {
  const findings: Finding[] = [];
  for (const fact of facts) {
    const at = { file: fact.protoFile, ...rpcPosition(root, fact) };
    if (!fact.access)
      findings.push({
        ...at,
        message: `rpc ${fact.name} has no access level: set option (shop.options.v1.access)`,
      });
    else if ((fact.access === "INTERNAL") === (fact.http !== undefined))
      findings.push({
        ...at,
        message:
          fact.access === "INTERNAL"
            ? `rpc ${fact.name} is INTERNAL but has an HTTP rule: the gateway would expose it`
            : `rpc ${fact.name} is ${fact.access} but has no HTTP rule`,
      });
  }
  return findings;
}
