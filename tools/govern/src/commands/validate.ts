/** `govern validate`: schema and semantic errors of every policy, as file:line:column. */
import { loadPolicySet, policyFiles } from "../policy/load";
import { type Command, printFindings } from "./command";

export const validateCommand: Command = {
  name: "validate",
  usage: "govern validate",
  summary: "check .repo/repo.manifest.yaml and every .repo/policy.yaml",
  async run(ctx) {
    const result = loadPolicySet(ctx.root);
    if (!result.ok) {
      printFindings(ctx, result.findings);
      ctx.err(`govern: ${result.findings.length} policy error(s)`);
      return 1;
    }
    ctx.out(`govern: ${policyFiles(ctx.root).length + 1} policy files valid`);
    return 0;
  },
};
