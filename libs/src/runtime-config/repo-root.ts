import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The repository root: the nearest folder at or above `from` that holds `buf.yaml`.
 * Walking up (instead of a fixed `../../..`) keeps working from src/, from a bundled
 * dist/ and from a container image that copies the repo to another depth.
 */
export function findRepoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, "buf.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no buf.yaml found in ${from} or any folder above it`);
    }
    dir = parent;
  }
}
