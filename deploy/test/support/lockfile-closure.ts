/**
 * Test support: what `npm ci --omit=dev --workspace <dir>` installs, read from
 * package-lock.json (v3): the workspace's production dependencies and theirs, each
 * resolved as Node and npm do, from the requiring package's own node_modules up to the
 * root. Linked entries (the workspace packages) are followed.
 */

interface LockEntry {
  link?: boolean;
  resolved?: string;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** The folder whose node_modules is searched next after `path`'s own. */
function parentOf(path: string): string | undefined {
  if (path === "") return undefined;
  const nested = path.lastIndexOf("/node_modules/");
  return nested >= 0 ? path.slice(0, nested) : "";
}

/** Lockfile paths (`node_modules/pg`, `libs/node_modules/x`, `libs`) installed for `workspace`. */
export function productionClosure(lock: Lockfile, workspace: string): Set<string> {
  const seen = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    for (let base: string | undefined = from; base !== undefined; base = parentOf(base)) {
      const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
    }
    return undefined;
  };
  const visit = (path: string) => {
    if (seen.has(path)) return;
    const entry = lock.packages[path];
    if (!entry) throw new Error(`package-lock.json has no entry ${path}`);
    seen.add(path);
    if (entry.link) {
      visit(entry.resolved!);
      return;
    }
    if (entry.dev) throw new Error(`${path} is a dev dependency, reached from ${workspace}`);
    const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {})
      .filter(([, m]) => m.optional)
      .map(([n]) => n);
    const wanted: [string, boolean][] = [
      ...Object.keys(entry.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(entry.peerDependencies ?? {}).map((n): [string, boolean] => [
        n,
        optionalPeers.includes(n),
      ]),
    ];
    for (const [name, optional] of wanted) {
      const resolved = resolve(path, name);
      if (resolved) visit(resolved);
      else if (!optional) throw new Error(`${path} needs ${name}, which package-lock.json lacks`);
    }
  };
  visit(workspace);
  return seen;
}
