/**
 * Test support: the build context Docker sends for `docker build .`, after
 * .dockerignore: Go-style patterns with `**`, anchored at the context root; a pattern
 * that matches a folder excludes what is in it; the last matching pattern wins, and
 * `!pattern` re-includes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface Rule {
  regex: RegExp;
  negate: boolean;
  /** The literal start of a re-including pattern: folders on its way must be walked. */
  prefix: string;
}

function toRegex(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

export function readIgnoreRules(file: string): Rule[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, "").replace(/\/+$/, "");
      return { regex: toRegex(pattern), negate, prefix: pattern.split(/[*?[]/)[0]! };
    });
}

/** True when `path` (relative, `/`-separated) is left out of the context. */
export function isIgnored(rules: readonly Rule[], path: string): boolean {
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negate;
  }
  return ignored;
}

/** Every file of the context, relative to `root`, sorted. */
export function contextFiles(root: string, rules: readonly Rule[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      const ignored = isIgnored(rules, path);
      if (entry.isDirectory()) {
        const reincluded = rules.some((r) => r.negate && r.prefix.startsWith(`${path}/`));
        if (!ignored || reincluded) walk(path);
      } else if (!ignored) files.push(path);
    }
  };
  walk("");
  return files.sort();
}
