/**
 * Rendered files: YAML documents under a header comment, JSON, and plain text, all
 * serialized the same way every time (fixed key order from the builders, sorted lists,
 * no line folding), so a fresh render compares byte for byte with the committed one.
 */
import { stringify } from "yaml";
import { headerLines } from "./naming";

export interface RenderedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

export function yamlFile(path: string, sources: string[], docs: object[]): RenderedFile {
  const header = headerLines(sources)
    .map((l) => `# ${l}`)
    .join("\n");
  const body = docs
    .map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join("---\n");
  return { path, content: `${header}\n${body}` };
}

export function jsonFile(path: string, data: unknown): RenderedFile {
  return { path, content: `${JSON.stringify(data, null, 2)}\n` };
}

export function textFile(path: string, content: string): RenderedFile {
  return { path, content };
}
