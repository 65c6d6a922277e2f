import { spawnSync } from "node:child_process";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { parseAllDocuments, stringify } from "yaml";
import { createFixtureRepo, type FixtureRepo } from "../../../test/fixture-repo";
import { loadEffective } from "../../model/load-effective";
import { renderAll } from "../render-all";
import { writeRendered } from "../write-rendered";

// kubectl's built-in kustomize runs offline; CI images without kubectl skip this file.
const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
const describeWithKubectl = hasKubectl ? describe : describe.skip;

const deployment = (name: string, app: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "shop" },
  spec: {
    selector: { matchLabels: { app } },
    template: {
      metadata: { labels: { app } },
      spec: { containers: [{ name: app, image: `shop/${app}:dev` }] },
    },
  },
});

describeWithKubectl("deploy/generated as a kustomize component over a base", () => {
  let repo: FixtureRepo;
  let objects: { kind: string; metadata: { name: string; labels?: Record<string, string> } }[];
  beforeAll(async () => {
    repo = createFixtureRepo();
    const result = loadEffective(repo.root);
    if (!result.ok) throw new Error("fixture does not validate");
    writeRendered(repo.root, await renderAll(result.repo));
    const base = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
      ...["user-service", "product-service", "order-service", "api-gateway"].map((s) =>
        deployment(s, s),
      ),
      deployment("order-service-canary", "order-service"),
      deployment("redis", "redis"),
      { ...deployment("postgres", "postgres"), kind: "StatefulSet" },
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
          name: "order-migrate",
          namespace: "shop",
          labels: { app: "order-service", "app.kubernetes.io/component": "migration" },
        },
        spec: {
          template: {
            metadata: { labels: { app: "order-service" } },
            spec: {
              restartPolicy: "Never",
              containers: [{ name: "migrate", image: "shop/order-service:dev" }],
            },
          },
        },
      },
    ];
    repo.write("deploy/base/resources.yaml", base.map((o) => stringify(o)).join("---\n"));
    repo.write("deploy/base/kustomization.yaml", "resources: [resources.yaml]\n");
    repo.write(
      "deploy/overlay/kustomization.yaml",
      "resources: [../base]\ncomponents: [../generated]\n",
    );
    const built = spawnSync("kubectl", ["kustomize", "deploy/overlay"], {
      cwd: repo.root,
      encoding: "utf8",
    });
    if (built.status !== 0) throw new Error(built.stderr);
    objects = parseAllDocuments(built.stdout).map((d) => d.toJS());
  });
  afterAll(() => repo.remove());
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name)!;

  it("patches each version's Deployment into a valid object with labels, resources and the fault switches", () => {
    const order = new Deployment(find("Deployment", "order-service") as never);
    expect(() => order.validate()).not.toThrow();
    const pod = order.spec!.template;
    expect(pod.metadata?.labels).toMatchObject({
      app: "order-service",
      version: "v1",
      "shop.dev/owner": "team-orders",
    });
    expect(pod.metadata?.annotations).toMatchObject({
      "sidecar.istio.io/rewriteAppHTTPProbers": "true",
      "prometheus.io/port": "8003",
    });
    expect(pod.spec?.serviceAccountName).toBe("order-service");
    const container = pod.spec!.containers[0]!;
    expect(container.image).toBe("shop/order-service:dev");
    expect(container.resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { memory: "512Mi" },
    });
    expect(container.envFrom).toEqual([
      { configMapRef: { name: "order-service-faults", optional: true } },
    ]);
    const canary = find("Deployment", "order-service-canary") as unknown as Deployment;
    expect(canary.spec!.template.metadata?.labels?.version).toBe("v2");
  });

  it("runs data stores and migration Jobs without a sidecar, and labels the namespace for injection", () => {
    const noSidecar = { "sidecar.istio.io/inject": "false" };
    expect(
      (find("StatefulSet", "postgres") as unknown as Deployment).spec!.template.metadata?.labels,
    ).toMatchObject(noSidecar);
    expect(
      (find("Deployment", "redis") as unknown as Deployment).spec!.template.metadata?.labels,
    ).toMatchObject(noSidecar);
    const job = new Job(find("Job", "order-migrate") as never);
    expect(() => job.validate()).not.toThrow();
    expect(job.spec!.template.metadata?.labels).toMatchObject(noSidecar);
    expect(find("Namespace", "shop").metadata.labels).toEqual({ "istio-injection": "enabled" });
    expect(find("Deployment", "order-service") as unknown as Deployment).not.toHaveProperty([
      "spec",
      "template",
      "metadata",
      "labels",
      "sidecar.istio.io/inject",
    ]);
  });

  it("adds the governance-owned objects: service accounts, fault switches, network policies", () => {
    expect(
      objects
        .filter((o) => o.kind === "ServiceAccount")
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(["api-gateway", "order-service", "product-service", "user-service"]);
    expect(find("ConfigMap", "product-service-faults")).toMatchObject({
      data: { FAULT_GET_PRODUCT_SLOW: "0", FAULT_RESERVE_STOCK_UNAVAILABLE: "0" },
    });
    expect(objects.filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.name)).toEqual([
      "postgres-clients",
      "redis-clients",
    ]);
  });
});
