/** The semantic rules, run after the schema passed. */
import type { PolicySet } from "../load";
import type { Finding } from "../yaml-source";
import { dependencyFindings } from "./dependencies";
import { edgeFindings } from "./edge";
import { floorFindings } from "./floors";
import { rpcFindings } from "./rpcs";
import { serviceFindings } from "./services";
import { versionBudgetFindings } from "./versions-budgets";

export function semanticFindings(set: PolicySet): Finding[] {
  return [
    ...serviceFindings(set),
    ...floorFindings(set),
    ...rpcFindings(set),
    ...dependencyFindings(set),
    ...versionBudgetFindings(set),
    ...edgeFindings(set),
  ];
}
