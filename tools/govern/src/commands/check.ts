/**
 * `govern check`: everything CI holds the repository to besides validation: no drift of
 * the rendered output, service import boundaries, real calls against declared
 * dependencies and the callees' allowed callers, and an access level on every RPC.
 */
import { accessFindings } from "../check/access-levels";
import { dependencyReport } from "../check/dependency-check";
import { driftFindings } from "../check/drift";
import { findBoundaryViolations } from "../import-boundaries";
import { loadEffective } from "../model/load-effective";
import type { Finding } from "../policy/yaml-source";
import { renderAll } from "../render/render-all";
import { type Command, printFindings } from "./command";

export const checkCommand: Command = {
  name: "check",
  usage: "govern check",
  summary:
    "fail on drift, cross-service imports, undeclared or unallowed calls, RPCs without access",
  async run(ctx) {
    const result = loadEffective(ctx.root);
    if (!result.ok) {
      printFindings(ctx, result.findings);
      ctx.err("govern: fix the policies first (govern validate)");
      return 1;
    }
    const findings: Finding[] = [];
    findings.push(...driftFindings(ctx.root, await renderAll(result.repo)));
    findings.push(
      ...findBoundaryViolations(ctx.root).map((v) => ({
        file: v.file,
        line: v.line,
        column: 1,
        message: `${v.message} ("${v.specifier}")`,
      })),
    );
    const deps = dependencyReport(result.set);
    findings.push(...deps.findings, ...accessFindings(ctx.root, result.set.facts));
    printFindings(ctx, findings);
    if (deps.withoutCode.length > 0)
      ctx.out(
        `govern: no code yet in ${deps.withoutCode.join(", ")}: their calls were not compared`,
      );
    if (findings.length > 0) {
      ctx.err(`govern: ${findings.length} finding(s)`);
      return 1;
    }
    ctx.out(
      "govern: no drift, boundaries hold, dependencies match the code, every RPC has an access level",
    );
    return 0;
  },
};
