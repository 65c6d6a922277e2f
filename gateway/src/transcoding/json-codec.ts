/**
 * proto3 JSON both ways, with grpc-gateway's choices: lowerCamelCase names out and
 * both names accepted in, int64 as strings out (numbers or strings in), enums as names,
 * zero values emitted, unknown fields ignored. A registry of every message the gateway
 * serves resolves `Any` (error details among them).
 */
import {
  createRegistry,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescService,
  fromJson,
  type JsonValue,
  type Message,
  mergeFromJson,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import { isFieldError } from "@bufbuild/protobuf/reflect";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import { file_google_rpc_error_details } from "@shop/gen/es/google/rpc/error_details_pb";
import { file_google_rpc_status } from "@shop/gen/es/google/rpc/status_pb";

/** A request body that is not JSON, or not JSON of the request's shape. */
export class JsonBodyError extends Error {
  constructor(
    message: string,
    /** The innermost field the decoder complained about, when it named one. */
    readonly field: string | undefined,
  ) {
    super(message);
    this.name = "JsonBodyError";
  }
}

export interface JsonCodec {
  readonly registry: Registry;
  /**
   * Merges a JSON body into `target`: the whole message (`field` undefined) or the one
   * field HttpRule's `body` names. An empty body leaves the target as it is.
   */
  mergeBody(schema: DescMessage, target: Message, body: string, field?: DescField): void;
  /** The message as proto3 JSON with zero values. */
  toJson(schema: DescMessage, message: Message): JsonValue;
  /** Only the field HttpRule's `response_body` names. */
  fieldToJson(schema: DescMessage, message: Message, field: DescField): JsonValue;
  /** Parses proto3 JSON into a message (for tests and aggregation). */
  fromJson(schema: DescMessage, json: JsonValue): Message;
}

const READ = { ignoreUnknownFields: true } as const;

export function createJsonCodec(services: readonly DescService[]): JsonCodec {
  const files = new Set<DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file)) return;
    files.add(file);
    for (const dependency of file.dependencies) add(dependency);
  };
  for (const service of services) add(service.file);
  add(file_google_rpc_status);
  add(file_google_rpc_error_details);
  const registry = createRegistry(...files);
  const write = { alwaysEmitImplicit: true, registry } as const;

  return {
    registry,
    mergeBody(schema, target, body, field) {
      if (body.trim() === "") return;
      let json: JsonValue;
      try {
        json = JSON.parse(body) as JsonValue;
      } catch (error) {
        throw new JsonBodyError(`malformed JSON body: ${(error as Error).message}`, undefined);
      }
      try {
        mergeFromJson(schema, target, field ? { [field.jsonName]: json } : json, {
          ...READ,
          registry,
        });
      } catch (error) {
        const cause = (error as Error).cause;
        const named = isFieldError(cause) ? cause.field().name : undefined;
        throw new JsonBodyError((error as Error).message, named);
      }
    },
    toJson(schema, message) {
      return toJson(schema, message, write);
    },
    fieldToJson(schema, message, field) {
      const json = toJson(schema, message, write) as Record<string, JsonValue>;
      const value = json[field.jsonName];
      if (value !== undefined) return value;
      // An unset message field: grpc-gateway renders the empty message.
      if (field.fieldKind === "message" && !hasCustomJsonRepresentation(field.message)) return {};
      return null;
    },
    fromJson(schema, json) {
      return fromJson(schema, json, { ...READ, registry });
    },
  };
}
