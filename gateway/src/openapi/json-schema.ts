/**
 * JSON Schemas (OpenAPI 3.1 dialect) of protobuf messages and enums as proto3 JSON
 * shows them: lowerCamelCase names, 64-bit integers as strings, enums as names, and
 * the well-known types in their JSON forms (Timestamp as date-time, wrappers nullable).
 * Messages and enums become named components, referenced by their full type name.
 */
import type { DescEnum, DescField, DescMessage } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

export type JsonSchema = Record<string, unknown>;

export interface SchemaCollector {
  /** The schema of a field's value (a `$ref` for messages and enums). */
  fieldSchema(field: DescField): JsonSchema;
  /** A `$ref` to the message (or its inline form for well-known types). */
  messageSchema(message: DescMessage): JsonSchema;
  /** Every component referenced so far, by name. */
  components(): Record<string, JsonSchema>;
}

export const componentRef = (typeName: string) => `#/components/schemas/${typeName}`;

const INT64 = [ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64];
const UINT64 = [ScalarType.UINT64, ScalarType.FIXED64];

export function scalarSchema(scalar: ScalarType): JsonSchema {
  if (INT64.includes(scalar)) return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
  if (UINT64.includes(scalar)) return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", minimum: 0, maximum: 4294967295 };
    default:
      return { type: "integer", format: "int32" };
  }
}

/** Inline schemas of the well-known types with a JSON form of their own. */
function wellKnownSchema(message: DescMessage): JsonSchema | undefined {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", examples: ["1.5s"] };
    case "google.protobuf.FieldMask":
      return { type: "string", description: "Comma-separated field paths." };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array", items: {} };
    case "google.protobuf.Empty":
      return { type: "object" };
    case "google.protobuf.Any":
      return {
        type: "object",
        required: ["@type"],
        properties: { "@type": { type: "string" } },
        additionalProperties: true,
      };
  }
  if (isWrapperDesc(message)) {
    const inner = scalarSchema(message.fields[0].scalar);
    return { ...inner, type: [inner.type as string, "null"] };
  }
  return undefined;
}

export function createSchemaCollector(): SchemaCollector {
  const components = new Map<string, JsonSchema>();

  const enumSchema = (desc: DescEnum): JsonSchema => {
    if (!components.has(desc.typeName)) {
      components.set(desc.typeName, {
        type: "string",
        enum: desc.values.map((v) => v.name),
        description: "Also accepted as the value's number.",
      });
    }
    return { $ref: componentRef(desc.typeName) };
  };

  const messageSchema = (message: DescMessage): JsonSchema => {
    const known = wellKnownSchema(message);
    if (known) return known;
    if (!components.has(message.typeName)) {
      // Set before the fields, so a recursive message refers to itself.
      const schema: JsonSchema = { type: "object" };
      components.set(message.typeName, schema);
      schema.properties = Object.fromEntries(
        message.fields.map((field) => [field.jsonName, fieldSchema(field)]),
      );
    }
    return { $ref: componentRef(message.typeName) };
  };

  const singleSchema = (field: DescField): JsonSchema => {
    if (field.enum) return enumSchema(field.enum);
    if (field.message) return messageSchema(field.message);
    return scalarSchema(field.scalar!);
  };

  function fieldSchema(field: DescField): JsonSchema {
    switch (field.fieldKind) {
      case "list":
        return { type: "array", items: singleSchema(field) };
      case "map":
        return { type: "object", additionalProperties: singleSchema(field) };
      default:
        return singleSchema(field);
    }
  }

  return {
    fieldSchema,
    messageSchema,
    components: () => Object.fromEntries(components),
  };
}
