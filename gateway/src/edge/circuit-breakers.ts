/**
 * One circuit breaker per backend (opossum). It opens when the share of failed calls
 * in the rolling window passes the configured error rate (after a minimum volume);
 * while open, calls fail fast with UNAVAILABLE (503, Retry-After) without touching the
 * backend; after the reset timeout one probe call goes through (half-open) and its
 * outcome closes or reopens it. Only failures of the backend count: a NOT_FOUND or a
 * bad argument is an answer, and a deadline the client itself shortened says nothing
 * about the backend. The state of each breaker is a metric.
 */

import { Code, ServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { BreakerConfig } from "@shop/libs/runtime-config";
import CircuitBreaker from "opossum";
import { Counter, Gauge, type Registry } from "prom-client";
import { EdgeError } from "./edge-error";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSettings extends BreakerConfig {
  /** The rolling window the error rate is measured over. */
  readonly windowMs: number;
}

export interface CircuitBreakers {
  /**
   * Runs `call` through the backend's breaker. Rejects with EdgeError UNAVAILABLE
   * while it is open, or with what `call` rejected with.
   * @param clientDeadline the deadline was shortened by the client (Grpc-Timeout), so a
   *   DEADLINE_EXCEEDED does not count against the backend
   */
  run<T>(backend: string, call: () => Promise<T>, clientDeadline?: boolean): Promise<T>;
  state(backend: string): BreakerState;
  /** Every breaker's state, for /ready. */
  states(): Record<string, BreakerState>;
  /** Stops the breakers' timers. */
  shutdown(): void;
}

/** Codes that mean the backend is failing, not that the request was refused. */
const FAILURES = new Set<number>([
  Code.UNAVAILABLE,
  Code.DEADLINE_EXCEEDED,
  Code.INTERNAL,
  Code.UNKNOWN,
  Code.DATA_LOSS,
]);

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

type Call = () => Promise<unknown>;

export function createCircuitBreakers(options: {
  backends: readonly string[];
  settings: (backend: string) => BreakerSettings;
  logger: Logger;
  registry: Registry;
}): CircuitBreakers {
  const breakers = new Map<
    string,
    { breaker: CircuitBreaker<[Call, boolean]>; openedAt: number; resetTimeoutMs: number }
  >();
  const transitions = new Counter({
    name: "gateway_circuit_breaker_transitions_total",
    help: "Circuit breaker state changes, by backend and the state entered.",
    labelNames: ["backend", "state"],
    registers: [options.registry],
  });

  for (const backend of options.backends) {
    const settings = options.settings(backend);
    const breaker = new CircuitBreaker<[Call, boolean], unknown>((call) => call(), {
      // Deadlines bound every call already; opossum's own timer would be a second one.
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercent,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      // true: not a failure of the backend.
      errorFilter: (error: unknown, ...args: unknown[]) => {
        const code = error instanceof ServiceError ? error.code : Code.UNKNOWN;
        // fire(call, clientDeadline): opossum passes the same arguments on.
        if (code === Code.DEADLINE_EXCEEDED && args[1] === true) return true;
        return !FAILURES.has(code);
      },
    });
    const entry = { breaker, openedAt: 0, resetTimeoutMs: settings.resetTimeoutMs };
    const log = options.logger.child({ backend });
    breaker.on("open", () => {
      entry.openedAt = Date.now();
      transitions.inc({ backend, state: "open" });
      log.warn({ resetTimeoutMs: settings.resetTimeoutMs }, "circuit breaker opened");
    });
    breaker.on("halfOpen", () => {
      transitions.inc({ backend, state: "half_open" });
      log.info("circuit breaker half-open: probing");
    });
    breaker.on("close", () => {
      transitions.inc({ backend, state: "closed" });
      log.info("circuit breaker closed");
    });
    breakers.set(backend, entry);
  }

  const stateOf = (breaker: CircuitBreaker<[Call, boolean]>): BreakerState =>
    breaker.opened ? "open" : breaker.halfOpen ? "half_open" : "closed";

  new Gauge({
    name: "gateway_circuit_breaker_state",
    help: "Circuit breaker state by backend: 0 closed, 1 half-open, 2 open.",
    labelNames: ["backend"],
    registers: [options.registry],
    collect() {
      for (const [backend, { breaker }] of breakers) {
        this.set({ backend }, STATE_VALUE[stateOf(breaker)]);
      }
    },
  });

  return {
    async run(backend, call, clientDeadline = false) {
      const entry = breakers.get(backend);
      if (!entry) return call();
      try {
        return (await entry.breaker.fire(call, clientDeadline)) as Awaited<ReturnType<typeof call>>;
      } catch (error) {
        if (!CircuitBreaker.isOurError(error as Error)) throw error;
        const retryAfterMs = Math.max(1_000, entry.openedAt + entry.resetTimeoutMs - Date.now());
        throw new EdgeError(Code.UNAVAILABLE, `${backend} is unavailable (circuit open)`, {
          retryAfterMs,
          reason: "CIRCUIT_OPEN",
          headers: { "retry-after": String(Math.ceil(retryAfterMs / 1000)) },
        });
      }
    },
    state(backend) {
      const entry = breakers.get(backend);
      return entry ? stateOf(entry.breaker) : "closed";
    },
    states() {
      return Object.fromEntries(
        [...breakers].map(([backend, { breaker }]) => [backend, stateOf(breaker)]),
      );
    },
    shutdown() {
      for (const { breaker } of breakers.values()) breaker.shutdown();
    },
  };
}
