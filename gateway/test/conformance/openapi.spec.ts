/**
 * The OpenAPI 3.1 document at /openapi.json validates with an OpenAPI 3.1 validator and
 * lists every annotated, non-internal RPC binding (the shop's and the test contract's),
 * the aggregation route, the Status error schema and bearer security; /docs renders it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@shop/gen/es/google/api/annotations_pb";
import type { HttpRule } from "@shop/gen/es/google/api/http_pb";
import { Access, access } from "@shop/gen/es/shop/options/v1/options_pb";
import { OrderService } from "@shop/gen/es/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/es/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/es/shop/user/v1/user_pb";
import { createTestIssuer, type TestIssuer } from "@shop/libs/testing";
import { parseGatewayConfig } from "../../src/config/gateway-config";
import { shopBackends } from "../../src/gateway";
import { ConformanceService, RawService } from "../gen/conformance/v1/conformance_pb";
import { httpCall } from "../support/http-client";
import {
  conformanceBackendSpecs,
  startTestGateway,
  type TestGateway,
} from "../support/test-gateway";

const VALIDATOR = require.resolve("@seriousme/openapi-schema-validator/bin/validate-api-cli.js");

/** The validator is an ES module jest cannot load: it runs in its own node process. */
async function validate(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const file = join(mkdtempSync(join(tmpdir(), "openapi-")), "openapi.json");
  writeFileSync(file, JSON.stringify(document));
  const { stdout } = await promisify(execFile)(process.execPath, [VALIDATOR, file]).catch(
    (error: { stdout: string }) => ({ stdout: error.stdout }),
  );
  return JSON.parse(stdout);
}

/** Every HTTP binding of every exposed RPC, read straight from the descriptors. */
function expectedOperations(services: readonly DescService[]) {
  const operations: { method: string; path: string; secured: boolean }[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const level = getOption(method, access);
      if (!hasOption(method, http) || level === Access.INTERNAL || level === Access.UNSPECIFIED)
        continue;
      const rule = getOption(method, http);
      for (const binding of [rule, ...rule.additionalBindings] as HttpRule[]) {
        const verb =
          binding.pattern.case === "custom" ? binding.pattern.value.kind : binding.pattern.case!;
        const path =
          binding.pattern.case === "custom"
            ? binding.pattern.value.path
            : (binding.pattern.value as string);
        operations.push({
          method: verb.toLowerCase(),
          path: path.replace(/\{([^}=]+)=[^}]*\}/g, "{$1}"),
          secured: level !== Access.PUBLIC,
        });
      }
    }
  }
  return operations;
}

describe("OpenAPI", () => {
  let issuer: TestIssuer;
  let gateway: TestGateway;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    // The document comes from the descriptors alone: the backends need not be running.
    const config = parseGatewayConfig({
      USER_SERVICE_ADDR: "127.0.0.1:1",
      PRODUCT_SERVICE_ADDR: "127.0.0.1:1",
      ORDER_SERVICE_ADDR: "127.0.0.1:1",
    });
    gateway = await startTestGateway({
      env: issuer.env,
      backends: [
        ...shopBackends(config),
        ...conformanceBackendSpecs({ port: 1, rawPort: 1, stop: async () => {} }),
      ],
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await issuer.close();
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const answer = await gateway.call("GET", "/openapi.json");
    expect(answer.status).toBe(200);
    expect(answer.json.openapi).toBe("3.1.0");
    const result = await validate(answer.json);
    expect(result).toEqual({ valid: true });
  });

  it("lists every annotated non-internal RPC binding, with bearer security where needed", async () => {
    const { paths } = (await gateway.call("GET", "/openapi.json")).json;
    const expected = expectedOperations([
      UserService,
      ProductService,
      OrderService,
      ConformanceService,
      RawService,
    ]);
    expect(expected.length).toBeGreaterThan(30);
    for (const { method, path, secured } of expected) {
      const operation = paths[path]?.[method];
      expect({ path, method, listed: operation !== undefined }).toEqual({
        path,
        method,
        listed: true,
      });
      expect(operation.security).toEqual(secured ? [{ bearerAuth: [] }] : []);
      expect(operation.responses.default.content["application/json"].schema).toEqual({
        $ref: "#/components/schemas/google.rpc.Status",
      });
    }
    for (const hidden of ["/v1/secret", "/v1/unmarked"]) expect(paths[hidden]).toBeUndefined();
    const operations = Object.values(paths).flatMap((item) => Object.keys(item as object));
    // Every transcoded binding plus the one aggregation route, nothing else.
    expect(operations).toHaveLength(expected.length + 1);
  });

  it("describes parameters, bodies and schemas from the messages", async () => {
    const document = (await gateway.call("GET", "/openapi.json")).json;
    const list = document.paths["/api/products"].get;
    const names = list.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "pageSize",
        "pageToken",
        "query",
        "filter.category",
        "filter.tags",
        "filter.minPriceMinor",
      ]),
    );
    const tags = list.parameters.find((p: { name: string }) => p.name === "filter.tags");
    expect(tags).toMatchObject({
      in: "query",
      schema: { type: "array", items: { type: "string" } },
    });

    const update = document.paths["/api/products/{product.id}"].patch;
    expect(update.parameters[0]).toMatchObject({ name: "product.id", in: "path", required: true });
    expect(update.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/shop.product.v1.Product",
    });
    expect(update.parameters.map((p: { name: string }) => p.name)).toContain("updateMask");

    const schemas = document.components.schemas;
    expect(schemas["shop.product.v1.Money"].properties.amountMinor).toMatchObject({
      type: "string",
      format: "int64",
    });
    expect(schemas["shop.product.v1.Product"].properties.createTime).toEqual({
      type: "string",
      format: "date-time",
    });
    expect(schemas["shop.order.v1.OrderStatus"].enum).toContain("ORDER_STATUS_CONFIRMED");
    expect(schemas["google.rpc.Status"].properties).toMatchObject({ code: { type: "integer" } });
    expect(schemas["conformance.v1.EchoRequest"].properties.stringWrapper).toEqual({
      type: ["string", "null"],
    });

    const files = document.paths["/v1/files/{path}"].get;
    expect(files.parameters[0].description).toContain("**");
    const watch = document.paths["/api/orders/{order_id}:watch"].get;
    expect(watch.responses["200"].content["application/json"].schema.properties).toHaveProperty(
      "result",
    );
    const details = document.paths["/api/orders/{order_id}/details"].get;
    expect(details).toMatchObject({
      operationId: "aggregate_GetOrderDetails",
      security: [{ bearerAuth: [] }],
    });
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
  });

  it("renders a readable page at /docs with every path", async () => {
    const page = await gateway.call("GET", "/docs");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.text).not.toContain("<script");
    const { paths } = (await httpCall(gateway.port, "GET", "/openapi.json")).json;
    for (const path of Object.keys(paths)) {
      expect(page.text).toContain(path.replace(/&/g, "&amp;"));
    }
    expect(page.text).toContain('id="schema-google.rpc.Status"');
  });
});
