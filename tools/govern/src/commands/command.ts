/** What every `govern` command module exports, and the context it runs in. */
import type { Finding } from "../policy/yaml-source";
import { formatFinding } from "../policy/yaml-source";

export interface CommandContext {
  /** The repository root. */
  root: string;
  /** Arguments after the command's name. */
  args: string[];
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  /** One or two words: `validate`, `check imports`. */
  name: string;
  usage: string;
  summary: string;
  /** Exit code: 0 holds, 1 findings, 2 usage. */
  run(ctx: CommandContext): Promise<number>;
}

export function printFindings(ctx: CommandContext, findings: Finding[]): void {
  for (const f of findings) ctx.err(formatFinding(f));
}

/** `--flag` present; removes it from args. */
export function takeFlag(args: string[], flag: string): boolean {
  const i = args.indexOf(flag);
  if (i === -1) return false;
  args.splice(i, 1);
  return true;
}

/** `--option value`; removes both from args. */
export function takeOption(args: string[], option: string): string | undefined {
  const i = args.indexOf(option);
  if (i === -1) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}
