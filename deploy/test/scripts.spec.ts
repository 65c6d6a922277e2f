/**
 * deploy/scripts/*.sh: `make dev DRY_RUN=1` prints the whole plan for kind and for
 * minikube and runs nothing (every cluster tool on PATH is a stub that records being
 * called); a missing tool stops a real run with its name and how to install it; the
 * canary scripts order their steps so no route points at a missing subset; shellcheck
 * passes.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const SCRIPTS = ["dev.sh", "dev-down.sh", "images.sh", "canary.sh", "canary-auto.sh", "lib.sh"];
const TOOLS = ["kind", "minikube", "istioctl", "docker", "kubectl"];
const NODE_DIR = dirname(process.execPath);

let bin: string;
let calls: string;
beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), "deploy-scripts-"));
  calls = join(bin, "calls.log");
  for (const tool of TOOLS) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));
beforeEach(() => writeFileSync(calls, ""));

function script(
  name: string,
  args: string[],
  env: Record<string, string>,
  tools: string[] = TOOLS,
) {
  const path = [...(tools.length ? [bin] : []), NODE_DIR, "/usr/bin", "/bin"].join(":");
  // Only the listed stubs are visible: a stub dir per call would be the same, slower.
  const hidden = TOOLS.filter((t) => !tools.includes(t));
  for (const t of hidden) rmSync(join(bin, t), { force: true });
  try {
    const result = spawnSync("bash", [join(ROOT, "deploy/scripts", name), ...args], {
      cwd: tmpdir(),
      env: { PATH: path, HOME: process.env.HOME ?? "/tmp", ...env },
      encoding: "utf8",
    });
    return {
      status: result.status,
      out: result.stdout,
      err: result.stderr,
      calls: readFileSync(calls, "utf8"),
    };
  } finally {
    for (const t of hidden) {
      writeFileSync(join(bin, t), `#!/bin/sh\necho "${t} $*" >> "${calls}"\n`);
      chmodSync(join(bin, t), 0o755);
    }
  }
}

/** The `+ ` lines, in order. */
const commands = (out: string) =>
  out
    .split("\n")
    .filter((l) => l.startsWith("+ "))
    .map((l) => l.slice(2));

/** Asserts `patterns` match lines of `lines` in this order. */
function inOrder(lines: string[], patterns: RegExp[]): void {
  let at = 0;
  for (const pattern of patterns) {
    const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
    if (found < 0)
      throw new Error(`no line matching ${pattern} after line ${at}:\n${lines.join("\n")}`);
    at = found + 1;
  }
}

const SERVICES = ["user-service", "product-service", "order-service", "api-gateway"];

describe("make dev DRY_RUN=1", () => {
  it.each([
    ["kind", "kind-shop"],
    ["minikube", "shop"],
  ])("prints the whole plan for %s and runs nothing", (cluster, context) => {
    const {
      status,
      out,
      calls: ran,
    } = script("dev.sh", [], { CLUSTER: cluster, DRY_RUN: "1", ADDONS: "1" });
    expect(status).toBe(0);
    expect(ran).toBe("");
    const plan = commands(out);
    const kubectl = `kubectl --context ${context}`;
    inOrder(plan, [
      cluster === "kind"
        ? /^kind create cluster --name shop --config deploy\/cluster\/kind\.yaml/
        : /^minikube start --profile shop .*--cni=calico/,
      new RegExp(
        `^istioctl install --context ${context} .*--filename deploy/cluster/istio-operator.yaml`,
      ),
      new RegExp(`^${kubectl} --namespace istio-system rollout status deployment/istiod`),
      new RegExp(
        `^${kubectl} apply --filename https://raw.githubusercontent.com/istio/istio/1\\.30\\.4/samples/addons/prometheus.yaml`,
      ),
      ...SERVICES.map(
        (s) => new RegExp(`^docker build --file \\S+/Dockerfile --tag shop/${s}:[0-9a-f]{12}`),
      ),
      cluster === "kind"
        ? /^kind load docker-image --name shop( shop\/\S+){4}$/
        : /^minikube --profile shop image load shop\/user-service:/,
      /cli\.ts kustomization deploy\/.work\/\S+ deploy\/overlays\/dev all /,
      /^kubectl kustomize deploy\/.work\/\S+\/kustomize > /,
      new RegExp(`^${kubectl} apply --filename \\S+/1-namespace.yaml`),
      /cli\.ts secrets /,
      new RegExp(`^${kubectl} apply --recursive --filename istio/`),
      new RegExp(`^${kubectl} apply --filename \\S+/2-data-stores.yaml`),
      new RegExp(`^${kubectl} --namespace shop rollout status statefulset/postgres`),
      new RegExp(`^${kubectl} --namespace shop wait --for=condition=complete job/postgres-init`),
      new RegExp(
        `^${kubectl} --namespace shop delete job --selector app.kubernetes.io/component=migration`,
      ),
      new RegExp(
        `^${kubectl} --namespace shop wait --for=condition=complete job --selector app.kubernetes.io/component=migration`,
      ),
      new RegExp(`^${kubectl} apply --filename \\S+/5-workloads.yaml`),
      ...SERVICES.map(
        (s) => new RegExp(`^${kubectl} --namespace shop rollout status deployment/${s} `),
      ),
      new RegExp(
        `^${kubectl} --namespace shop exec deployment/product-service .* node /app/services/product/src/commands/seed.js$`,
      ),
    ]);
    // Every kubectl command names the cluster's context: none can reach another cluster.
    expect(
      plan.filter((l) => l.startsWith("kubectl ") && !l.startsWith("kubectl kustomize")),
    ).toEqual(plan.filter((l) => l.startsWith(`${kubectl} `)));
    expect(out).toMatch(
      cluster === "kind"
        ? /curl http:\/\/localhost:8000\/api\/products/
        : /minikube --profile shop ip/,
    );
    expect(out).toMatch(/istioctl dashboard kiali/);
  });

  it("still prints the plan when tools are missing, naming each with how to install it", () => {
    const {
      status,
      out,
      calls: ran,
    } = script("dev.sh", [], { CLUSTER: "kind", DRY_RUN: "1" }, ["docker", "kubectl"]);
    expect(status).toBe(0);
    expect(ran).toBe("");
    expect(out).toMatch(
      /kind is not installed: the plan needs it\. Install: https:\/\/kind\.sigs\.k8s\.io/,
    );
    expect(out).toMatch(/istioctl is not installed: .*ISTIO_VERSION=1\.30\.4/);
    const withTools = script("dev.sh", [], { CLUSTER: "kind", DRY_RUN: "1" });
    expect(commands(out)).toEqual(commands(withTools.out));
  });
});

describe("make dev, for real, without its tools", () => {
  it("stops at the first missing tool with its name and how to install it", () => {
    const {
      status,
      err,
      calls: ran,
    } = script("dev.sh", [], { CLUSTER: "kind" }, ["docker", "kubectl"]);
    expect(status).toBe(1);
    expect(err).toMatch(/error: kind is not installed\. Install: https:\/\/kind\.sigs\.k8s\.io/);
    expect(ran).toBe("docker info\n");
  });

  it("names both cluster tools when neither is installed", () => {
    const { status, err } = script("dev.sh", [], {}, ["docker", "kubectl"]);
    expect(status).toBe(1);
    expect(err).toMatch(
      /neither kind nor minikube is installed\. Install one: kind: .* minikube: /,
    );
  });

  it("refuses an unknown CLUSTER", () => {
    const { status, err } = script("dev.sh", [], { CLUSTER: "k3d", DRY_RUN: "1" });
    expect(status).toBe(1);
    expect(err).toMatch(/CLUSTER must be kind or minikube, not 'k3d'/);
  });
});

describe("make dev-down DRY_RUN=1", () => {
  it.each([
    ["kind", /^kind delete cluster --name shop$/],
    ["minikube", /^minikube delete --profile shop$/],
  ])("deletes the %s cluster and the work folder", (cluster, deletion) => {
    const {
      status,
      out,
      calls: ran,
    } = script("dev-down.sh", [], { CLUSTER: cluster, DRY_RUN: "1" });
    expect(status).toBe(0);
    expect(ran).toBe("");
    inOrder(commands(out), [deletion, new RegExp(`^rm -rf deploy/.work/${cluster}$`)]);
  });
});

describe("the canary scripts, DRY_RUN=1", () => {
  const policy = () => readFileSync(join(ROOT, "services/product/.repo/policy.yaml"), "utf8");

  it("make canary: edits the policy through govern, deploys the canary, then routes to it subset first", () => {
    const before = policy();
    const {
      status,
      out,
      calls: ran,
    } = script("canary.sh", ["canary", "product-service", "10"], {
      CLUSTER: "kind",
      DRY_RUN: "1",
    });
    expect({ status, ran }).toEqual({ status: 0, ran: "" });
    inOrder(commands(out), [
      /govern\/src\/cli\.ts canary product-service 10 --version v2$/,
      /cli\.ts sync-canaries$/,
      /^docker build --file services\/product\/Dockerfile --tag shop\/product-service:/,
      /^kind load docker-image --name shop shop\/product-service:\S+$/,
      /cli\.ts kustomization deploy\/.work\/kind deploy\/overlays\/dev canary product-service /,
      /apply --filename deploy\/.work\/kind\/phases\/5-workloads\.yaml$/,
      /rollout status deployment\/product-service-canary /,
      /apply --filename istio\/product-service\/destination-rule\.yaml$/,
      /apply --filename istio\/product-service\/virtual-service\.yaml$/,
      /apply --recursive --filename istio\/$/,
    ]);
    expect(commands(out).filter((l) => l.startsWith("docker build"))).toHaveLength(1);
    expect(policy()).toBe(before);
  });

  it("make promote: all traffic to the canary, roll the stable to it, then drop the old subset route first", () => {
    const { status, out } = script("canary.sh", ["promote", "product-service"], {
      CLUSTER: "kind",
      DRY_RUN: "1",
    });
    expect(status).toBe(0);
    inOrder(commands(out), [
      /govern\/src\/cli\.ts canary product-service 100/,
      /destination-rule\.yaml$/,
      /virtual-service\.yaml$/,
      /govern\/src\/cli\.ts promote product-service$/,
      /cli\.ts kustomization \S+ \S+ promote product-service$/,
      /rollout status deployment\/product-service /,
      /virtual-service\.yaml$/,
      /destination-rule\.yaml$/,
      /delete deployment product-service-canary --ignore-not-found$/,
    ]);
  });

  it("make rollback: routes back before the subset goes, then removes the canary", () => {
    const { status, out } = script("canary.sh", ["rollback", "product-service"], {
      CLUSTER: "kind",
      DRY_RUN: "1",
    });
    expect(status).toBe(0);
    inOrder(commands(out), [
      /govern\/src\/cli\.ts rollback product-service$/,
      /virtual-service\.yaml$/,
      /destination-rule\.yaml$/,
      /delete deployment product-service-canary --ignore-not-found$/,
    ]);
  });

  it("refuses a bad weight or service", () => {
    expect(script("canary.sh", ["canary", "product-service", "101"], { DRY_RUN: "1" }).err).toMatch(
      /WEIGHT must be 0 to 100, not '101'/,
    );
    expect(script("canary.sh", ["canary", "shop", "10"], { DRY_RUN: "1" }).err).toMatch(
      /unknown service 'shop'/,
    );
  });
});

const hasShellcheck = spawnSync("shellcheck", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasShellcheck)
  console.warn("deploy/test/scripts.spec.ts: shellcheck is not installed; skipping it");
(hasShellcheck ? it : it.skip)("the scripts pass shellcheck", () => {
  const result = spawnSync("shellcheck", ["--external-sources", ...SCRIPTS], {
    cwd: join(ROOT, "deploy/scripts"),
    encoding: "utf8",
  });
  expect(result.stdout).toBe("");
  expect(result.status).toBe(0);
});
