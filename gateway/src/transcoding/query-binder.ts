/**
 * Binds query parameters to the request fields that neither the path nor the body
 * binds, with grpc-gateway's rules: dotted names reach nested fields
 * (`filter.category=x`), a repeated field takes every occurrence (`tag=a&tag=b`), a
 * singular one exactly one, and unknown names are ignored. A parameter inside a field
 * the path or the body already binds is ignored too: those fields are not the query's.
 */
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { resolveFieldPath, setFieldFromText } from "./field-path";

/**
 * @param excluded field paths (proto names) bound by the path or the body
 * @throws BindError naming the parameter
 */
export function bindQuery(
  message: Message,
  schema: DescMessage,
  query: URLSearchParams,
  excluded: readonly (readonly string[])[],
): void {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of query) {
    const values = grouped.get(name);
    if (values) values.push(value);
    else grouped.set(name, [value]);
  }
  for (const [parameter, values] of grouped) {
    const fields = resolveFieldPath(schema, parameter.split("."), parameter);
    if (!fields) continue;
    const protoPath = fields.map((f) => f.name);
    if (excluded.some((bound) => isPrefix(bound, protoPath))) continue;
    setFieldFromText(message, schema, fields, values, parameter);
  }
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, i) => path[i] === name);
}
