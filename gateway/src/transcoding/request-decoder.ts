/**
 * Builds an RPC's request message from an HTTP request, in grpc-gateway's order: the
 * body first (all of it, one field, or none), then the query parameters for the fields
 * neither binds (not with `body: "*"`, where nothing is left for them), then the path
 * variables, which win over anything the body said about the same fields.
 */
import { create, type Message } from "@bufbuild/protobuf";
import { Code, ServiceError } from "@shop/libs/errors";
import { BindError, setFieldFromText } from "./field-path";
import type { RestBinding } from "./http-rule-bindings";
import { JsonBodyError, type JsonCodec } from "./json-codec";
import { bindQuery } from "./query-binder";

export interface RestRequestParts {
  /** Decoded path variables by their dotted name. */
  readonly params: ReadonlyMap<string, string>;
  readonly query: URLSearchParams;
  /** The raw body text; ignored when the binding has no body. */
  readonly body: string;
}

/** @throws ServiceError INVALID_ARGUMENT naming the parameter or body field at fault */
export function decodeRestRequest(
  codec: JsonCodec,
  binding: RestBinding,
  parts: RestRequestParts,
): Message {
  const schema = binding.rpc.method.input;
  const message = create(schema);
  try {
    if (binding.body.kind === "all") {
      codec.mergeBody(schema, message, parts.body);
    } else if (binding.body.kind === "field") {
      codec.mergeBody(schema, message, parts.body, binding.body.field);
    }
    if (binding.body.kind !== "all") {
      const excluded = binding.pathVariables.map((v) => v.fields.map((f) => f.name));
      if (binding.body.kind === "field") excluded.push([binding.body.field.name]);
      bindQuery(message, schema, parts.query, excluded);
    }
    for (const variable of binding.pathVariables) {
      const value = parts.params.get(variable.name);
      if (value === undefined) continue;
      setFieldFromText(message, schema, variable.fields, [value], variable.name);
    }
  } catch (error) {
    throw invalidArgument(error);
  }
  return message;
}

function invalidArgument(error: unknown): unknown {
  if (error instanceof BindError) {
    return ServiceError.invalidArgument([
      { field: error.parameter, description: error.description },
    ]);
  }
  if (error instanceof JsonBodyError) {
    return new ServiceError(Code.INVALID_ARGUMENT, error.message, {
      fieldViolations: [{ field: error.field ?? "body", description: error.message }],
    });
  }
  return error;
}
