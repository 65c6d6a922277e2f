/**
 * Drift: the committed output under istio/, deploy/generated/ and .repo/generated/
 * must equal a fresh render byte for byte, and the policy schema file must equal the
 * schema govern validates with.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { policySchemaText } from "../policy/schema";
import type { Finding } from "../policy/yaml-source";
import type { RenderedFile } from "../render/output";
import { existingOutputs } from "../render/write-rendered";

export const SCHEMA_FILE = ".repo/policy.schema.json";

function firstDifference(a: string, b: string): number {
  const left = a.split("\n");
  const right = b.split("\n");
  for (let i = 0; i < Math.max(left.length, right.length); i++)
    if (left[i] !== right[i]) return i + 1;
  return 1;
}

function compare(root: string, file: RenderedFile, hint: string): Finding | undefined {
  const path = join(root, file.path);
  if (!existsSync(path))
    return { file: file.path, line: 1, column: 1, message: `missing: ${hint}` };
  const onDisk = readFileSync(path, "utf8");
  if (onDisk === file.content) return undefined;
  const line = firstDifference(onDisk, file.content);
  return {
    file: file.path,
    line,
    column: 1,
    message: `differs from a fresh render (edited by hand?): ${hint}`,
  };
}

export function driftFindings(root: string, rendered: RenderedFile[]): Finding[] {
  const hint = "run `npx govern render` and commit the result";
  const findings = rendered.flatMap((f) => compare(root, f, hint) ?? []);
  const wanted = new Set(rendered.map((f) => f.path));
  for (const extra of existingOutputs(root).filter((f) => !wanted.has(f)))
    findings.push({
      file: extra,
      line: 1,
      column: 1,
      message: `not rendered from any policy: ${hint}`,
    });
  const schema = compare(
    root,
    { path: SCHEMA_FILE, content: policySchemaText() },
    "run `npx govern schema`",
  );
  if (schema) findings.push(schema);
  return findings;
}
