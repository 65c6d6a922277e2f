/**
 * Dotted field paths ("filter.category", "book.shelf") over request messages: resolving
 * them against the descriptors and setting text values at the end of them, creating
 * the messages on the way. Path variables and query parameters both bind through here.
 */
import { create, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { TextValueError, type ValueKind, valueFromText } from "./field-value-from-text";

/** A value that cannot be bound; `parameter` is the name the client used. */
export class BindError extends Error {
  constructor(
    readonly parameter: string,
    readonly description: string,
  ) {
    super(`${parameter}: ${description}`);
    this.name = "BindError";
  }
}

/** A field by its proto name or its JSON name: grpc-gateway accepts both. */
export function findField(message: DescMessage, name: string): DescField | undefined {
  return (
    message.fields.find((f) => f.name === name) ?? message.fields.find((f) => f.jsonName === name)
  );
}

/**
 * The fields along `path`, or undefined when a name is unknown (unknown parameters are
 * ignored). Throws BindError when the path runs through something that is not a
 * singular message.
 */
export function resolveFieldPath(
  root: DescMessage,
  path: readonly string[],
  parameter: string,
): DescField[] | undefined {
  const fields: DescField[] = [];
  let message: DescMessage = root;
  for (let i = 0; i < path.length; i++) {
    const field = findField(message, path[i]!);
    if (!field) return undefined;
    fields.push(field);
    if (i === path.length - 1) break;
    if (field.fieldKind !== "message") {
      throw new BindError(
        parameter,
        `${field.name} is not a message, so it has no field ${path[i + 1]}`,
      );
    }
    message = field.message;
  }
  return fields;
}

/** The kind of one value of `field`, or a BindError when text cannot express it. */
function valueKind(field: DescField, parameter: string): ValueKind {
  switch (field.fieldKind) {
    case "scalar":
      return { kind: "scalar", scalar: field.scalar };
    case "enum":
      return { kind: "enum", enum: field.enum };
    case "message":
      return { kind: "message", message: field.message };
    case "list":
      if (field.listKind === "scalar") return { kind: "scalar", scalar: field.scalar };
      if (field.listKind === "enum") return { kind: "enum", enum: field.enum };
      return { kind: "message", message: field.message };
    case "map":
      throw new BindError(parameter, "a map field cannot be set from a parameter");
  }
}

/**
 * Sets the field at the end of `fields` from `values` (one for a singular field, any
 * number for a repeated one), creating parent messages as needed. A value given twice
 * for a singular field, a bad value, or a second member of a oneof is a BindError.
 */
export function setFieldFromText(
  message: Message,
  schema: DescMessage,
  fields: readonly DescField[],
  values: readonly string[],
  parameter: string,
): void {
  let target: ReflectMessage = reflect(schema, message);
  for (const field of fields.slice(0, -1)) {
    // resolveFieldPath guarantees singular message fields here.
    const messageField = field as DescField & { fieldKind: "message" };
    if (!target.isSet(messageField)) {
      target.set(messageField, reflect(messageField.message, create(messageField.message)));
    }
    target = target.get(messageField);
  }
  const field = fields[fields.length - 1]!;
  const kind = valueKind(field, parameter);
  const parse = (text: string) => {
    try {
      const value = valueFromText(kind, text);
      // Reflection takes messages wrapped; it unwraps wrapper types itself.
      return kind.kind === "message" ? reflect(kind.message, value as Message) : value;
    } catch (error) {
      if (error instanceof TextValueError) throw new BindError(parameter, error.message);
      throw error;
    }
  };
  if (field.fieldKind === "list") {
    const list = target.get(field);
    for (const text of values) list.add(parse(text));
    return;
  }
  if (values.length > 1) {
    throw new BindError(parameter, `given ${values.length} times, but takes a single value`);
  }
  if (field.oneof) {
    const other = target.oneofCase(field.oneof);
    if (other && other !== field) {
      throw new BindError(parameter, `${other.name} is already set (oneof ${field.oneof.name})`);
    }
  }
  target.set(field, parse(values[0]!));
}
