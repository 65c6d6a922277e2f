/**
 * Time and failure classification for one saga step. A step's call gets the step's
 * own timeout, or less when the run's deadline (CreateOrder's, minus a margin) comes
 * first. A call cut short by that deadline has an unknown outcome but says nothing
 * about the dependency: the run stops and a later run repeats the step, which is
 * idempotent. A call that used its full timeout means the dependency is too slow: the
 * order fails cleanly.
 */
import { Code, ServiceError } from "@shop/libs/errors";

/** Below this, a step is not started: it could not finish anyway. */
export const MIN_STEP_MS = 50;

export interface StepBudget {
  /** The call's timeout. */
  readonly timeoutMs: number;
  /** Whether the run's deadline, not the step's timeout, set it. */
  readonly capped: boolean;
}

/** The budget of a step with timeout `stepMs`, or undefined when the run is out of time. */
export function stepBudget(
  stepMs: number,
  deadline: number,
  now = Date.now(),
): StepBudget | undefined {
  const remaining = deadline - now;
  if (remaining < MIN_STEP_MS) return undefined;
  return { timeoutMs: Math.min(stepMs, remaining), capped: remaining < stepMs };
}

export type StepFailure =
  /** Not a verdict on the dependency: leave the saga for a later run. */
  | { kind: "interrupted" }
  /** The dependency said no (out of stock, not found, released). */
  | { kind: "refused"; code: Code; error: ServiceError }
  /** The dependency failed or was too slow. */
  | { kind: "technical"; error: unknown };

const REFUSALS = new Set<Code>([Code.FAILED_PRECONDITION, Code.NOT_FOUND, Code.INVALID_ARGUMENT]);
const TIMEOUTS = new Set<Code>([Code.DEADLINE_EXCEEDED, Code.CANCELLED]);

/** What a failed call of a step means for the saga. */
export function classifyStepFailure(
  error: unknown,
  budget: StepBudget,
  stopping: boolean,
): StepFailure {
  if (stopping) return { kind: "interrupted" };
  const name = errorName(error);
  const timedOut =
    (error instanceof ServiceError && TIMEOUTS.has(error.code)) ||
    name === "TimeoutError" ||
    name === "AbortError";
  if (timedOut) return budget.capped ? { kind: "interrupted" } : { kind: "technical", error };
  if (error instanceof ServiceError && REFUSALS.has(error.code)) {
    return { kind: "refused", code: error.code, error };
  }
  return { kind: "technical", error };
}

/**
 * An error's name, duck-typed: AbortSignal's DOMExceptions come from another realm
 * under jest, where `instanceof Error` fails.
 */
export function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" ? name : undefined;
}

/** A short description of an error for the saga log (never shown to customers). */
export function describeError(error: unknown): string {
  if (error instanceof ServiceError) return `${Code[error.code]}: ${error.message}`;
  const message = (error as { message?: unknown } | null | undefined)?.message;
  if (typeof message === "string") return `${errorName(error) ?? "Error"}: ${message}`;
  return String(error);
}
