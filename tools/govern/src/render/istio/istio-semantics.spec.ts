import { createFixtureRepo } from "../../../test/fixture-repo";
import { loadEffective } from "../../model/load-effective";
import { type RenderedFile, yamlFile } from "../output";
import { renderAll } from "../render-all";
import { istioSemanticFindings } from "./istio-semantics";
import type { AuthorizationPolicy, DestinationRule, VirtualService } from "./istio-types";

const meta = (name: string) => ({ name, namespace: "shop" });
const host = "product-service.shop.svc.cluster.local";
const dr: DestinationRule = {
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: meta("product-service"),
  spec: { host, subsets: [{ name: "v1", labels: { version: "v1" } }] },
};
const account = {
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: meta("order-service"),
};

const check = (...docs: object[]) =>
  istioSemanticFindings([yamlFile("istio/test.yaml", ["test"], [dr, account, ...docs])], []).map(
    (f) => `${f.line}: ${f.message}`,
  );

describe("Istio's semantic rules", () => {
  it("hold for everything govern renders", async () => {
    const repo = createFixtureRepo();
    try {
      const result = loadEffective(repo.root);
      if (!result.ok) throw new Error("fixture does not validate");
      const files: RenderedFile[] = await renderAll(result.repo);
      expect(
        istioSemanticFindings(files, ["istio-system/istio-ingressgateway-service-account"]),
      ).toEqual([]);
      // Without the ingress's account, its principal names nothing that exists.
      expect(istioSemanticFindings(files).map((f) => f.message)).toEqual([
        'principal "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account" names no existing service account',
      ]);
    } finally {
      repo.remove();
    }
  });

  const vs = (http: VirtualService["spec"]["http"]): VirtualService => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: meta("product-service"),
    spec: { hosts: [host], http },
  });
  const to = (subset: string, weight?: number) => ({
    destination: { host, subset },
    ...(weight === undefined ? {} : { weight }),
  });

  it("refuses unknown retryOn tokens and accepts gRPC conditions and HTTP codes", () => {
    const ok = vs([
      {
        route: [to("v1")],
        retries: { attempts: 2, perTryTimeout: "1s", retryOn: "unavailable,connect-failure,503" },
      },
    ]);
    expect(check(ok)).toEqual([]);
    const bad = vs([
      { route: [to("v1")], retries: { attempts: 2, retryOn: "unavailable,grpc-unavailable" } },
    ]);
    expect(check(bad)).toEqual([
      expect.stringMatching(/"grpc-unavailable" is not a retry condition/),
    ]);
  });

  it("refuses durations that do not parse, and a zero perTryTimeout", () => {
    const bad = vs([
      { route: [to("v1")], timeout: "2 seconds", retries: { attempts: 1, perTryTimeout: "0s" } },
    ]);
    expect(check(bad)).toEqual([
      expect.stringMatching(/"2 seconds" is not a duration/),
      expect.stringMatching(/perTryTimeout must be at least 1ms/),
    ]);
  });

  it("refuses attempts: 0 combined with other retry fields", () => {
    const bad = vs([{ route: [to("v1")], retries: { attempts: 0, retryOn: "unavailable" } }]);
    expect(check(bad)).toEqual([
      expect.stringMatching(/attempts: 0 disables retries: no other retry field/),
    ]);
  });

  it("refuses weights that do not add up to 100 and subsets that do not exist", () => {
    const bad = vs([{ route: [to("v1", 90), to("v2", 20)] }]);
    expect(check(bad)).toEqual([
      expect.stringMatching(/weights add up to 110, not 100/),
      expect.stringMatching(/no subset "v2" in a DestinationRule for product-service/),
    ]);
  });

  it("refuses a catch-all route that is not last", () => {
    const bad = vs([
      { name: "all", route: [to("v1")] },
      { name: "one", match: [{ uri: { exact: "/x" } }], route: [to("v1")] },
    ]);
    expect(check(bad)).toEqual([expect.stringMatching(/a route without match must be last/)]);
  });

  it("refuses principals of service accounts that do not exist, and malformed ports", () => {
    const policy: AuthorizationPolicy = {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: meta("product-service"),
      spec: {
        rules: [
          {
            from: [
              {
                source: {
                  principals: [
                    "cluster.local/ns/shop/sa/order-service",
                    "cluster.local/ns/shop/sa/billing",
                  ],
                },
              },
            ],
            to: [{ operation: { ports: ["grpc"], paths: ["shop.X/Y"] } }],
          },
        ],
      },
    };
    expect(check(policy)).toEqual([
      expect.stringMatching(
        /principal "cluster.local\/ns\/shop\/sa\/billing" names no existing service account/,
      ),
      expect.stringMatching(/port "grpc" must be a number/),
      expect.stringMatching(/path "shop.X\/Y" must start with \//),
    ]);
  });
});
