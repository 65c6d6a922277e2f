/**
 * Service boundaries: a service imports libs/ and gen/, never another service or the
 * gateway; libs/ imports no service. Found by reading import specifiers, so both
 * relative paths (`../../product/src/x`) and package names (`@shop/product-service`)
 * are caught. Tests (`*.spec.ts`, `test/` folders) are exempt. tools/ is not a unit: the governance CLI reads services' code as data
 * and its tests hold import statements as fixtures.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** The workspace folders whose code is confined, with the package each one publishes. */
const UNITS: readonly { dir: string; pkg: string }[] = [
  { dir: "services/user", pkg: "@shop/user-service" },
  { dir: "services/product", pkg: "@shop/product-service" },
  { dir: "services/order", pkg: "@shop/order-service" },
  { dir: "gateway", pkg: "@shop/api-gateway" },
  { dir: "libs", pkg: "@shop/libs" },
];

/** Who may import whom, beyond itself and gen/: libs is shared, and imports no unit. */
const ALLOWED: Record<string, readonly string[]> = { libs: [] };
const SHARED = ["libs"];

export interface BoundaryViolation {
  file: string;
  line: number;
  specifier: string;
  message: string;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

function unitOf(root: string, file: string): string | undefined {
  const rel = relative(root, file).split(sep).join("/");
  return UNITS.find((u) => rel === u.dir || rel.startsWith(`${u.dir}/`))?.dir;
}

function sourceFiles(dir: string): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) return [];
    // Test code is not shipped: an integration test may start the real neighbour it
    // talks to (order-service's saga tests run a real product-service).
    if (e.isDirectory() && (e.name === "test" || e.name === "testing")) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith(".spec.ts") ? [path] : [];
  });
}

/** Every import in `root` that crosses a boundary. */
export function findBoundaryViolations(root: string): BoundaryViolation[] {
  const violations: BoundaryViolation[] = [];
  for (const unit of UNITS) {
    const allowed = new Set([unit.dir, ...(ALLOWED[unit.dir] ?? SHARED)]);
    for (const file of sourceFiles(join(root, unit.dir))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[1]!;
        const target = specifier.startsWith(".")
          ? unitOf(root, resolve(dirname(file), specifier))
          : UNITS.find((u) => specifier === u.pkg || specifier.startsWith(`${u.pkg}/`))?.dir;
        if (!target || allowed.has(target)) continue;
        violations.push({
          file: relative(root, file),
          line: text.slice(0, match.index).split("\n").length,
          specifier,
          message: `${unit.dir} must not import ${target} (only ${[...allowed].join(", ")} and gen)`,
        });
      }
    }
  }
  return violations;
}
