/**
 * /docs: the OpenAPI document as one readable HTML page, rendered on the server with no
 * scripts and nothing fetched from elsewhere (the gateway may run without Internet
 * access, and a page that loads code from a CDN is a supply-chain risk at the edge).
 * Operations are grouped by tag, with their parameters, bodies, responses and access;
 * every schema has an anchor that types link to.
 */
type Json = Record<string, unknown>;

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

export function renderDocsPage(document: Json): string {
  const info = (document.info ?? {}) as Json;
  const paths = (document.paths ?? {}) as Record<string, Json>;
  const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Record<
    string,
    Json
  >;

  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const tag = ((operation.tags as string[] | undefined) ?? ["Other"])[0]!;
      const list = byTag.get(tag) ?? [];
      list.push(renderOperation(method, path, operation));
      byTag.set(tag, list);
    }
  }
  const tags = [...byTag.keys()].sort();
  const toc = tags.map((t) => `<li><a href="#tag-${anchor(t)}">${escapeHtml(t)}</a></li>`).join("");
  const sections = tags
    .map(
      (t) =>
        `<section><h2 id="tag-${anchor(t)}">${escapeHtml(t)}</h2>${byTag.get(t)!.join("")}</section>`,
    )
    .join("");
  const schemaSections = Object.keys(schemas)
    .sort()
    .map((name) => renderSchema(name, schemas[name]!))
    .join("");

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(String(info.title ?? "API"))}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(String(info.title ?? "API"))} <small>${escapeHtml(String(info.version ?? ""))}</small></h1>
<p>${escapeHtml(String(info.description ?? ""))}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(String(document.openapi))}).
Errors are <a href="#schema-google.rpc.Status">google.rpc.Status</a>.</p>
<nav><h2>Contents</h2><ul>${toc}<li><a href="#schemas">Schemas</a></li></ul></nav>
${sections}
<section><h2 id="schemas">Schemas</h2>${schemaSections}</section>
</main></body></html>`;
}

function renderOperation(method: string, path: string, operation: Json): string {
  const secured = ((operation.security as unknown[] | undefined) ?? []).length > 0;
  const parameters = (operation.parameters as Json[] | undefined) ?? [];
  const rows = parameters
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td>` +
        `<td>${typeOf(p.schema as Json)}</td><td>${p.required ? "yes" : ""}</td>` +
        `<td>${escapeHtml(String(p.description ?? ""))}</td></tr>`,
    )
    .join("");
  const body = ((operation.requestBody as Json | undefined)?.content as Json | undefined)?.[
    "application/json"
  ] as Json | undefined;
  const responses = Object.entries((operation.responses ?? {}) as Record<string, Json>)
    .map(([status, response]) => {
      const schema = (
        (response.content as Json | undefined)?.["application/json"] as Json | undefined
      )?.schema as Json | undefined;
      return `<li><b>${escapeHtml(status)}</b> ${schema ? typeOf(schema) : ""} ${escapeHtml(String(response.description ?? ""))}</li>`;
    })
    .join("");
  return `<article id="op-${anchor(String(operation.operationId))}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>
${secured ? '<span class="lock">bearer token</span>' : '<span class="open">public</span>'}</h3>
<p>${escapeHtml(String(operation.summary ?? ""))}: ${escapeHtml(String(operation.description ?? ""))}</p>
${rows ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th></th></tr>${rows}</table>` : ""}
${body ? `<p>Request body: ${typeOf(body.schema as Json)}</p>` : ""}
<ul class="responses">${responses}</ul></article>`;
}

function renderSchema(name: string, schema: Json): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const rows = Object.entries(properties)
    .map(([field, s]) => `<tr><td><code>${escapeHtml(field)}</code></td><td>${typeOf(s)}</td></tr>`)
    .join("");
  const values = schema.enum
    ? `<p>One of ${(schema.enum as string[]).map((v) => `<code>${escapeHtml(v)}</code>`).join(", ")}.</p>`
    : "";
  return `<article id="schema-${escapeHtml(name)}"><h3><code>${escapeHtml(name)}</code></h3>${values}
${rows ? `<table><tr><th>field</th><th>type</th></tr>${rows}</table>` : ""}</article>`;
}

/** A schema as a short readable type, with links to named schemas. */
export function typeOf(schema: Json | undefined): string {
  if (!schema) return "any";
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.slice(schema.$ref.lastIndexOf("/") + 1);
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.type === "array") return `array of ${typeOf(schema.items as Json)}`;
  if (schema.type === "object" && typeof schema.additionalProperties === "object") {
    return `map of string to ${typeOf(schema.additionalProperties as Json)}`;
  }
  if (schema.type === "object" && schema.properties) {
    const fields = Object.entries(schema.properties as Record<string, Json>)
      .map(([name, s]) => `<code>${escapeHtml(name)}</code>: ${typeOf(s)}`)
      .join(", ");
    return `{ ${fields} }`;
  }
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any");
  return escapeHtml(schema.format ? `${type} (${String(schema.format)})` : type);
}

function anchor(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, "-");
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#fafbfc}
main{max-width:980px;margin:0 auto;padding:24px}
h1 small{color:#6a737d;font-weight:normal}
article{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:8px 16px;margin:12px 0}
h3{font-size:16px} code{font:13px ui-monospace,monospace}
table{border-collapse:collapse;width:100%;margin:8px 0} td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
.method{display:inline-block;min-width:56px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f80ed}.post{background:#27ae60}.put{background:#f2994a}.patch{background:#9b51e0}.delete{background:#eb5757}
.lock,.open{font-size:12px;border-radius:4px;padding:2px 6px;margin-left:8px}.lock{background:#fff3cd}.open{background:#e6ffed}
`;
