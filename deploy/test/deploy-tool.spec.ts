/**
 * The file-only steps of the deploy scripts (deploy/src/cli.ts): image tags across dev,
 * canary, promote and rollback; the work kustomization as kubectl builds it; apply
 * phases; the canary registry; the dev secrets against what the manifests read.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";
import { parse } from "yaml";
import { registryText } from "../src/canary-registry";
import { writeDevSecrets } from "../src/dev-secrets";
import { PHASES, phaseOf, writePhases } from "../src/manifest-phases";
import { nextCanaryVersion } from "../src/policy-versions";
import { externalObjects } from "../src/secret-contract";
import { nextTags, writeWorkKustomization } from "../src/work-kustomization";
import { hasKubectl, kustomize, parseYamlObjects } from "./support/kube-objects";

const ROOT = join(__dirname, "..", "..");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "deploy-tool-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const images = (objects: ReturnType<typeof kustomize>) =>
  Object.fromEntries(
    objects
      .filter((o) => o.kind === "Deployment")
      .map((o) => [o.metadata.name, o.spec.template.spec.containers[0].image]),
  );

describe("image tags", () => {
  it("make dev tags everything with the tree; a canary, promote and rollback change one service only", () => {
    const dev = nextTags({}, { kind: "all", tag: "aaa" }, []);
    expect(dev).toEqual(Object.fromEntries(SERVICES.map((s) => [s.name, "aaa"]).sort()));
    const canary = nextTags(dev, { kind: "canary", service: "product-service", tag: "bbb" }, [
      "product-service",
    ]);
    expect(canary).toEqual({ ...dev, "product-service-canary": "bbb" });
    const promoted = nextTags(canary, { kind: "promote", service: "product-service" }, []);
    expect(promoted).toEqual({ ...dev, "product-service": "bbb" });
    expect(nextTags(canary, { kind: "rollback", service: "product-service" }, [])).toEqual(dev);
    expect(() => nextTags(dev, { kind: "promote", service: "product-service" }, [])).toThrow(
      /no canary image recorded for product-service/,
    );
  });

  (hasKubectl ? it : it.skip)(
    "writes a kustomization that kubectl builds with the recorded tags, the canary's included",
    () => {
      const overlay = join(ROOT, "deploy/overlays/dev");
      writeWorkKustomization({
        workDir: dir,
        overlay,
        change: { kind: "all", tag: "aaa" },
        canaries: [],
      });
      const tags = writeWorkKustomization({
        workDir: dir,
        overlay,
        change: { kind: "canary", service: "order-service", tag: "ccc" },
        canaries: ["order-service"],
      });
      expect(JSON.parse(readFileSync(join(dir, "images.json"), "utf8"))).toEqual(tags);
      expect(images(kustomize(join(dir, "kustomize")))).toEqual(
        Object.fromEntries(SERVICES.map((s) => [s.name, `shop/${s.name}:aaa`])),
      );
      // The registry of the real repository has no canary: the placeholder's mapping is
      // checked on the text kubectl reads.
      const text = readFileSync(join(dir, "kustomize", "kustomization.yaml"), "utf8");
      expect(parse(text).images).toContainEqual({
        name: "shop/order-service-canary",
        newName: "shop/order-service",
        newTag: "ccc",
      });
    },
  );
});

describe("apply phases", () => {
  it("puts each object of the dev build in the phase that must precede its dependants", () => {
    const objects = parseYamlObjects(
      readFileSync(join(__dirname, "fixtures", "dev-build.yaml"), "utf8"),
    );
    const byPhase = Object.fromEntries(
      PHASES.map((p) => [
        p,
        objects.filter((o) => phaseOf(o) === p).map((o) => `${o.kind}/${o.metadata.name}`),
      ]),
    );
    expect(byPhase).toEqual({
      namespace: ["Namespace/shop"],
      "data-stores": [
        "Service/postgres",
        "StatefulSet/postgres",
        "NetworkPolicy/postgres-clients",
        "NetworkPolicy/postgres-init",
      ],
      "database-init": ["Job/postgres-init"],
      migrations: ["Job/product-service-migrate"],
      workloads: [
        "ServiceAccount/product-service",
        "Service/product-service",
        "Deployment/product-service",
      ],
    });
    const files = writePhases(objects, dir);
    expect(Object.keys(files)).toEqual([...PHASES]);
    expect(parseYamlObjects(readFileSync(files.migrations, "utf8"))).toHaveLength(1);
  });
});

describe("the canary registry", () => {
  it("is a kustomize Component listing one canary component per service", () => {
    expect(parse(registryText([]))).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1alpha1",
      kind: "Component",
      components: [],
    });
    expect(parse(registryText(["order-service", "user-service"])).components).toEqual([
      "../canary/order-service",
      "../canary/user-service",
    ]);
    expect(registryText([])).toBe(
      readFileSync(join(ROOT, "deploy/components/canaries/kustomization.yaml"), "utf8"),
    );
  });

  it("names a new canary after the stable version", () => {
    expect(nextCanaryVersion([{ name: "v1", weight: 100 }])).toBe("v2");
    expect(nextCanaryVersion([{ name: "v2", weight: 100 }])).toBe("v3");
    expect(nextCanaryVersion([{ name: "stable", weight: 100 }])).toBe("stable-canary");
    expect(
      nextCanaryVersion([
        { name: "v1", weight: 90 },
        { name: "v2", weight: 10 },
      ]),
    ).toBeUndefined();
  });
});

describe("dev secrets", () => {
  it("provides every Secret and ConfigMap key the dev overlay reads, and keeps them across runs", async () => {
    const file = await writeDevSecrets(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const objects = parseYamlObjects(readFileSync(file, "utf8"));
    const provided = new Map(
      objects.map((o) => [
        `${o.kind}/${o.metadata.name}`,
        Object.keys(
          o.kind === "Secret" ? (o as never as { stringData: object }).stringData : o.data,
        ),
      ]),
    );
    for (const wanted of externalObjects()) {
      expect({ [wanted.name]: provided.get(`${wanted.kind}/${wanted.name}`) }).toEqual({
        [wanted.name]: expect.arrayContaining([...wanted.keys, ...(wanted.devKeys ?? [])]),
      });
    }
    const secret = (name: string) =>
      (
        objects.find((o) => o.metadata.name === name) as never as {
          stringData: Record<string, string>;
        }
      ).stringData;
    const url = new URL(secret("order-service-database").url!);
    expect([url.protocol, url.username, url.hostname, url.pathname]).toEqual([
      "postgres:",
      "order_service",
      "postgres.shop.svc.cluster.local",
      "/orders",
    ]);
    expect(decodeURIComponent(url.password)).toBe(secret("order-service-database").password);
    expect(Buffer.from(secret("user-service-kek").kek!, "base64")).toHaveLength(32);
    expect(secret("api-gateway-identity")["key.pem"]).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const again = readFileSync(await writeDevSecrets(dir), "utf8");
    expect(again).toBe(readFileSync(file, "utf8"));
  });
});
