/**
 * google.api.HttpRule path templates: parsing and matching.
 *
 *   Template = "/" Segments [ Verb ] ;
 *   Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *   Verb     = ":" LITERAL ;
 *
 * `{var}` is `{var=*}`. `**` matches zero or more segments and, as in grpc-gateway, must
 * be the last segment. Values are percent-decoded as HttpRule specifies: a
 * single-segment variable fully, a multi-segment one except `%2F`, which stays encoded
 * so a decoded `/` cannot be told apart from a real separator.
 */

export type TemplateSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "single" }
  | { readonly kind: "multi" };

export interface TemplateVariable {
  /** The request field the variable binds, e.g. ["book", "shelf"]. */
  readonly fieldPath: readonly string[];
  /** Index of its first segment. */
  readonly start: number;
  /** Index after its last segment (for a trailing `**`, the segment count). */
  readonly end: number;
}

export interface PathTemplate {
  /** The template as written in the contract. */
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly variables: readonly TemplateVariable[];
  readonly verb: string | undefined;
}

/** A template that does not follow the grammar: a contract error found at start-up. */
export class PathTemplateError extends Error {
  constructor(template: string, problem: string) {
    super(`invalid path template "${template}": ${problem}`);
    this.name = "PathTemplateError";
  }
}

const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@%-]+$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parsePathTemplate(source: string): PathTemplate {
  const fail = (problem: string): never => {
    throw new PathTemplateError(source, problem);
  };
  if (!source.startsWith("/")) fail("must start with '/'");
  let body = source.slice(1);
  let verb: string | undefined;
  // The verb follows the last ':' outside braces.
  const lastBrace = body.lastIndexOf("}");
  const colon = body.indexOf(":", lastBrace + 1);
  if (colon >= 0) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!LITERAL.test(verb)) fail(`bad verb "${verb}"`);
  }
  const segments: TemplateSegment[] = [];
  const variables: TemplateVariable[] = [];
  for (const token of splitOutsideBraces(body, fail)) {
    if (token.startsWith("{")) {
      if (!token.endsWith("}")) fail(`unclosed variable "${token}"`);
      const inner = token.slice(1, -1);
      const eq = inner.indexOf("=");
      const fieldPath = (eq < 0 ? inner : inner.slice(0, eq)).split(".");
      if (!fieldPath.every((name) => FIELD_NAME.test(name))) fail(`bad field path "${inner}"`);
      const start = segments.length;
      const pattern = eq < 0 ? "*" : inner.slice(eq + 1);
      if (pattern === "") fail(`empty pattern in "${token}"`);
      for (const part of pattern.split("/")) segments.push(plainSegment(part, fail));
      if (variables.some((v) => v.fieldPath.join(".") === fieldPath.join("."))) {
        fail(`field "${fieldPath.join(".")}" is bound twice`);
      }
      variables.push({ fieldPath, start, end: segments.length });
    } else {
      segments.push(plainSegment(token, fail));
    }
  }
  const deep = segments.findIndex((s) => s.kind === "multi");
  if (deep >= 0 && deep !== segments.length - 1) fail("'**' must be the last segment");
  return { source, segments, variables, verb };
}

function splitOutsideBraces(body: string, fail: (problem: string) => never): string[] {
  const tokens: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of body) {
    if (char === "{") depth += 1;
    if (char === "}") depth -= 1;
    if (depth < 0 || depth > 1) fail("unbalanced or nested braces");
    if (char === "/" && depth === 0) {
      tokens.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  if (depth !== 0) fail("unbalanced braces");
  tokens.push(current);
  if (tokens.some((t) => t === "")) fail("empty segment");
  return tokens;
}

function plainSegment(text: string, fail: (problem: string) => never): TemplateSegment {
  if (text === "*") return { kind: "single" };
  if (text === "**") return { kind: "multi" };
  if (!LITERAL.test(text)) fail(`bad literal "${text}"`);
  return { kind: "literal", value: text };
}

/** A request path, split once and shared by every template tried against it. */
export interface RequestPath {
  /** Raw (still percent-encoded) segments after the leading '/'. */
  readonly segments: readonly string[];
}

export function splitRequestPath(rawPath: string): RequestPath | undefined {
  if (!rawPath.startsWith("/")) return undefined;
  return { segments: rawPath.slice(1).split("/") };
}

/** A variable whose value is not valid percent-encoding. */
export class PathValueError extends Error {
  constructor(readonly field: string) {
    super(`path parameter ${field}: malformed percent-encoding`);
    this.name = "PathValueError";
  }
}

/**
 * The variables' decoded values ("book.shelf" -> "fiction") when `path` matches the
 * template, else undefined. Throws PathValueError for bad percent-encoding in a value.
 */
export function matchPathTemplate(
  template: PathTemplate,
  path: RequestPath,
): Map<string, string> | undefined {
  let raw = path.segments;
  if (template.verb !== undefined) {
    const last = raw[raw.length - 1];
    const suffix = `:${template.verb}`;
    if (last === undefined || !last.endsWith(suffix) || last.length === suffix.length) {
      return undefined;
    }
    raw = [...raw.slice(0, -1), last.slice(0, -suffix.length)];
  }
  const { segments } = template;
  const deep = segments.length > 0 && segments[segments.length - 1]!.kind === "multi";
  if (deep ? raw.length < segments.length - 1 : raw.length !== segments.length) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === "multi") break;
    const value = raw[i]!;
    if (segment.kind === "literal") {
      if (value !== segment.value && safeDecode(value) !== segment.value) return undefined;
    } else if (value === "") {
      return undefined;
    }
  }
  const values = new Map<string, string>();
  for (const variable of template.variables) {
    const name = variable.fieldPath.join(".");
    const end = deep && variable.end === segments.length ? raw.length : variable.end;
    const parts = raw.slice(variable.start, end);
    const single =
      variable.end - variable.start === 1 && segments[variable.start]!.kind !== "multi";
    const decoded = single ? safeDecode(parts[0]!) : decodeKeepingSlashes(parts.join("/"));
    if (decoded === undefined) throw new PathValueError(name);
    values.set(name, decoded);
  }
  return values;
}

function safeDecode(text: string): string | undefined {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Decodes everything except %2F / %2f, which are kept as they were sent. */
function decodeKeepingSlashes(text: string): string | undefined {
  const pieces = text.split(/(%2[fF])/);
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 1) {
      out.push(pieces[i]!);
      continue;
    }
    const decoded = safeDecode(pieces[i]!);
    if (decoded === undefined) return undefined;
    out.push(decoded);
  }
  return out.join("");
}

/**
 * Orders templates most specific first, so "/v1/users/me" wins over "/v1/users/{id}":
 * segment by segment, a literal before a single wildcard before `**`; then a template
 * with a verb before one without; then more segments first.
 */
export function compareTemplates(a: PathTemplate, b: PathTemplate): number {
  const rank = (s: TemplateSegment | undefined) =>
    s === undefined ? 3 : s.kind === "literal" ? 0 : s.kind === "single" ? 1 : 2;
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const diff = rank(a.segments[i]) - rank(b.segments[i]);
    if (diff !== 0) return diff;
  }
  const verbDiff = (a.verb === undefined ? 1 : 0) - (b.verb === undefined ? 1 : 0);
  if (verbDiff !== 0) return verbDiff;
  return b.segments.length - a.segments.length;
}
