/** `govern check imports`: no service imports another service's (or the gateway's) code. */
import { findBoundaryViolations } from "../import-boundaries";
import type { Command } from "./command";

export const checkImportsCommand: Command = {
  name: "check imports",
  usage: "govern check imports",
  summary: "fail when a service imports another service's code",
  async run(ctx) {
    const violations = findBoundaryViolations(ctx.root);
    for (const v of violations) ctx.err(`${v.file}:${v.line}: ${v.message} ("${v.specifier}")`);
    if (violations.length === 0) ctx.out("govern: import boundaries hold");
    return violations.length === 0 ? 0 : 1;
  },
};
