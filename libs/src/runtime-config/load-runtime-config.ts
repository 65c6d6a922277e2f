import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServiceName } from "../mesh";
import { findRepoRoot } from "./repo-root";
import { type RuntimeConfig, runtimeConfigSchema } from "./runtime-config-schema";

/** Thrown when a runtime config file cannot be read or does not parse; names file and path. */
export class RuntimeConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly { path: string; message: string }[],
  ) {
    super(
      `invalid runtime config ${file}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
    );
    this.name = "RuntimeConfigError";
  }
}

/**
 * The built-in config when governance rendered nothing: 5 s deadlines, no retries, no
 * faults, and no allowed callers, so every INTERNAL RPC is refused until a policy
 * names who may call it.
 */
export function defaultRuntimeConfig(service: ServiceName): RuntimeConfig {
  return deepFreeze({
    service,
    defaults: {
      timeoutMs: 5_000,
      retry: {
        maxAttempts: 1,
        initialBackoffMs: 100,
        maxBackoffMs: 1_000,
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    },
    upstreams: {},
    allowedCallers: {},
    faults: {},
    responseCache: {},
  });
}

/** Where governance writes the config of `service`. */
export function defaultRuntimeConfigPath(
  service: ServiceName,
  repoRoot: string = findRepoRoot(),
): string {
  return join(repoRoot, ".repo", "generated", `${service}.json`);
}

/**
 * Reads the runtime config of `service` once at start-up, frozen. Without `path` it
 * reads `<repoRoot>/.repo/generated/<service>.json`, and a missing file means the
 * defaults; an explicit `path` (e.g. from RUNTIME_CONFIG_PATH) must exist, since
 * pointing at nothing is a mistake rather than "no policy yet".
 */
export function loadRuntimeConfig(
  service: ServiceName,
  path?: string,
  repoRoot?: string,
): RuntimeConfig {
  const file = path ?? defaultRuntimeConfigPath(service, repoRoot);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (path === undefined && (error as NodeJS.ErrnoException).code === "ENOENT") {
      return defaultRuntimeConfig(service);
    }
    throw new RuntimeConfigError(file, [{ path: "$", message: (error as Error).message }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RuntimeConfigError(file, [{ path: "$", message: (error as Error).message }]);
  }
  const result = runtimeConfigSchema.safeParse(json);
  if (!result.success) {
    throw new RuntimeConfigError(
      file,
      result.error.issues.map((issue) => ({
        path: jsonPath([...issue.path, ...unrecognizedKey(issue)]),
        message: issue.message,
      })),
    );
  }
  if (result.data.service !== service) {
    throw new RuntimeConfigError(file, [
      { path: "$.service", message: `expected "${service}", got "${result.data.service}"` },
    ]);
  }
  return deepFreeze(result.data);
}

/** For an unknown key, point at the key itself rather than at the object holding it. */
function unrecognizedKey(issue: { code: string; keys?: readonly string[] }): string[] {
  return issue.code === "unrecognized_keys" && issue.keys?.length === 1 ? [issue.keys[0]!] : [];
}

/** `$.upstreams["product-service"].retry.maxAttempts` */
function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
