import { z } from "zod";

export type Env = Readonly<Record<string, string | undefined>>;

/** Thrown when the environment does not parse; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

/**
 * Parses the variables named by `shape` from `env` once, and freezes the result.
 * An empty variable counts as unset. Any missing or malformed value throws a
 * ConfigError naming the variable; `main` prints it and exits non-zero.
 */
export function parseEnv<T extends z.ZodRawShape>(
  shape: T,
  env: Env,
): Readonly<z.output<z.ZodObject<T>>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "?"),
        message:
          issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message,
      })),
    );
  }
  return Object.freeze(result.data);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "250ms", "5s", "1.5m", "2h" as milliseconds, or undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Field builders for parseEnv: each parses one variable's string. */
export const env = {
  string: () => z.string(),
  port: () =>
    z
      .string()
      .regex(/^\d+$/, "expected a port number")
      .transform(Number)
      .pipe(z.number().int().min(0, "expected 0-65535").max(65535, "expected 0-65535")),
  int: (min: number, max: number) =>
    z
      .string()
      .regex(/^-?\d+$/, "expected an integer")
      .transform(Number)
      .pipe(z.number().int().min(min, `expected ${min}-${max}`).max(max, `expected ${min}-${max}`)),
  durationMs: () =>
    z.string().transform((text, ctx) => {
      const ms = parseDurationMs(text);
      if (ms === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `expected a duration like 250ms, 5s or 1m, got "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    }),
  url: (...protocols: string[]) =>
    z.string().refine(
      (text) => {
        try {
          const url = new URL(text);
          return protocols.length === 0 || protocols.includes(url.protocol.replace(/:$/, ""));
        } catch {
          return false;
        }
      },
      { message: `expected a URL${protocols.length ? ` (${protocols.join(", ")})` : ""}` },
    ),
  bool: () =>
    z
      .enum(["true", "false", "1", "0"], { message: "expected true or false" })
      .transform((v) => v === "true" || v === "1"),
  oneOf: <const V extends readonly [string, ...string[]]>(values: V) =>
    z.enum(values, { message: `expected one of ${values.join(", ")}` }),
};
