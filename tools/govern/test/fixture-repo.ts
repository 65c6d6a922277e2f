/**
 * A throw-away copy of the fixture repository (test/fixtures/repo) for one test, with
 * edits applied. Fixture code is stored as `*.ts.txt` (so the repo's type check and
 * lint leave it alone) and copied in as `.ts`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const FIXTURES = join(__dirname, "fixtures");

export interface FixtureRepo {
  root: string;
  read(path: string): string;
  write(path: string, text: string): void;
  /** Replaces `from` (which must occur) in `path`; returns the 1-based line it is on. */
  replace(path: string, from: string, to: string): number;
  remove(): void;
}

/** The 1-based line and column of the first `needle` in `text`. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const index = text.indexOf(needle);
  if (index === -1) throw new Error(`"${needle}" not found`);
  const before = text.slice(0, index);
  return { line: before.split("\n").length, column: index - before.lastIndexOf("\n") };
}

export function createFixtureRepo(code: Record<string, string> = {}): FixtureRepo {
  const root = mkdtempSync(join(tmpdir(), "govern-"));
  cpSync(join(FIXTURES, "repo"), root, { recursive: true });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const [path, fixture] of Object.entries(code))
    write(path, readFileSync(join(FIXTURES, "code", fixture), "utf8"));
  const read = (path: string) => readFileSync(join(root, path), "utf8");
  return {
    root,
    read,
    write,
    replace(path, from, to) {
      const text = read(path);
      const { line } = positionOf(text, from);
      write(path, text.replace(from, to));
      return line;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
