/** Policies from disk to the effective model, or the findings that stop it. */
import type { RpcFact } from "../contracts/rpc-facts";
import { loadPolicySet, type PolicySet } from "../policy/load";
import type { Finding } from "../policy/yaml-source";
import { effectiveRepo } from "./effective";
import type { EffectiveRepo } from "./effective-types";

export type EffectiveResult =
  | { ok: true; set: PolicySet; repo: EffectiveRepo }
  | { ok: false; findings: Finding[] };

export function loadEffective(root: string, facts?: RpcFact[]): EffectiveResult {
  const loaded = loadPolicySet(root, facts);
  if (!loaded.ok) return loaded;
  return { ok: true, set: loaded.set, repo: effectiveRepo(loaded.set) };
}
