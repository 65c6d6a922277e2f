/**
 * Matches an HTTP method and path against the gateway's routes: the transcoded RPC
 * bindings and the hand-written aggregation routes alike. A path that some route
 * matches under another method is a 405 with the allowed methods (grpc-gateway answers
 * 501 there; 405 with Allow is what HTTP clients expect).
 */
import {
  compareTemplates,
  matchPathTemplate,
  type PathTemplate,
  splitRequestPath,
} from "./path-template";

export interface RouteEntry<T> {
  /** Upper-case HTTP method. */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly target: T;
}

export type RouteMatch<T> =
  | { readonly kind: "found"; readonly entry: RouteEntry<T>; readonly params: Map<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" };

export interface Router<T> {
  readonly entries: readonly RouteEntry<T>[];
  /** `rawPath` is the request target's path, still percent-encoded, without the query. */
  match(httpMethod: string, rawPath: string): RouteMatch<T>;
}

/** A second route with the same method and template: a contract error at start-up. */
export class DuplicateRouteError extends Error {
  constructor(httpMethod: string, template: string) {
    super(`two routes for ${httpMethod} ${template}`);
    this.name = "DuplicateRouteError";
  }
}

export function createRouter<T>(entries: readonly RouteEntry<T>[]): Router<T> {
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = `${entry.httpMethod} ${canonical(entry.template)}`;
    if (seen.has(key)) throw new DuplicateRouteError(entry.httpMethod, entry.template.source);
    seen.add(key);
  }
  const sorted = [...entries].sort((a, b) => compareTemplates(a.template, b.template));
  return {
    entries: sorted,
    match(httpMethod, rawPath) {
      const path = splitRequestPath(rawPath);
      if (!path) return { kind: "not-found" };
      const allowed = new Set<string>();
      for (const entry of sorted) {
        // Templates are tried for every method only until one of this method matches,
        // so the common case costs one pass.
        if (entry.httpMethod !== httpMethod && allowed.has(entry.httpMethod)) continue;
        const params = matchPathTemplate(entry.template, path);
        if (!params) continue;
        if (entry.httpMethod === httpMethod) return { kind: "found", entry, params };
        allowed.add(entry.httpMethod);
      }
      if (allowed.size === 0) return { kind: "not-found" };
      return { kind: "method-not-allowed", allowed: [...allowed].sort() };
    },
  };
}

/** Variable names do not make two templates different routes. */
function canonical(template: PathTemplate): string {
  const parts = template.segments.map((s) =>
    s.kind === "literal" ? s.value : s.kind === "single" ? "*" : "**",
  );
  return `/${parts.join("/")}${template.verb === undefined ? "" : `:${template.verb}`}`;
}
