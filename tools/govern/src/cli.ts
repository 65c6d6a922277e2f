/**
 * `govern`: the governance CLI. Each command exits 0 when the repository satisfies it
 * and 1 with one `file:line: message` per finding otherwise.
 */
import { join } from "node:path";
import { findBoundaryViolations } from "./import-boundaries";

const ROOT = join(__dirname, "..", "..", "..");

const COMMANDS: Record<string, (args: string[]) => number> = {
  "check imports": () => {
    const violations = findBoundaryViolations(ROOT);
    for (const v of violations)
      console.error(`${v.file}:${v.line}: ${v.message} ("${v.specifier}")`);
    if (violations.length === 0) console.log("govern: import boundaries hold");
    return violations.length === 0 ? 0 : 1;
  },
};

function main(argv: string[]): number {
  for (const [name, run] of Object.entries(COMMANDS)) {
    const words = name.split(" ");
    if (words.every((w, i) => argv[i] === w)) return run(argv.slice(words.length));
  }
  console.error(
    `usage: govern <command>\ncommands:\n${Object.keys(COMMANDS)
      .map((c) => `  ${c}`)
      .join("\n")}`,
  );
  return 2;
}

process.exitCode = main(process.argv.slice(2));
