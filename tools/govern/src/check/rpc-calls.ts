/**
 * The RPCs a service really calls, read from its TypeScript: uses of the generated
 * ts-proto clients (`ProductServiceClient`). Two passes over the service's src/:
 *
 * 1. Names bound to a client anywhere in the service: `const products =
 *    createGrpcClient(ProductServiceClient, ...)`, `this.client = new
 *    ProductServiceClient(...)`, `{ products: createGrpcClient(ProductServiceClient) }`,
 *    or a typed parameter/property `products: ProductServiceClient` (also inside
 *    `Pick<>`/`Promisified<>`).
 * 2. Member accesses on those names whose member is an RPC method of that client
 *    (`products.reserveStock(`, `deps.products?.reserveStock`, `this.client.getProduct
 *    .bind(...)`), plus method names quoted in a file that mentions the client (`Pick<
 *    ProductServiceClient, "reserveStock">`, `call(client, "reserveStock", ...)`).
 *
 * Binding is project-wide because the client is usually built in main.ts and used in an
 * adapter or the saga. When a client is mentioned but never bound to a name, any
 * `.method` access in the mentioning files counts. Comments are ignored; tests
 * (`*.spec.ts`, `*.test.ts`, test/ folders) are not the service's calls.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { RpcFact } from "../contracts/rpc-facts";

export interface FoundCall {
  /** Relative to the repository root. */
  file: string;
  line: number;
  column: number;
  rpc: RpcFact;
}

/** Source files of a service's src/, relative to `root`, sorted. */
export function serviceSources(root: string, dir: string): string[] {
  const walk = (path: string): string[] =>
    existsSync(path)
      ? readdirSync(path, { withFileTypes: true }).flatMap((e) => {
          if (e.name === "node_modules" || e.name === "test" || e.name.startsWith(".")) return [];
          const child = join(path, e.name);
          if (e.isDirectory()) return walk(child);
          return /\.(ts|tsx|mts|cts)$/.test(e.name) && !/\.(spec|test)\.\w+$/.test(e.name)
            ? [child]
            : [];
        })
      : [];
  return walk(join(root, dir, "src"))
    .map((f) => relative(root, f).split(sep).join("/"))
    .sort();
}

/** `text` with comments blanked out (newlines kept, so positions hold). */
export function stripComments(text: string): string {
  let out = "";
  let i = 0;
  let quote: string | undefined;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (quote) {
      out += c;
      if (c === "\\") {
        out += next ?? "";
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i++;
    } else if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") {
        out += " ";
        i++;
      }
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      if (c === '"' || c === "'" || c === "`") quote = c;
      out += c;
      i++;
    }
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function bindingPatterns(client: string): RegExp[] {
  const c = escapeRegExp(client);
  return [
    // x = ...Client... ;   (const/let/var, this.x, obj.x; stops at the statement's end)
    new RegExp(`(\\w+)\\s*(?::[^=;]+)?=(?![=>])[^;]*?\\b${c}\\b`, "g"),
    // { x: createGrpcClient(Client ...) } or { x: new Client(...) }
    new RegExp(`(\\w+)\\s*:\\s*(?:new\\s+|[\\w.]+\\s*\\(\\s*)${c}\\b`, "g"),
    // x: Client, x?: Promisified<Client>, x: Pick<Client, "m">
    new RegExp(`(\\w+)\\s*[?!]?\\s*:\\s*(?:[\\w.]+\\s*<\\s*)*${c}\\b`, "g"),
  ];
}

const RESERVED = new Set([
  "const",
  "let",
  "var",
  "this",
  "new",
  "return",
  "export",
  "type",
  "readonly",
]);

function positionAt(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  return { line, column: index - before.lastIndexOf("\n") };
}

/** Every use of a generated client's RPC method in the service at `dir`. */
export function findRpcCalls(root: string, dir: string, facts: RpcFact[]): FoundCall[] {
  const files = serviceSources(root, dir).map((file) => ({
    file,
    text: stripComments(readFileSync(join(root, file), "utf8")),
  }));
  const clients = new Map<string, RpcFact[]>();
  for (const f of facts) clients.set(f.clientName, [...(clients.get(f.clientName) ?? []), f]);

  const calls: FoundCall[] = [];
  const seen = new Set<string>();
  const record = (file: string, text: string, index: number, rpc: RpcFact) => {
    const { line, column } = positionAt(text, index);
    const key = `${file}:${line}:${rpc.fullName}`;
    if (!seen.has(key)) calls.push({ file, line, column, rpc });
    seen.add(key);
  };

  for (const [client, rpcs] of clients) {
    // The client class, its service definition (`GrpcClient<typeof ProductServiceService>`)
    // and type aliases of either (`type ProductClient = GrpcClient<...>`) all name it.
    const tokens = [client, client.replace(/Client$/, "Service")];
    const alias = new RegExp(
      `\\btype\\s+(\\w+)\\s*(?:<[^>]*>)?\\s*=[^;]*\\b(?:${tokens.map(escapeRegExp).join("|")})\\b`,
      "g",
    );
    for (const { text } of files) for (const m of text.matchAll(alias)) tokens.push(m[1]!);
    const mention = new RegExp(`\\b(?:${tokens.map(escapeRegExp).join("|")})\\b`);
    const mentioning = files.filter((f) => mention.test(f.text));
    if (mentioning.length === 0) continue;
    const names = new Set<string>();
    for (const { text } of mentioning)
      for (const token of tokens)
        for (const pattern of bindingPatterns(token))
          for (const m of text.matchAll(pattern))
            if (!RESERVED.has(m[1]!) && !tokens.includes(m[1]!)) names.add(m[1]!);
    const methods = new Map(rpcs.map((r) => [r.clientMethod, r]));
    const methodAlternation = [...methods.keys()].map(escapeRegExp).join("|");
    const receiver =
      names.size > 0 ? `\\b(?:${[...names].map(escapeRegExp).join("|")})\\s*[?!]?` : "";
    const access = new RegExp(`${receiver}\\.\\s*(${methodAlternation})\\b`, "g");
    for (const { file, text } of names.size > 0 ? files : mentioning)
      for (const m of text.matchAll(access)) record(file, text, m.index!, methods.get(m[1]!)!);
    const quoted = new RegExp(`["'\`](${methodAlternation})["'\`]`, "g");
    for (const { file, text } of mentioning)
      for (const m of text.matchAll(quoted)) record(file, text, m.index!, methods.get(m[1]!)!);
  }
  return calls.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
