import { create, createFileRegistry, type DescService, setExtension } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  type MethodOptions,
  MethodOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { file_google_api_annotations, http } from "@shop/gen/es/google/api/annotations_pb";
import { type HttpRule, HttpRuleSchema } from "@shop/gen/es/google/api/http_pb";
import {
  Access,
  access,
  file_shop_options_v1_options,
} from "@shop/gen/es/shop/options/v1/options_pb";
import { HttpRuleError, restBindingsFromServices } from "./http-rule-bindings";

type Rule = Partial<Pick<HttpRule, "pattern" | "body" | "responseBody" | "additionalBindings">>;

/** A one-method service built at run time, with the rule and access level given. */
function service(
  methods: { name: string; rule?: Rule; level?: Access; streaming?: "client" | "server" }[],
): DescService {
  const field = (name: string, number: number, repeated = false) => ({
    name,
    number,
    jsonName: name,
    label: repeated ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
    type: FieldDescriptorProto_Type.STRING,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "test/v1/bindings.proto",
    package: "test.v1",
    syntax: "proto3",
    dependency: ["google/api/annotations.proto", "shop/options/v1/options.proto"],
    messageType: [
      { name: "Req", field: [field("id", 1), field("tags", 2, true)] },
      { name: "Res", field: [field("title", 1)] },
    ],
    service: [
      {
        name: "TestService",
        method: methods.map((m) => {
          const options: MethodOptions = create(MethodOptionsSchema);
          if (m.rule) setExtension(options, http, create(HttpRuleSchema, m.rule));
          if (m.level !== undefined) setExtension(options, access, m.level);
          return {
            name: m.name,
            inputType: ".test.v1.Req",
            outputType: ".test.v1.Res",
            options,
            clientStreaming: m.streaming === "client",
            serverStreaming: m.streaming === "server",
          };
        }),
      },
    ],
  });
  const registry = createFileRegistry(file, (name) =>
    name === "google/api/annotations.proto"
      ? file_google_api_annotations
      : name === "shop/options/v1/options.proto"
        ? file_shop_options_v1_options
        : undefined,
  );
  return registry.getService("test.v1.TestService")!;
}

const get = (path: string): Rule => ({ pattern: { case: "get", value: path } });

describe("restBindingsFromServices", () => {
  it("binds every rule and additional binding, custom methods included", () => {
    const { bindings } = restBindingsFromServices([
      service([
        {
          name: "Get",
          level: Access.PUBLIC,
          rule: {
            ...get("/v1/items/{id}"),
            responseBody: "title",
            additionalBindings: [
              create(HttpRuleSchema, {
                pattern: { case: "custom", value: { kind: "SEARCH", path: "/v1/items" } },
                body: "*",
              }),
            ],
          },
        },
      ]),
    ]);
    expect(bindings.map((b) => [b.httpMethod, b.template.source, b.body.kind, b.index])).toEqual([
      ["GET", "/v1/items/{id}", "none", 0],
      ["SEARCH", "/v1/items", "all", 1],
    ]);
    expect(bindings[0]!.responseBody?.name).toBe("title");
    expect(bindings[0]!.rpc).toMatchObject({
      fullName: "test.v1.TestService/Get",
      access: "public",
    });
  });

  it("leaves out RPCs without a rule, INTERNAL ones, unmarked ones and client streams", () => {
    const { bindings, skipped } = restBindingsFromServices([
      service([
        { name: "NoRule", level: Access.PUBLIC },
        { name: "Internal", level: Access.INTERNAL, rule: get("/v1/internal") },
        { name: "Unmarked", rule: get("/v1/unmarked") },
        { name: "Upload", level: Access.PUBLIC, rule: get("/v1/upload"), streaming: "client" },
        { name: "Watch", level: Access.AUTHENTICATED, rule: get("/v1/watch"), streaming: "server" },
      ]),
    ]);
    expect(bindings.map((b) => [b.rpc.fullName, b.rpc.streaming])).toEqual([
      ["test.v1.TestService/Watch", true],
    ]);
    expect(skipped.map((s) => s.fullName.split("/")[1])).toEqual([
      "NoRule",
      "Internal",
      "Unmarked",
      "Upload",
    ]);
    expect(skipped[1]!.reason).toMatch(/INTERNAL/);
  });

  it.each([
    [get("/v1/{missing}"), /not a field of test.v1.Req/],
    [get("/v1/{tags}"), /repeated/],
    [get("/v1/{id.deep}"), /not a message/],
    [{ ...get("/v1/x"), body: "nope" }, /body "nope"/],
    [{ ...get("/v1/x"), responseBody: "nope" }, /response_body "nope"/],
    [{}, /no HTTP method/],
  ])("refuses a rule that does not fit its messages (%#)", (rule, problem) => {
    const broken = service([{ name: "Broken", level: Access.PUBLIC, rule }]);
    expect(() => restBindingsFromServices([broken])).toThrow(problem);
    expect(() => restBindingsFromServices([broken])).toThrow(Error);
  });

  it("names the RPC in contract errors", () => {
    const broken = service([{ name: "Broken", level: Access.PUBLIC, rule: get("/v1/{missing}") }]);
    expect(() => restBindingsFromServices([broken])).toThrow(HttpRuleError);
    expect(() => restBindingsFromServices([broken])).toThrow(/^test.v1.TestService\/Broken:/);
  });
});
