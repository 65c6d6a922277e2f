/**
 * The OpenAPI 3.1 document of the REST surface, generated from the same bindings the
 * router serves (so it cannot list a route that does not exist, or miss one) plus the
 * aggregation routes: paths, path and query parameters (every field neither the path
 * nor the body binds, flattened with dots), request and response schemas, the
 * google.rpc.Status error schema, and bearer security on protected routes.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { StatusSchema } from "@shop/gen/es/google/rpc/status_pb";
import type { AggregationRoute } from "../aggregation/aggregation-route";
import type { RestBinding } from "../transcoding/http-rule-bindings";
import type { PathTemplate } from "../transcoding/path-template";
import { componentRef, createSchemaCollector, type SchemaCollector } from "./json-schema";

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

type Operation = Record<string, unknown>;

const STATUS_REF = { $ref: componentRef(StatusSchema.typeName) };
const TEXT_FORM = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
]);
/** How deep query parameters are flattened into nested messages. */
const MAX_QUERY_DEPTH = 4;

export function createOpenApiDocument(
  bindings: readonly RestBinding[],
  aggregations: readonly AggregationRoute[],
  info: OpenApiInfo,
): Record<string, unknown> {
  const schemas = createSchemaCollector();
  schemas.messageSchema(StatusSchema);
  const paths: Record<string, Record<string, Operation>> = {};
  const add = (template: PathTemplate, method: string, operation: Operation) => {
    const path = openApiPath(template);
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = operation;
  };

  for (const binding of bindings) {
    const { rpc } = binding;
    const output = binding.responseBody
      ? schemas.fieldSchema(binding.responseBody)
      : schemas.messageSchema(rpc.method.output);
    const parameters = [
      ...binding.pathVariables.map((variable) => ({
        name: variable.name,
        in: "path",
        required: true,
        schema: schemas.fieldSchema(variable.fields[variable.fields.length - 1]!),
        ...pathPattern(binding.template, variable.name),
      })),
      ...(binding.body.kind === "all" ? [] : queryParameters(binding, schemas)),
    ];
    const operation: Operation = {
      operationId: `${rpc.service.name}_${rpc.method.name}${binding.index ? `_${binding.index}` : ""}`,
      summary: rpc.method.name,
      description: `Transcoded to ${rpc.fullName} (access: ${rpc.access}).`,
      tags: [rpc.service.name],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...requestBody(binding, schemas),
      responses: {
        "200": rpc.streaming
          ? {
              description:
                'Newline-delimited JSON: one {"result": ...} per message, a final {"error": ...} on failure.',
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { result: output, error: STATUS_REF },
                  },
                },
              },
            }
          : { description: "OK", content: { "application/json": { schema: output } } },
        default: errorResponse(),
      },
      security: rpc.access === "public" ? [] : [{ bearerAuth: [] }],
    };
    add(binding.template, binding.httpMethod, operation);
  }

  for (const route of aggregations) {
    for (const message of route.referencedMessages) schemas.messageSchema(message);
    add(route.template, route.httpMethod, {
      operationId: route.id.replace(/\./g, "_"),
      summary: route.summary,
      description: route.description,
      tags: ["Aggregation"],
      parameters: route.template.variables.map((v) => ({
        name: v.fieldPath.join("."),
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      responses: {
        "200": {
          description: "OK",
          content: { "application/json": { schema: route.responseSchema } },
        },
        default: errorResponse(),
      },
      security: route.access === "public" ? [] : [{ bearerAuth: [] }],
    });
  }

  return {
    openapi: "3.1.0",
    info,
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: schemas.components(),
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token from POST /api/users/login or /api/users/register.",
        },
      },
    },
  };
}

function errorResponse() {
  return {
    description: "An error as google.rpc.Status, with the HTTP status of its code.",
    content: { "application/json": { schema: STATUS_REF } },
  };
}

/** "/v1/files/{path=**}:blob" -> "/v1/files/{path}:blob"; a bare wildcard gets a name. */
export function openApiPath(template: PathTemplate): string {
  const parts: string[] = [];
  let wildcard = 0;
  for (let i = 0; i < template.segments.length; i++) {
    const variable = template.variables.find((v) => v.start === i);
    if (variable) {
      parts.push(`{${variable.fieldPath.join(".")}}`);
      i = variable.end - 1;
      continue;
    }
    const segment = template.segments[i]!;
    parts.push(segment.kind === "literal" ? segment.value : `{wildcard${++wildcard}}`);
  }
  return `/${parts.join("/")}${template.verb === undefined ? "" : `:${template.verb}`}`;
}

/** A variable spanning several segments says which; a `/` inside one segment stays %2F. */
function pathPattern(template: PathTemplate, name: string): Operation {
  const variable = template.variables.find((v) => v.fieldPath.join(".") === name)!;
  const segments = template.segments.slice(variable.start, variable.end);
  if (segments.length === 1 && segments[0]!.kind === "single") return {};
  const pattern = segments
    .map((s) => (s.kind === "literal" ? s.value : s.kind === "single" ? "*" : "**"))
    .join("/");
  return { description: `Matches ${pattern} (several path segments).` };
}

function requestBody(binding: RestBinding, schemas: SchemaCollector): Operation {
  if (binding.body.kind === "none") return {};
  const schema =
    binding.body.kind === "all"
      ? schemas.messageSchema(binding.rpc.method.input)
      : schemas.fieldSchema(binding.body.field);
  return { requestBody: { required: false, content: { "application/json": { schema } } } };
}

function queryParameters(binding: RestBinding, schemas: SchemaCollector): Operation[] {
  const bound = binding.pathVariables.map((v) => v.fields.map((f) => f.name).join("."));
  if (binding.body.kind === "field") bound.push(binding.body.field.name);
  const parameters: Operation[] = [];
  const visit = (message: DescMessage, protoPrefix: string, jsonPrefix: string, depth: number) => {
    for (const field of message.fields) {
      const protoPath = protoPrefix + field.name;
      if (bound.some((b) => protoPath === b || protoPath.startsWith(`${b}.`))) continue;
      const jsonPath = jsonPrefix + field.jsonName;
      if (isTextual(field)) {
        parameters.push({
          name: jsonPath,
          in: "query",
          required: false,
          schema: schemas.fieldSchema(field),
          ...(field.fieldKind === "list" ? { style: "form", explode: true } : {}),
        });
      } else if (field.fieldKind === "message" && depth < MAX_QUERY_DEPTH) {
        visit(field.message, `${protoPath}.`, `${jsonPath}.`, depth + 1);
      }
    }
  };
  visit(binding.rpc.method.input, "", "", 0);
  return parameters;
}

/** Fields a query parameter can set: scalars, enums and text-form well-known types. */
function isTextual(field: DescField): boolean {
  if (field.fieldKind === "map") return false;
  const message = field.message;
  if (!message) return true;
  return TEXT_FORM.has(message.typeName) || isWrapperDesc(message);
}
