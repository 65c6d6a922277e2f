/**
 * `tsx scripts/build-dist.ts --out <dir> <process>...`: the compiled JavaScript of each
 * process, laid out as the container image's /app. The Dockerfiles run it in their build
 * stage; deploy/test/image-build.spec.ts runs it outside Docker and starts the result.
 *
 * TypeScript 7's tsc emits CommonJS next to the repository's own layout (so `__dirname`
 * based paths, migrations and `findRepoRoot` keep working), and the workspace packages'
 * `exports`, which point at `.ts` sources in the repository, are rewritten to the emitted
 * `.js` in the copies. Node then runs the result without tsx. A type error fails the
 * build: an image is never made from code that does not typecheck.
 *
 * <out>/<process>/ holds: buf.yaml (findRepoRoot's marker), proto/ and third_party/
 * (server reflection loads them), the process's runtime config from .repo/generated/,
 * gen/ and libs/ compiled, the process's workspace compiled with its migrations, and
 * deploy/jobs/ (the migration and provisioning entry points Jobs run).
 *
 * The process's own entry point, `<workspace>/src/main.js`, is then replaced by one
 * esbuild bundle of the telemetry preload followed by main (see bundleProcess): node
 * reads, resolves and compiles one file instead of some 770 modules, which was a fifth
 * of a process's start-up CPU (bench/README.md, mesh-cold-start). The image runs it
 * without `--require`: the preload is its first module.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { build as esbuild, type Plugin } from "esbuild";
import { type SourceMapV3, trimSourceMap } from "./source-map-trim";

/** Workspace packages every process is built from, besides its own. */
const SHARED_PACKAGES = ["gen", "libs"] as const;
/** Source roots compiled for each package (relative to the package folder). */
const SOURCE_ROOTS: Record<string, string[]> = { gen: ["ts", "es"], default: ["src"] };
/** Entry points of the Jobs, compiled into every image. */
export const JOBS_DIR = "deploy/jobs";
/** Folders of tests and test support, never shipped. */
const TEST_ONLY = /(^|\/)(testing|test-app|test|__snapshots__)\//;
/** Copied verbatim: contracts for reflection, the repository-root marker. */
const ASSETS = ["buf.yaml", "proto", "third_party"];

export function workspaceOf(process: ServiceName): string {
  const spec = SERVICES.find((s) => s.name === process);
  if (!spec) throw new Error(`unknown process ${process}`);
  return spec.dir;
}

/** The packages a process's image holds: gen, libs and its own workspace. */
export function packagesOf(process: ServiceName): string[] {
  return [...SHARED_PACKAGES, workspaceOf(process)];
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => f.split("\\").join("/"))
    .sort();
}

/** The TypeScript files compiled for `packages` (relative to `root`). */
export function sourceFiles(root: string, packages: readonly string[]): string[] {
  const roots = packages.flatMap((pkg) =>
    (SOURCE_ROOTS[pkg] ?? SOURCE_ROOTS.default!).map((r) => `${pkg}/${r}`),
  );
  return [...roots, JOBS_DIR].flatMap((dir) =>
    listFiles(join(root, dir))
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".spec.ts") && !f.endsWith(".d.ts"))
      .filter((f) => !TEST_ONLY.test(`${f}`) && !f.includes("node_modules/"))
      .map((f) => `${dir}/${f}`),
  );
}

type Exports = string | { [key: string]: Exports } | null;

/** `./src/index.ts` -> `./src/index.js`, in every target of an `exports` map. */
export function exportsToJs(exports: Exports): Exports {
  if (typeof exports === "string") return exports.replace(/\.ts$/, ".js");
  if (exports === null) return null;
  return Object.fromEntries(Object.entries(exports).map(([k, v]) => [k, exportsToJs(v)]));
}

/** The package.json shipped in the image: no scripts or dev dependencies, `.js` exports. */
export function distPackageJson(source: Record<string, unknown>): Record<string, unknown> {
  const { name, version, private: isPrivate, dependencies, exports } = source;
  return {
    name,
    version,
    private: isPrivate,
    ...(exports ? { exports: exportsToJs(exports as Exports) } : {}),
    ...(dependencies ? { dependencies } : {}),
  };
}

/** Runs tsc over `files`; throws with its diagnostics when the code does not typecheck. */
function compile(root: string, files: string[], outDir: string): void {
  const configDir = mkdtempSync(join(tmpdir(), "build-dist-"));
  try {
    const config = {
      extends: join(root, "tsconfig.base.json"),
      compilerOptions: {
        rootDir: root,
        outDir,
        noEmit: false,
        sourceMap: true,
        // The base config's `types` resolve from its own folder; this one lives in tmp.
        typeRoots: [join(root, "node_modules", "@types")],
        types: ["node"],
      },
      files: files.map((f) => join(root, f)),
    };
    const configFile = join(configDir, "tsconfig.json");
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const tsc = join(root, "node_modules", ".bin", "tsc");
    const result = spawnSync(tsc, ["-p", configFile], { cwd: root, encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`.trimEnd());
    }
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

function copyCompiled(staging: string, target: string, dir: string): void {
  for (const file of listFiles(join(staging, dir))) {
    if (!file.endsWith(".js") && !file.endsWith(".js.map")) continue;
    const to = join(target, dir, file);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(staging, dir, file), to);
  }
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Lays out one process's /app from the compiled staging folder. */
function layout(root: string, staging: string, target: string, process: ServiceName): void {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  // The image's root package.json stops Node's package lookup at /app and says CommonJS.
  writeJson(join(target, "package.json"), {
    name: `shop-${process}`,
    private: true,
    type: "commonjs",
  });
  for (const asset of ASSETS) cpSync(join(root, asset), join(target, asset), { recursive: true });
  for (const file of listFiles(join(root, ".repo", "generated"))) {
    if (file.startsWith(`${process}.`) && file.endsWith(".json"))
      cpSync(join(root, ".repo", "generated", file), join(target, ".repo", "generated", file));
  }
  for (const pkg of packagesOf(process)) {
    const source = JSON.parse(readFileSync(join(root, pkg, "package.json"), "utf8"));
    writeJson(join(target, pkg, "package.json"), distPackageJson(source));
    copyCompiled(staging, target, pkg);
  }
  copyCompiled(staging, target, JOBS_DIR);
  const migrations = [join(workspaceOf(process), "migrations"), "libs/src/events/migrations"];
  for (const dir of migrations) {
    if (existsSync(join(root, dir)))
      cpSync(join(root, dir), join(target, dir), { recursive: true });
  }
}

const REQUIRE = /\brequire\("([^"]+)"\)/g;

/**
 * Every `require` of a relative path or a workspace package (`@shop/...`) in the
 * emitted JavaScript that does not resolve inside `target`: what would be a
 * MODULE_NOT_FOUND at run time, found at build time. Third-party packages come from
 * the production install and are not checked here.
 */
export function unresolvedRequires(target: string): string[] {
  const packages = new Map<string, { dir: string; exports: Record<string, string> }>();
  for (const file of listFiles(target)) {
    if (!file.endsWith("package.json") || file === "package.json") continue;
    const pkg = JSON.parse(readFileSync(join(target, file), "utf8"));
    if (typeof pkg.name === "string" && pkg.name.startsWith("@shop/"))
      packages.set(pkg.name, { dir: join(target, dirname(file)), exports: pkg.exports ?? {} });
  }
  const exists = (path: string) =>
    [path, `${path}.js`, `${path}.json`, join(path, "index.js")].some(
      (p) => existsSync(p) && !readdirSyncSafe(p),
    );
  const missing: string[] = [];
  for (const file of listFiles(target).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(join(target, file), "utf8");
    for (const [, specifier] of text.matchAll(REQUIRE)) {
      const spec = specifier!;
      let resolved: string | undefined;
      if (spec.startsWith(".")) resolved = resolve(target, dirname(file), spec);
      else if (spec.startsWith("@shop/")) {
        const [scope, name, ...rest] = spec.split("/");
        const pkg = packages.get(`${scope}/${name}`);
        const subpath = rest.length ? `./${rest.join("/")}` : ".";
        resolved = pkg && resolveExport(pkg.dir, pkg.exports, subpath);
        if (!resolved) {
          missing.push(`${file}: ${spec}`);
          continue;
        }
      } else continue;
      if (!exists(resolved)) missing.push(`${file}: ${spec}`);
    }
  }
  return missing;
}

function readdirSyncSafe(path: string): boolean {
  try {
    readdirSync(path);
    return true; // a directory
  } catch {
    return false;
  }
}

function resolveExport(
  dir: string,
  exports: Record<string, string>,
  subpath: string,
): string | undefined {
  if (exports[subpath]) return join(dir, exports[subpath]);
  for (const [key, value] of Object.entries(exports)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix)) {
      const middle = subpath.slice(prefix.length, subpath.length - suffix.length);
      return join(dir, value.replace("*", middle));
    }
  }
  return undefined;
}

export interface BuildOptions {
  root: string;
  out: string;
  processes: readonly ServiceName[];
}

/**
 * Packages a bundle leaves to node_modules: those OpenTelemetry instruments by patching
 * their `require` (@grpc/grpc-js, pg, ioredis; http is built in), native addons, and
 * those that read their own files next to `__dirname` (.proto files, workers).
 */
export const BUNDLE_EXTERNAL = [
  "@grpc/*",
  "grpc-health-check",
  "protobufjs",
  "pg",
  "pg-*",
  "ioredis",
  "@node-rs/*",
  "pino",
];

/** The telemetry preload, then main: the order `node --require <preload> main` had. */
const PRELOAD = "libs/src/telemetry/preload.js";

/**
 * Gives each bundled file of the layout its own `__dirname` (migrations folders are
 * found from it): the bundle's folder joined with the file's folder relative to it.
 */
function ownDirname(bundleDir: string): Plugin {
  return {
    name: "own-dirname",
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (args.path.includes("/node_modules/")) return undefined;
        const text = readFileSync(args.path, "utf8");
        if (!text.includes("__dirname")) return undefined;
        const folder = JSON.stringify(relative(bundleDir, dirname(args.path)));
        const own = `require("node:path").join(__dirname, ${folder})`;
        return { contents: text.replaceAll(/\b__dirname\b/g, own), loader: "js" };
      });
    },
  };
}

/**
 * Resolves the workspace packages (`@shop/...`) to their compiled copies in `target`
 * through the rewritten `exports`, as node does in the image.
 */
function layoutPackages(target: string): Plugin {
  return {
    name: "layout-packages",
    setup(build) {
      build.onResolve({ filter: /^@shop\// }, (args) => {
        const [scope, name, ...rest] = args.path.split("/");
        const dir = join(target, workspaceDirOf(`${scope}/${name}`));
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
        const path = resolveExport(
          dir,
          pkg.exports ?? {},
          rest.length ? `./${rest.join("/")}` : ".",
        );
        return path ? { path } : { errors: [{ text: `${args.path} is not in the layout` }] };
      });
    },
  };
}

/** The repository folder of a workspace package (`@shop/libs` -> `libs`). */
function workspaceDirOf(name: string): string {
  const byName: Record<string, string> = Object.fromEntries([
    ...SHARED_PACKAGES.map((pkg) => [`@shop/${pkg}`, pkg]),
    ...SERVICES.map((s) => [`@shop/${s.name}`, s.dir]),
  ]);
  const dir = byName[name];
  if (!dir) throw new Error(`unknown workspace package ${name}`);
  return dir;
}

/**
 * Replaces `<target>/<workspace>/src/main.js` with one bundle of the preload and main,
 * node_modules included but BUNDLE_EXTERNAL, with a source map back to the TypeScript
 * (through tsc's maps), thinned for third-party code (source-map-trim.ts).
 */
export async function bundleProcess(
  root: string,
  target: string,
  process: ServiceName,
): Promise<void> {
  const main = join(target, workspaceOf(process), "src", "main.js");
  const result = await esbuild({
    stdin: {
      contents: `require(${JSON.stringify(join(target, PRELOAD))});\nrequire(${JSON.stringify(main)});\n`,
      resolveDir: dirname(main),
      sourcefile: "entry.js",
      loader: "js",
    },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: main,
    external: BUNDLE_EXTERNAL,
    sourcemap: "linked",
    sourcesContent: false,
    // Node resolves `exports` conditions the same way at run time.
    conditions: ["node", "require"],
    // Third-party packages from the build's install, as `npm ci` lays them out.
    nodePaths: [join(root, "node_modules")],
    plugins: [layoutPackages(target), ownDirname(dirname(main))],
    logLevel: "silent",
    write: false,
  });
  if (result.errors.length > 0) {
    throw new Error(`${process}: bundle failed: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  for (const file of result.outputFiles) {
    // Node parses the whole map at the first stack trace through the bundle: ours only.
    const contents = file.path.endsWith(".map")
      ? JSON.stringify(trimSourceMap(JSON.parse(file.text) as SourceMapV3))
      : file.contents;
    writeFileSync(file.path, contents);
  }
}

/** Compiles once for all `processes`, then lays out and bundles `<out>/<process>/` for each. */
export async function buildDist({
  root,
  out,
  processes,
}: BuildOptions): Promise<Record<string, string>> {
  const packages = [...new Set(processes.flatMap(packagesOf))];
  const staging = mkdtempSync(join(tmpdir(), "build-dist-js-"));
  try {
    compile(root, sourceFiles(root, packages), staging);
    const targets: Record<string, string> = {};
    for (const process of processes) {
      const target = join(out, process);
      layout(root, staging, target, process);
      const missing = unresolvedRequires(target);
      if (missing.length > 0)
        throw new Error(`${process}: requires that do not resolve:\n  ${missing.join("\n  ")}`);
      await bundleProcess(root, target, process);
      targets[process] = target;
    }
    return targets;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf("--out");
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const processes = argv.filter((a, i) => a !== "--out" && i !== outIndex + 1);
  const known = SERVICES.map((s) => s.name as string);
  const unknown = processes.filter((p) => !known.includes(p));
  if (!out || processes.length === 0 || unknown.length > 0) {
    console.error(
      `usage: tsx scripts/build-dist.ts --out <dir> <process>... (${known.join(", ")})`,
    );
    process.exit(2);
  }
  const root = resolve(__dirname, "..");
  const targets = await buildDist({
    root,
    out: resolve(out),
    processes: processes as ServiceName[],
  });
  for (const [name, dir] of Object.entries(targets))
    console.log(`build-dist: ${name} -> ${relative(process.cwd(), dir) || "."}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
