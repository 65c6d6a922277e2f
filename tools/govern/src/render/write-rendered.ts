/**
 * Writes a render into the repository: only under the output folders, only files whose
 * content changed, and removes files there that the policies no longer produce.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import type { RenderedFile } from "./output";
import { OUTPUT_DIRS } from "./render-all";

/** Files currently under the output folders, relative to `root`, sorted. */
export function existingOutputs(root: string): string[] {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        )
      : [];
  return OUTPUT_DIRS.flatMap((d) => walk(join(root, d)))
    .map((f) => relative(root, f).split(sep).join("/"))
    .sort();
}

export interface WriteResult {
  /** Created or changed. */
  written: string[];
  removed: string[];
}

export function writeRendered(root: string, files: RenderedFile[]): WriteResult {
  const inside = (path: string) => OUTPUT_DIRS.some((d) => path.startsWith(`${d}/`));
  const written: string[] = [];
  for (const file of files) {
    if (!inside(file.path))
      throw new Error(`refusing to write ${file.path}: outside ${OUTPUT_DIRS.join(", ")}`);
    const path = join(root, file.path);
    if (existsSync(path) && readFileSync(path, "utf8") === file.content) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    written.push(file.path);
  }
  const wanted = new Set(files.map((f) => f.path));
  const removed = existingOutputs(root).filter((f) => !wanted.has(f));
  for (const f of removed) rmSync(join(root, f));
  return { written, removed };
}
