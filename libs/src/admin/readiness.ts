import { Gauge, type Registry } from "prom-client";
import { Code, ServiceError } from "../errors";

/** Where the process is in its life: only "ready" can pass /ready. */
export type ReadinessState = "starting" | "ready" | "draining";

/** The `status` of a readiness report, and of the /ready body. */
export type ReadinessStatus = "ready" | "starting" | "draining" | "not_ready";

/** Resolves true when the dependency answers; false or a rejection means down. */
export type ReadinessCheck = () => Promise<boolean>;

export interface CheckOptions {
  /**
   * True only for what the process cannot serve without (its own database): a critical
   * check that is down fails /ready. Redis and downstream services are not critical,
   * so fallbacks keep serving behind Kubernetes probes; they are only reported.
   */
  critical: boolean;
  /** Time the check may take before it counts as down; the default of the readiness. */
  timeoutMs?: number;
}

export interface ReadinessReport {
  readonly status: ReadinessStatus;
  /** True when /ready must answer 200. */
  readonly ready: boolean;
  /** Every check by name, in the order they were added. */
  readonly checks: Readonly<Record<string, "up" | "down">>;
}

export interface Readiness {
  readonly state: ReadinessState;
  /** starting -> ready. Ignored once draining: a draining process never becomes ready again. */
  markReady(): void;
  /** Any state -> draining, at the start of a graceful shutdown. */
  markDraining(): void;
  addCheck(name: string, check: ReadinessCheck, options: CheckOptions): void;
  /** Runs the checks (or reuses results younger than the cache time) and reports. */
  report(): Promise<ReadinessReport>;
}

export interface ReadinessOptions {
  /** Where `dependency_up{dependency}` is registered: the service's metrics registry. */
  registry?: Registry;
  /** How long a check result is reused: probes and scrapes never pile up on a dependency. */
  cacheMs?: number;
  /** Default time a check may take. */
  timeoutMs?: number;
}

interface CheckEntry {
  readonly check: ReadinessCheck;
  readonly critical: boolean;
  readonly timeoutMs: number;
  /** The last result, and when it was settled (ms since epoch). */
  up: boolean;
  checkedAt: number;
  /** The evaluation in progress, shared by everyone who asks meanwhile. */
  evaluating: Promise<boolean> | undefined;
  /** The check's own promise while it has not settled, even past its timeout. */
  running: Promise<unknown> | undefined;
}

/**
 * The readiness of one service instance: its life-cycle state plus dependency checks.
 * Each check result is cached for `cacheMs` and bounded by a timeout; a check that hangs
 * past its timeout is not called again until it settles, so a stuck dependency costs one
 * pending call, not one per probe.
 */
export function createReadiness(options: ReadinessOptions = {}): Readiness {
  const cacheMs = options.cacheMs ?? 1000;
  const defaultTimeoutMs = options.timeoutMs ?? 800;
  const checks = new Map<string, CheckEntry>();
  let state: ReadinessState = "starting";

  function evaluate(entry: CheckEntry): Promise<boolean> {
    if (entry.evaluating) return entry.evaluating;
    if (Date.now() - entry.checkedAt < cacheMs) return Promise.resolve(entry.up);
    entry.evaluating = run(entry).then((up) => {
      entry.up = up;
      entry.checkedAt = Date.now();
      entry.evaluating = undefined;
      return up;
    });
    return entry.evaluating;
  }

  async function run(entry: CheckEntry): Promise<boolean> {
    // Still waiting on the previous call: the dependency is not answering.
    if (entry.running) return false;
    let timer: NodeJS.Timeout | undefined;
    const call = Promise.resolve()
      .then(entry.check)
      .then((up) => up === true)
      .catch(() => false)
      .finally(() => {
        entry.running = undefined;
      });
    entry.running = call;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, entry.timeoutMs, false);
      timer.unref();
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function evaluateAll(): Promise<Map<string, { up: boolean; critical: boolean }>> {
    const entries = [...checks.entries()];
    const results = await Promise.all(entries.map(([, entry]) => evaluate(entry)));
    return new Map(
      entries.map(([name, entry], i) => [
        name,
        { up: results[i] === true, critical: entry.critical },
      ]),
    );
  }

  if (options.registry) {
    new Gauge({
      name: "dependency_up",
      help: "Whether a dependency answered its last readiness check (1) or not (0).",
      labelNames: ["dependency"],
      registers: [options.registry],
      // Evaluated at scrape time, through the same cache as /ready.
      async collect() {
        for (const [name, result] of await evaluateAll()) {
          this.set({ dependency: name }, result.up ? 1 : 0);
        }
      },
    });
  }

  return {
    get state() {
      return state;
    },
    markReady() {
      if (state === "starting") state = "ready";
    },
    markDraining() {
      state = "draining";
    },
    addCheck(name, check, checkOptions) {
      if (checks.has(name)) {
        throw new ServiceError(Code.ALREADY_EXISTS, `readiness check "${name}" is already added`);
      }
      checks.set(name, {
        check,
        critical: checkOptions.critical,
        timeoutMs: checkOptions.timeoutMs ?? defaultTimeoutMs,
        up: false,
        checkedAt: Number.NEGATIVE_INFINITY,
        evaluating: undefined,
        running: undefined,
      });
    },
    async report() {
      const results = await evaluateAll();
      const criticalDown = [...results.values()].some((r) => r.critical && !r.up);
      // Read after the checks: a shutdown that began meanwhile wins.
      const status: ReadinessStatus =
        state !== "ready" ? state : criticalDown ? "not_ready" : "ready";
      const reported: Record<string, "up" | "down"> = {};
      for (const [name, result] of results) reported[name] = result.up ? "up" : "down";
      return { status, ready: status === "ready", checks: reported };
    },
  };
}
