/**
 * `govern`: the governance CLI (`npx govern <command>`, `make govern-*`). Each command
 * is a module in commands/; each exits 0 when the repository satisfies it, 1 with one
 * `file:line:column: message` per finding otherwise, 2 on a usage error.
 * `--root <dir>` points it at another checkout (the tests' fixtures).
 */
import { join, resolve } from "node:path";
import { budgetsCommand } from "./commands/budgets";
import { canaryCommand, promoteCommand, rollbackCommand } from "./commands/canary";
import { checkCommand } from "./commands/check";
import { checkImportsCommand } from "./commands/check-imports";
import type { Command, CommandContext } from "./commands/command";
import { takeOption } from "./commands/command";
import { explainCommand } from "./commands/explain";
import { graphCommand } from "./commands/graph";
import { renderCommand } from "./commands/render";
import { schemaCommand } from "./commands/schema";
import { validateCommand } from "./commands/validate";

/** Longer names first, so `check imports` wins over `check`. */
export const COMMANDS: readonly Command[] = [
  checkImportsCommand,
  validateCommand,
  explainCommand,
  renderCommand,
  checkCommand,
  budgetsCommand,
  graphCommand,
  canaryCommand,
  promoteCommand,
  rollbackCommand,
  schemaCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    "usage: govern <command> [--root <dir>]",
    "",
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

/** Runs the command `argv` names; resolves to its exit code. */
export async function runCli(
  argv: string[],
  io: Pick<CommandContext, "out" | "err">,
): Promise<number> {
  const args = [...argv];
  const root = resolve(takeOption(args, "--root") ?? join(__dirname, "..", "..", ".."));
  for (const command of COMMANDS) {
    const words = command.name.split(" ");
    if (words.every((w, i) => args[i] === w))
      return command.run({ root, args: args.slice(words.length), ...io });
  }
  io.err(usage());
  return 2;
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
