/**
 * Schema validation (ajv, every error) turned into `file:line:column` findings at the
 * offending key or value.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { POLICY_SCHEMA } from "./schema";
import { type Finding, findingAt, type PathSegment, type YamlSource } from "./yaml-source";

/** Compiles the policy schema once per caller (no module-level state). */
export function createSchemaValidator(): (source: YamlSource) => Finding[] {
  const ajv = new Ajv({
    allErrors: true,
    // parentSchema and data on each error, for messages that name the allowed keys.
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    discriminator: true,
  });
  const validate: ValidateFunction = ajv.compile(POLICY_SCHEMA);
  return (source) => {
    if (validate(source.data)) return [];
    const seen = new Set<string>();
    const findings: Finding[] = [];
    for (const error of relevant(validate.errors ?? [])) {
      const finding = toFinding(source, error);
      const id = `${finding.line}:${finding.column}:${finding.message}`;
      if (!seen.has(id)) findings.push(finding);
      seen.add(id);
    }
    return findings;
  };
}

/**
 * A `oneOf` failure is reported by its branches too; keep only the oneOf error (with its
 * branches' allowed forms) when no branch got further than the type check.
 */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const oneOfPaths = new Set(
    errors.filter((e) => e.keyword === "oneOf").map((e) => `${e.instancePath}|${e.schemaPath}`),
  );
  return errors.filter((e) => {
    for (const key of oneOfPaths) {
      const [path, schemaPath] = key.split("|") as [string, string];
      const branch = schemaPath.replace(/\/oneOf$/, "/oneOf/");
      if (e.instancePath === path && e.schemaPath.startsWith(branch)) return false;
    }
    return true;
  });
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function toFinding(source: YamlSource, error: ErrorObject): Finding {
  const path = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const where = path.length > 0 ? `${path.join(".")}: ` : "";
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(
        (error.parentSchema as { properties?: object } | undefined)?.properties ?? {},
      );
      const hint = allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "";
      return findingAt(source, [...path, key], `${where}unknown key "${key}"${hint}`, true);
    }
    case "required":
      return findingAt(source, path, `${where}missing required key "${params.missingProperty}"`);
    case "enum":
      return findingAt(
        source,
        path,
        `${where}must be one of ${(params.allowedValues as unknown[]).join(", ")}`,
      );
    case "const":
      return findingAt(source, path, `${where}must be ${JSON.stringify(params.allowedValue)}`);
    case "pattern":
      if (error.schemaPath.includes("definitions/duration"))
        return findingAt(
          source,
          path,
          `${where}${JSON.stringify(error.data)} is not a duration (write e.g. 250ms, 2s, 1m)`,
        );
      return findingAt(
        source,
        path,
        `${where}${JSON.stringify(error.data)} must match ${params.pattern}`,
      );
    case "discriminator":
      return findingAt(
        source,
        [...path, "kind"],
        `${where}kind must be RepoManifest or ServicePolicy`,
      );
    case "oneOf":
      return findingAt(source, path, `${where}is none of the allowed forms`);
    default:
      return findingAt(source, path, `${where}${error.message ?? "is invalid"}`);
  }
}
