/**
 * The images without Docker: each Dockerfile's steps run outside a builder, in scratch
 * folders standing for its stages, from the build context .dockerignore leaves:
 *
 * - deps: the Dockerfile's production install (`npm ci --omit=dev --workspace <dir>`),
 *   run once for the four workspaces together (an install takes 10 s here); each
 *   process's tree then gets only what its own install would hold, read from the
 *   lockfile (lockfile-closure.ts), so a process using a package only another
 *   workspace declares fails to start here as it would in its image;
 * - build: the context files its COPY lines name, the full install (linked from this
 *   checkout's node_modules, installed by `npm ci` from the same lockfile), and its
 *   scripts/build-dist.ts run, once for the four processes (the Dockerfiles differ only
 *   in the process, which the first test proves);
 * - runtime: the two COPY --from lines, then the ENTRYPOINT with the image's ENV, as
 *   uid 1000 on a tree it cannot write (the non-root user and the read-only root
 *   filesystem), against a scratch database and Redis, until /ready answers 200; then
 *   SIGTERM, and node itself (PID 1 in the image) must exit 0.
 *
 * The migration Job's command from the base manifests runs in the same tree.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { ensureServiceKeys } from "@shop/libs/auth";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import {
  createScratchDatabase,
  createTestIssuer,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  type TestIssuer,
  uniquePrefix,
} from "@shop/libs/testing";
import { Client } from "pg";
import { parse } from "yaml";
import { contextFiles, readIgnoreRules } from "./support/docker-context";
import { type Dockerfile, parseCopy, parseDockerfile, parseEnv, stage } from "./support/dockerfile";
import { type Lockfile, productionClosure } from "./support/lockfile-closure";

const ROOT = join(__dirname, "..", "..");
const DOCKERFILES = Object.fromEntries(
  SERVICES.map((s) => [s.name, `${s.dir}/Dockerfile`]),
) as Record<ServiceName, string>;
const read = (name: ServiceName) =>
  parseDockerfile(readFileSync(join(ROOT, DOCKERFILES[name]), "utf8"));
const dirOf = (name: ServiceName) => SERVICES.find((s) => s.name === name)!.dir;
/** Processes whose code exists now (others may still be being written). */
const PROCESSES = SERVICES.filter((s) => existsSync(join(ROOT, s.dir, "src", "main.ts"))).map(
  (s) => s.name,
);
const AS_NODE_USER = process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};

/** The Dockerfile with its process's names replaced, so the four compare equal. */
function template(name: ServiceName): string {
  const spec = SERVICES.find((s) => s.name === name)!;
  return readFileSync(join(ROOT, DOCKERFILES[name]), "utf8")
    .split("\n")
    .map((line) => {
      const named = line.replaceAll(spec.name, "<process>");
      // The manifests stage lists every workspace's package.json: those lines stay.
      if (/^COPY \S+\/package\.json /.test(named)) return named;
      return named
        .replaceAll(spec.dir, "<workspace>")
        .replace(new RegExp(`\\b(${spec.httpPort}|${spec.grpcPort})\\b`, "g"), "<port>");
    })
    .join("\n");
}

/** Copies `COPY` sources from the context (or another stage's folder) into `stageRoot`. */
function applyCopies(
  dockerfile: Dockerfile,
  name: string,
  stageRoot: string,
  context: Set<string>,
  stageDirs: Record<string, string>,
) {
  // A stage built FROM another starts in that one's WORKDIR.
  const workdirOf = (s: string): string => {
    const own = stage(dockerfile, s);
    const set = own.instructions.filter((i) => i.keyword === "WORKDIR").at(0)?.text;
    const parent = dockerfile.stages.find((x) => x.name === own.from);
    return set ?? (parent ? workdirOf(parent.name) : "/");
  };
  const current = stage(dockerfile, name);
  const parent = dockerfile.stages.find((x) => x.name === current.from);
  let workdir = parent ? workdirOf(parent.name) : "/";
  for (const ins of current.instructions) {
    if (ins.keyword === "WORKDIR") workdir = ins.text;
    if (ins.keyword !== "COPY") continue;
    const { from, sources, dest } = parseCopy(ins);
    const target = join(stageRoot, dest.startsWith("/") ? dest : join(workdir, dest));
    for (const source of sources) {
      if (from) {
        cpSync(join(stageDirs[from]!, source), target, { recursive: true, verbatimSymlinks: true });
        continue;
      }
      const files = [...context].filter((f) => f === source || f.startsWith(`${source}/`));
      if (files.length === 0) throw new Error(`${name}: COPY ${source}: not in the build context`);
      for (const file of files) {
        const to =
          file === source
            ? dest.endsWith("/") || sources.length > 1
              ? join(target, basename(file))
              : target
            : join(target, relative(source, file));
        mkdirSync(dirname(to), { recursive: true });
        cpSync(join(ROOT, file), to);
      }
    }
  }
}

/** `npm ci` of the build stage, from this checkout's install of the same lockfile. */
function linkFullInstall(app: string): void {
  const modules = join(app, "node_modules");
  mkdirSync(join(modules, "@shop"), { recursive: true });
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    if (entry !== "@shop") symlinkSync(join(ROOT, "node_modules", entry), join(modules, entry));
  }
  // Workspace links point into the stage's own copy, as npm ci makes them.
  for (const entry of readdirSync(join(ROOT, "node_modules", "@shop"))) {
    const target = relative(ROOT, realpathSync(join(ROOT, "node_modules", "@shop", entry)));
    if (existsSync(join(app, target)))
      symlinkSync(join("..", "..", target), join(modules, "@shop", entry));
  }
}

/**
 * The part of the shared production install `npm ci --omit=dev --workspace <dir>` would
 * have made, linked into `app`: top-level packages, workspaces' nested ones, and the
 * workspace links.
 */
function installedFor(lock: Lockfile, workspace: string, shared: string, app: string): void {
  for (const path of productionClosure(lock, workspace)) {
    const entry = lock.packages[path]!;
    const target = join(app, path);
    if (
      !path.includes("node_modules/") ||
      path.lastIndexOf("node_modules/") !== path.indexOf("node_modules/")
    )
      continue; // a workspace folder, or a package nested inside one already linked
    mkdirSync(dirname(target), { recursive: true });
    if (entry.link) symlinkSync(relative(dirname(target), join(app, entry.resolved!)), target);
    else if (existsSync(join(shared, path))) symlinkSync(join(shared, path), target);
    else if (!entry.optional) throw new Error(`${path} was not installed`);
  }
}

function runShell(command: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], {
      cwd,
      env: {
        ...process.env,
        npm_config_prefer_offline: "true",
        npm_config_update_notifier: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} (in ${cwd}) exited ${code}:\n${output}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitForReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited ${child.exitCode} before ready:\n${output()}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within 30 s:\n${output()}`);
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on("exit", (code) => resolve(code));
  });
}

describe("the Dockerfiles", () => {
  it("are one template: only the process, its workspace and its ports differ", () => {
    const [first, ...rest] = SERVICES.map((s) => template(s.name));
    for (const other of rest) expect(other).toBe(first);
  });

  it("copy every workspace's package.json for npm ci, and install production dependencies only", () => {
    const workspaces = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))
      .workspaces as string[];
    for (const { name, dir } of SERVICES) {
      const dockerfile = read(name);
      const copied = stage(dockerfile, "manifests")
        .instructions.filter((i) => i.keyword === "COPY")
        .flatMap((i) => parseCopy(i).sources);
      expect(copied.sort()).toEqual(
        ["package-lock.json", "package.json", ...workspaces.map((w) => `${w}/package.json`)].sort(),
      );
      const deps = stage(dockerfile, "deps").instructions.filter((i) => i.keyword === "RUN");
      expect(deps.map((i) => i.text)).toEqual([
        `npm ci --omit=dev --workspace ${dir} --ignore-scripts --no-audit --no-fund`,
      ]);
      const runtime = stage(dockerfile, "runtime");
      const keywords = runtime.instructions.map((i) => i.keyword);
      expect(keywords).toContain("USER");
      expect(runtime.instructions.find((i) => i.keyword === "USER")!.text).toBe("1000:1000");
      const entrypoint = runtime.instructions.find((i) => i.keyword === "ENTRYPOINT")!;
      expect(entrypoint.exec?.[0]).toBe("node");
      expect(entrypoint.exec?.at(-1)).toBe(`/app/${dir}/src/main.js`);
      expect(keywords).not.toContain("CMD");
      expect(parseEnv(runtime.instructions.find((i) => i.keyword === "ENV")!)).toMatchObject({
        NODE_ENV: "production",
        OTEL_SERVICE_NAME: name,
      });
    }
  });

  it("send a context without local state, secrets, tests or installed modules", () => {
    const files = contextFiles(ROOT, readIgnoreRules(join(ROOT, ".dockerignore")));
    const bad = files.filter((f) =>
      /(^|\/)(node_modules|dist|coverage|\.dev|\.work|\.git|test)\/|\.spec\.ts$|(^|\/)\.env/.test(
        f,
      ),
    );
    expect(bad).toEqual([]);
    expect(files).toContain("package-lock.json");
    expect(files).toContain("deploy/jobs/migrate-database.ts");
    expect(files.some((f) => f.startsWith("deploy/base/"))).toBe(false);
  });
});

const describeBuild = PROCESSES.length > 0 ? describe : describe.skip;
if (PROCESSES.length < SERVICES.length)
  console.warn(
    `image-build.spec.ts: no main.ts yet for ${SERVICES.filter((s) => !PROCESSES.includes(s.name))
      .map((s) => s.name)
      .join(", ")}`,
  );

describeBuild("the images' build steps, run outside Docker", () => {
  let scratch: string;
  let keysDir: string;
  // Stands in for user-service's JWKS: the gateway is ready only once it has the keys.
  let issuer: TestIssuer;
  const runtimes: Record<string, string> = {};
  /** tsc's errors for a process whose code does not typecheck (its image fails to build). */
  const buildErrors: Record<string, string> = {};
  const built = (name: string) => {
    if (buildErrors[name]) throw new Error(`${name}'s image does not build:\n${buildErrors[name]}`);
    return runtimes[name]!;
  };
  const databases: ScratchDatabase[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "image-build-"));
    const context = new Set(contextFiles(ROOT, readIgnoreRules(join(ROOT, ".dockerignore"))));
    // build: the union of the four Dockerfiles' COPYs, one compile.
    const build = join(scratch, "build");
    for (const name of PROCESSES) {
      applyCopies(read(name), "manifests", build, context, {});
      applyCopies(read(name), "build", build, context, {});
    }
    const app = join(build, "app");
    linkFullInstall(app);
    const compile = stage(read(PROCESSES[0]!), "build")
      .instructions.filter((i) => i.keyword === "RUN")
      .at(-1)!;
    expect(compile.text).toBe(
      `node_modules/.bin/tsx scripts/build-dist.ts --out dist ${PROCESSES[0]}`,
    );
    const deps = join(scratch, "deps");
    applyCopies(read(PROCESSES[0]!), "manifests", deps, context, {});
    const install = stage(read(PROCESSES[0]!), "deps").instructions.find(
      (i) => i.keyword === "RUN",
    )!;
    const workspaces = PROCESSES.map((p) => `--workspace ${dirOf(p)}`).join(" ");
    const compileRun = (processes: string[]) =>
      runShell(
        `node_modules/.bin/tsx scripts/build-dist.ts --out dist ${processes.join(" ")}`,
        app,
      );
    const [compiled, installed] = await Promise.allSettled([
      compileRun(PROCESSES),
      runShell(
        install.text.replace(`--workspace ${dirOf(PROCESSES[0]!)}`, workspaces),
        join(deps, "app"),
      ),
    ]);
    if (installed.status === "rejected") throw installed.reason;
    if (compiled.status === "rejected") {
      // A process whose code does not typecheck has no image; the others still do.
      const message = String((compiled.reason as Error).message);
      const shared = /\n(libs|gen|deploy|scripts)\//.test(message);
      for (const name of PROCESSES)
        if (shared || message.includes(`\n${dirOf(name)}/`)) buildErrors[name] = message;
      const rest = PROCESSES.filter((p) => !buildErrors[p]);
      if (rest.length > 0) await compileRun(rest);
    }
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Lockfile;
    for (const name of PROCESSES.filter((p) => !buildErrors[p])) {
      const own = join(scratch, `deps-${name}`);
      applyCopies(read(name), "manifests", own, context, {});
      installedFor(lock, dirOf(name), join(deps, "app"), join(own, "app"));
      const runtime = join(scratch, `runtime-${name}`);
      applyCopies(read(name), "runtime", runtime, new Set(), { deps: own, build });
      runtimes[name] = join(runtime, "app");
    }
    issuer = await createTestIssuer();
    keysDir = join(scratch, "keys");
    await ensureServiceKeys(keysDir);
    // The image's user reads what Kubernetes mounts for it; nothing else is writable.
    spawnSync("chmod", ["-R", "a+rX,a-w", scratch]);
    chmodSync(scratch, 0o755);
    if (AS_NODE_USER.uid !== undefined) {
      for (const f of readdirSync(keysDir)) chownSync(join(keysDir, f), 1000, 1000);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
    await issuer?.close();
    if (scratch) {
      spawnSync("chmod", ["-R", "u+w", scratch]);
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("ship compiled JavaScript and production dependencies only", () => {
    for (const name of PROCESSES.filter((p) => !buildErrors[p])) {
      const app = runtimes[name]!;
      const sources = readdirSync(app, { recursive: true, encoding: "utf8" }).filter(
        (f) => !f.split("/").includes("node_modules") && f.endsWith(".ts"),
      );
      expect({ [name]: sources }).toEqual({ [name]: [] });
      for (const dev of ["typescript", "tsx", "jest", "@biomejs", "@swc"])
        expect({ [name]: existsSync(join(app, "node_modules", dev)) }).toEqual({ [name]: false });
      expect(existsSync(join(app, dirOf(name), "src", "main.js"))).toBe(true);
      // main.js is one bundle, the telemetry preload first: it requires no file of the
      // layout, only node built-ins and the packages left to node_modules.
      const main = readFileSync(join(app, dirOf(name), "src", "main.js"), "utf8");
      const required = [...main.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!);
      expect({
        [name]: required.filter((r) => r.startsWith(".") || r.startsWith("@shop/")),
      }).toEqual({
        [name]: [],
      });
      expect(main).toMatch(/\nrequire_preload\(\);\nrequire_main\(\);\n/);
      // make dev seeds the demo catalog with product-service's compiled command.
      if (name === "product-service")
        expect(existsSync(join(app, "services/product/src/commands/seed.js"))).toBe(true);
    }
  });

  it.each(PROCESSES)(
    "%s starts to ready from its image's tree and stops on SIGTERM with 0",
    async (name) => {
      const runtime = stage(read(name), "runtime");
      const env = Object.assign(
        {},
        ...runtime.instructions.filter((i) => i.keyword === "ENV").map(parseEnv),
      );
      const entrypoint = runtime.instructions.find((i) => i.keyword === "ENTRYPOINT")!.exec!;
      const app = built(name);
      const args = entrypoint
        .slice(1)
        .map((a) => (a.startsWith("/app/") ? join(app, a.slice(5)) : a));
      const spec = SERVICES.find((s) => s.name === name)!;
      const httpPort = await freePort();
      let databaseUrl: string | undefined;
      if (spec.database) {
        const db = await createScratchDatabase(TEST_ADMIN_URL);
        databases.push(db);
        databaseUrl = db.url;
      }
      const child = spawn(entrypoint[0]!, args, {
        cwd: app,
        ...AS_NODE_USER,
        env: {
          PATH: process.env.PATH,
          HOME: "/tmp",
          ...env,
          ...issuer.env,
          HTTP_PORT: String(httpPort),
          GRPC_PORT: "0",
          LOG_LEVEL: "info",
          REDIS_KEY_PREFIX: uniquePrefix("image-build"),
          SERVICE_KEY_PATH: join(keysDir, `${name}.key.pem`),
          SERVICE_JWKS_PATH: join(keysDir, "service-jwks.json"),
          SHUTDOWN_GRACE: "2s",
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          ...(name === "user-service" ? { USER_KEK: Buffer.alloc(32, 7).toString("base64") } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
      try {
        await waitForReady(`http://127.0.0.1:${httpPort}/ready`, child, () => output);
        expect((await fetch(`http://127.0.0.1:${httpPort}/health`)).status).toBe(200);
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exitOf(child)).toBe(0);
    },
    60_000,
  );

  it.each(PROCESSES.filter((p) => SERVICES.find((s) => s.name === p)!.database))(
    "%s's migration Job command migrates a fresh database and exits 0",
    async (name) => {
      const job = parse(
        readFileSync(join(ROOT, "deploy/base", name, "migration-job.yaml"), "utf8"),
      );
      const command = job.spec.template.spec.containers[0].command as string[];
      const app = built(name);
      const db = await createScratchDatabase(TEST_ADMIN_URL);
      databases.push(db);
      const result = spawnSync(
        command[0]!,
        command.slice(1).map((a) => (a.startsWith("/app/") ? join(app, a.slice(5)) : a)),
        {
          cwd: app,
          ...AS_NODE_USER,
          env: { PATH: process.env.PATH, HOME: "/tmp", DATABASE_URL: db.url, LOG_LEVEL: "warn" },
          encoding: "utf8",
        },
      );
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ namespace: string }>(
          "SELECT DISTINCT namespace FROM schema_migrations ORDER BY namespace",
        );
        expect(rows.map((r) => r.namespace)).toEqual(["libs.events", name].sort());
      } finally {
        await client.end();
      }
    },
    30_000,
  );
});
