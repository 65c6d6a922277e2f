/**
 * A YAML file parsed with its positions kept, so every finding can name
 * `file:line:column` of the value (or key) it is about.
 */
import { readFileSync } from "node:fs";
import { type Document, isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";

export interface YamlSource {
  /** Path relative to the repository root, as findings print it. */
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  /** The plain data (undefined when the YAML did not parse). */
  data: unknown;
}

export interface Position {
  file: string;
  line: number;
  column: number;
}

/** A problem in a policy file: what `govern validate` prints. */
export interface Finding extends Position {
  message: string;
}

/** Parses `text` (the contents of `file`), keeping positions and syntax errors. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  return { file, text, doc, lines, data: doc.errors.length > 0 ? undefined : doc.toJS() };
}

export function readYamlSource(root: string, file: string): YamlSource {
  return parseYamlSource(file, readFileSync(`${root}/${file}`, "utf8"));
}

/** YAML syntax errors as findings. */
export function syntaxFindings(source: YamlSource): Finding[] {
  return source.doc.errors.map((e) => ({
    file: source.file,
    line: e.linePos?.[0].line ?? 1,
    column: e.linePos?.[0].col ?? 1,
    message: e.message.split("\n")[0]!,
  }));
}

export type PathSegment = string | number;

/**
 * The position of the node at `path` (the deepest existing ancestor when the path does
 * not exist, e.g. a missing required key). With `key`, the position of the last
 * segment's key rather than its value: where an unknown key is written.
 */
export function positionOf(
  source: YamlSource,
  path: readonly PathSegment[],
  key = false,
): Position {
  let node: Node | null | undefined = source.doc.contents;
  let at = node?.range?.[0] ?? 0;
  for (const [i, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (key && i === path.length - 1) {
        at = keyNode.range?.[0] ?? at;
        break;
      }
      node = pair.value as Node | null;
      at = node?.range?.[0] ?? keyNode.range?.[0] ?? at;
    } else if (node && "items" in node && Array.isArray(node.items)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) break;
      node = item;
      at = item.range?.[0] ?? at;
    } else break;
  }
  const { line, col } = source.lines.linePos(at);
  return { file: source.file, line, column: col };
}

/** A finding at `path` in `source`. */
export function findingAt(
  source: YamlSource,
  path: readonly PathSegment[],
  message: string,
  key = false,
): Finding {
  return { ...positionOf(source, path, key), message };
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}: ${f.message}`;
}

/** Findings in file, line, column order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
}
