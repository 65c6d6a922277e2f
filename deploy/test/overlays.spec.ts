/**
 * Every overlay, built with kubectl's kustomize as `make dev` and a production pipeline
 * would: each object valid for its kubernetes-models type, and the project's rules on
 * the result (deploy-rules.ts). A canary and a promote are rendered by govern in a
 * scratch copy of the repository, so the canary component is checked with the
 * policies' real output and the Istio weights the README shows.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";
import { parse } from "yaml";
import { promoteCanary, setCanaryWeight } from "../../tools/govern/src/canary/version-weights";
import { loadEffective } from "../../tools/govern/src/model/load-effective";
import { istioSemanticFindings } from "../../tools/govern/src/render/istio/istio-semantics";
import { renderAll } from "../../tools/govern/src/render/render-all";
import { writeRendered } from "../../tools/govern/src/render/write-rendered";
import {
  canariesInGenerated,
  canariesInRegistry,
  syncCanaryRegistry,
} from "../src/canary-registry";
import {
  deploymentViolations,
  portViolations,
  principalViolations,
  referenceViolations,
  securityViolations,
  sidecarViolations,
} from "./support/deploy-rules";
import {
  hasKubectl,
  id,
  type Json,
  type KubeObject,
  kustomize,
  parseYamlObjects,
  podTemplates,
  validateWithModel,
} from "./support/kube-objects";
import { admittedPods } from "./support/network-policy-admission";

const ROOT = join(__dirname, "..", "..");
const OWNERS = SERVICES.filter((s) => s.database).map((s) => s.name);

if (!hasKubectl)
  console.warn(
    "deploy/test/overlays.spec.ts: kubectl is not installed; skipping the overlay builds",
  );
const describeWithKubectl = hasKubectl ? describe : describe.skip;

function istioObjects(root: string): KubeObject[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.name.endsWith(".yaml")
          ? [join(dir, e.name)]
          : [],
    );
  return walk(join(root, "istio")).flatMap((f) => parseYamlObjects(readFileSync(f, "utf8")));
}

function ingressAccount(root: string): string {
  const manifest = parse(readFileSync(join(root, ".repo/repo.manifest.yaml"), "utf8"));
  return `${manifest.ingress.namespace}/${manifest.ingress.serviceAccount}`;
}

function commonRules(objects: KubeObject[], overlay: "dev" | "prod", root = ROOT) {
  return [
    ...objects.flatMap((o) => {
      try {
        validateWithModel(o);
        return [];
      } catch (error) {
        return [`${id(o)}: ${(error as Error).message}`];
      }
    }),
    ...deploymentViolations(objects),
    ...securityViolations(objects),
    ...portViolations(objects),
    ...sidecarViolations(objects),
    ...referenceViolations(objects, overlay),
    ...principalViolations(objects, istioObjects(root), [ingressAccount(root)]),
  ];
}

/** Owners of the pods admitted to the data store `app` on `port`, sorted. */
function admittedTo(objects: KubeObject[], app: string, port: number): string[] | "all" {
  const pods = podTemplates(objects);
  const store = pods.find((p) => p.labels.app === app);
  if (!store) throw new Error(`no ${app} pod`);
  const admitted = admittedPods(
    store,
    port,
    objects.filter((o) => o.kind === "NetworkPolicy"),
    pods,
  );
  return admitted === "all" ? "all" : admitted.map((p) => id(p.owner)).sort();
}

const deploymentOf = (objects: KubeObject[], name: string) =>
  objects.find((o) => o.kind === "Deployment" && o.metadata.name === name)!;

describeWithKubectl("deploy/overlays/dev", () => {
  let objects: KubeObject[];
  beforeAll(() => {
    objects = kustomize(join(ROOT, "deploy/overlays/dev"));
  });

  it("builds valid objects that keep every rule", () => {
    expect(commonRules(objects, "dev")).toEqual([]);
    expect(
      objects
        .filter((o) => o.kind === "Deployment")
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(SERVICES.map((s) => s.name).sort());
    expect(objects.every((o) => o.kind === "Namespace" || o.metadata.namespace === "shop")).toBe(
      true,
    );
  });

  it("admits exactly the database owners (and their migration Jobs) to PostgreSQL, and the processes to Redis", () => {
    const owners = OWNERS.flatMap((s) => [`Deployment/${s}`, `Job/${s}-migrate`]);
    expect(admittedTo(objects, "postgres", 5432)).toEqual([...owners, "Job/postgres-init"].sort());
    // Migration Jobs carry their service's app label, which governance's rule matches.
    expect(admittedTo(objects, "redis", 6379)).toEqual(
      [
        ...SERVICES.map((s) => `Deployment/${s.name}`),
        ...OWNERS.map((s) => `Job/${s}-migrate`),
      ].sort(),
    );
  });

  it("gives each Deployment its ports, its upstreams' addresses as the policy declares them, and its database", () => {
    const result = loadEffective(ROOT);
    if (!result.ok) throw new Error("the policies do not validate");
    for (const spec of SERVICES) {
      const container = deploymentOf(objects, spec.name).spec.template.spec.containers[0];
      expect(
        Object.fromEntries(container.ports.map((p: Json) => [p.name, p.containerPort])),
      ).toEqual({
        grpc: spec.grpcPort,
        [spec.name === "api-gateway" ? "http" : "http-admin"]: spec.httpPort,
      });
      const env = new Map<string, Json>(container.env.map((e: Json) => [e.name, e]));
      const upstreams = [...env.keys()].filter((k) => k.endsWith("_SERVICE_ADDR")).sort();
      const declared = result.repo.services
        .find((s) => s.name === spec.name)!
        .dependencies.services.map((d) => `${d.service.toUpperCase().replaceAll("-", "_")}_ADDR`)
        .sort();
      expect({ [spec.name]: upstreams }).toEqual({ [spec.name]: declared });
      expect(env.get("HOST").value).toBe("0.0.0.0");
      expect(env.get("MESH_MODE").value).toBe("istio");
      expect(env.has("DATABASE_URL")).toBe(spec.database !== undefined);
      expect(container.image).toBe(`shop/${spec.name}:dev`);
    }
  });

  it("runs the data stores with volumes, and a migration Job per database owner", () => {
    for (const store of ["postgres", "redis"]) {
      const set = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === store)!;
      expect(set.spec.volumeClaimTemplates).toHaveLength(1);
    }
    const jobs = objects.filter(
      (o) => o.metadata.labels?.["app.kubernetes.io/component"] === "migration",
    );
    expect(jobs.map((j) => j.metadata.labels?.app).sort()).toEqual([...OWNERS].sort());
    for (const job of jobs)
      expect(job.spec.template.spec.containers[0].command).toEqual([
        "node",
        "/app/deploy/jobs/migrate-database.js",
        job.metadata.labels!.app,
      ]);
  });

  it("routes every Istio destination to a Service port the build has", () => {
    const services = new Map(
      objects
        .filter((o) => o.kind === "Service")
        .map((s) => [
          `${s.metadata.name}.shop.svc.cluster.local`,
          (s.spec.ports as Json[]).map((p) => p.port),
        ]),
    );
    const problems: string[] = [];
    for (const vs of istioObjects(ROOT).filter((o) => o.kind === "VirtualService"))
      for (const route of (vs.spec.http ?? []) as Json[])
        for (const { destination } of route.route) {
          const ports = services.get(destination.host);
          if (!ports) problems.push(`${vs.metadata.name}: no Service ${destination.host}`);
          else if (destination.port && !ports.includes(destination.port.number))
            problems.push(
              `${vs.metadata.name}: ${destination.host} has no port ${destination.port.number}`,
            );
        }
    expect(problems).toEqual([]);
  });
});

describeWithKubectl("deploy/overlays/prod", () => {
  let objects: KubeObject[];
  beforeAll(() => {
    objects = kustomize(join(ROOT, "deploy/overlays/prod"));
  });

  it("builds valid objects that keep every rule, with no data store in the cluster", () => {
    expect(commonRules(objects, "prod")).toEqual([]);
    expect(objects.filter((o) => o.kind === "StatefulSet")).toEqual([]);
    expect(podTemplates(objects).some((t) => /postgres|redis/.test(t.owner.metadata.name))).toBe(
      false,
    );
  });

  it("leaves replicas to an autoscaler of at least 2 per Deployment, and pulls images from the registry", () => {
    for (const spec of SERVICES) {
      const deployment = deploymentOf(objects, spec.name);
      expect(deployment.spec.replicas).toBeUndefined();
      const hpa = objects.find(
        (o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.name === spec.name,
      )!;
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: spec.name,
      });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const container = deployment.spec.template.spec.containers[0];
      expect(container.image).toBe(`registry.example.com/shop/${spec.name}:set-by-ci`);
      expect(
        container.env.find((e: Json) => e.name === "OTEL_EXPORTER_OTLP_ENDPOINT"),
      ).toBeDefined();
      expect(deployment.spec.template.spec.topologySpreadConstraints).toHaveLength(2);
    }
  });
});

describe("the canary registry", () => {
  it("lists exactly the services whose rendered policy has a canary", () => {
    expect(canariesInRegistry(ROOT)).toEqual(canariesInGenerated(ROOT));
  });
});

describeWithKubectl("a canary of product-service, rendered by govern in a scratch copy", () => {
  let root: string;
  const policy = "services/product/.repo/policy.yaml";
  const copy = (path: string) => cpSync(join(ROOT, path), join(root, path), { recursive: true });

  async function render() {
    const result = loadEffective(root);
    if (!result.ok) throw new Error("the edited policy does not validate");
    writeRendered(root, await renderAll(result.repo));
    syncCanaryRegistry(root);
  }
  const edit = (change: (text: string) => string) => {
    const file = join(root, policy);
    writeFileSync(file, change(readFileSync(file, "utf8")));
  };
  const route = (objects: KubeObject[]) =>
    (objects.find((o) => o.kind === "VirtualService")!.spec.http as Json[])
      .at(-1)
      .route.map((r: Json) => `${r.destination.subset} ${r.weight}`);
  const subsets = (objects: KubeObject[]) =>
    objects.find((o) => o.kind === "DestinationRule")!.spec.subsets.map((s: Json) => s.name);
  const rendered = (file: string) =>
    parseYamlObjects(readFileSync(join(root, "istio/product-service", file), "utf8"));

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "deploy-canary-"));
    for (const path of [
      ".repo/repo.manifest.yaml",
      "deploy/base",
      "deploy/components",
      "deploy/overlays",
      "gateway/.repo",
    ])
      copy(path);
    for (const spec of SERVICES.filter((s) => s.dir.startsWith("services/")))
      copy(`${spec.dir}/.repo`);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("adds product-service-canary as v2 with governance's patch, and Istio weights 90/10", async () => {
    edit((text) => setCanaryWeight(text, 10, "v2"));
    await render();
    expect(canariesInRegistry(root)).toEqual(["product-service"]);
    const objects = kustomize(join(root, "deploy/overlays/dev"));
    expect(commonRules(objects, "dev", root)).toEqual([]);
    const canary = deploymentOf(objects, "product-service-canary");
    const stable = deploymentOf(objects, "product-service");
    expect(canary.spec.template.metadata.labels).toMatchObject({
      app: "product-service",
      version: "v2",
    });
    expect(stable.spec.template.metadata.labels.version).toBe("v1");
    expect(canary.spec.replicas).toBe(1);
    const [c, s] = [canary, stable].map((d) => d.spec.template.spec);
    expect(c.containers[0].image).toBe("shop/product-service:dev");
    expect(c.containers[0].resources).toEqual(s.containers[0].resources);
    expect(c.containers[0].env).toEqual(s.containers[0].env);
    expect(c.serviceAccountName).toBe("product-service");
    expect(admittedTo(objects, "postgres", 5432)).toContain("Deployment/product-service-canary");
    expect(subsets(rendered("destination-rule.yaml"))).toEqual(["v1", "v2"]);
    expect(route(rendered("virtual-service.yaml"))).toEqual(["v1 90", "v2 10"]);
    const files = ["istio", "deploy/generated"].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => ({ path: `${dir}/${f}`, content: readFileSync(join(root, dir, f), "utf8") })),
    );
    expect(istioSemanticFindings(files as never, [ingressAccount(root)])).toEqual([]);
  });

  it("after promote: one Deployment labelled v2, no canary, all traffic to v2", async () => {
    edit(promoteCanary);
    await render();
    expect(canariesInRegistry(root)).toEqual([]);
    const objects = kustomize(join(root, "deploy/overlays/dev"));
    expect(commonRules(objects, "dev", root)).toEqual([]);
    expect(objects.some((o) => o.metadata.name === "product-service-canary")).toBe(false);
    expect(deploymentOf(objects, "product-service").spec.template.metadata.labels.version).toBe(
      "v2",
    );
    expect(subsets(rendered("destination-rule.yaml"))).toEqual(["v2"]);
    expect(route(rendered("virtual-service.yaml"))).toEqual(["v2 100"]);
    expect(dirname(policy)).toBe("services/product/.repo");
  });
});
