/**
 * Turns the text of a path variable or query parameter into a field value, as
 * grpc-gateway's runtime does (runtime/query.go, runtime/convert.go): scalars in their
 * usual text forms with range checks, enums by name or number (a number must name a
 * value), and the well-known types that have a text form: Timestamp (RFC 3339),
 * Duration ("1.5s"), FieldMask (a comma list, snake_case or lowerCamelCase) and the
 * wrappers. Anything else cannot come from text.
 */
import { create, type DescEnum, type DescMessage, fromJson, ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/** Why a text cannot be the value; the caller names the parameter. */
export class TextValueError extends Error {
  constructor(description: string) {
    super(description);
    this.name = "TextValueError";
  }
}

/** What a single value of a field is: a scalar, an enum or a message type. */
export type ValueKind =
  | { readonly kind: "scalar"; readonly scalar: ScalarType }
  | { readonly kind: "enum"; readonly enum: DescEnum }
  | { readonly kind: "message"; readonly message: DescMessage };

const INT32 = /^[-+]?\d+$/;
const UINT = /^\+?\d+$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const FLOAT_MAX = 3.4028234663852886e38;

/** Parses `text` as one value of `kind`; throws TextValueError when it is not one. */
export function valueFromText(kind: ValueKind, text: string): unknown {
  switch (kind.kind) {
    case "scalar":
      return scalarFromText(kind.scalar, text);
    case "enum":
      return enumFromText(kind.enum, text);
    case "message":
      return messageFromText(kind.message, text);
  }
}

function scalarFromText(scalar: ScalarType, text: string): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return text;
    case ScalarType.BOOL:
      return boolFromText(text);
    case ScalarType.BYTES:
      return bytesFromText(text);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return integer(text, INT32, -(2 ** 31), 2 ** 31 - 1, "a 32-bit integer");
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return integer(text, UINT, 0, 2 ** 32 - 1, "an unsigned 32-bit integer");
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return bigInteger(text, INT32, -(2n ** 63n), 2n ** 63n - 1n, "a 64-bit integer");
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return bigInteger(text, UINT, 0n, 2n ** 64n - 1n, "an unsigned 64-bit integer");
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE: {
      const value = floatFromText(text);
      if (scalar === ScalarType.FLOAT && Number.isFinite(value) && Math.abs(value) > FLOAT_MAX) {
        throw new TextValueError(`"${text}" is out of range for a float`);
      }
      return value;
    }
  }
}

/** strconv.ParseBool's spellings, which grpc-gateway accepts. */
function boolFromText(text: string): boolean {
  if (["true", "True", "TRUE", "t", "T", "1"].includes(text)) return true;
  if (["false", "False", "FALSE", "f", "F", "0"].includes(text)) return false;
  throw new TextValueError(`"${text}" is not a boolean`);
}

function bytesFromText(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new TextValueError("is not base64");
  // Node decodes both the standard and the URL-safe alphabet.
  return new Uint8Array(Buffer.from(text, "base64"));
}

function integer(text: string, pattern: RegExp, min: number, max: number, what: string): number {
  if (!pattern.test(text)) throw new TextValueError(`"${text}" is not ${what}`);
  const value = Number(text);
  if (value < min || value > max) throw new TextValueError(`"${text}" is out of range for ${what}`);
  return value;
}

function bigInteger(text: string, pattern: RegExp, min: bigint, max: bigint, what: string): bigint {
  if (!pattern.test(text)) throw new TextValueError(`"${text}" is not ${what}`);
  const value = BigInt(text.replace(/^\+/, ""));
  if (value < min || value > max) throw new TextValueError(`"${text}" is out of range for ${what}`);
  return value;
}

function floatFromText(text: string): number {
  if (text === "NaN") return Number.NaN;
  if (text === "Infinity" || text === "+Infinity") return Number.POSITIVE_INFINITY;
  if (text === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(text)) throw new TextValueError(`"${text}" is not a number`);
  return Number(text);
}

function enumFromText(desc: DescEnum, text: string): number {
  const byName = desc.values.find((v) => v.name === text);
  if (byName) return byName.number;
  if (INT32.test(text)) {
    const byNumber = desc.values.find((v) => v.number === Number(text));
    if (byNumber) return byNumber.number;
  }
  throw new TextValueError(`"${text}" is not a value of ${desc.typeName}`);
}

function messageFromText(desc: DescMessage, text: string): unknown {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return viaJson(desc, text, "is not an RFC 3339 timestamp");
    case "google.protobuf.Duration":
      if (!DURATION.test(text)) throw new TextValueError(`"${text}" is not a duration like 1.5s`);
      return viaJson(desc, text, `"${text}" is not a duration like 1.5s`);
    case "google.protobuf.FieldMask":
      return create(desc, { paths: fieldMaskPaths(text) });
  }
  if (isWrapperDesc(desc)) {
    const inner = desc.fields[0];
    const value = scalarFromText(inner.scalar, text);
    return create(desc, { value } as never);
  }
  throw new TextValueError(`${desc.typeName} cannot be given as text`);
}

function viaJson(desc: DescMessage, text: string, description: string): unknown {
  try {
    return fromJson(desc, text);
  } catch {
    throw new TextValueError(description);
  }
}

/** grpc-gateway takes query paths as written (snake_case); lowerCamelCase is accepted too. */
function fieldMaskPaths(text: string): string[] {
  if (text === "") return [];
  return text.split(",").map((path) => {
    const snake = path.trim().replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/.test(snake)) {
      throw new TextValueError(`"${path}" is not a field path`);
    }
    return snake;
  });
}
