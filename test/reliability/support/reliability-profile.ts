/**
 * How hard the reliability suite pushes: the short profile is what CI runs with every
 * `npm test` (each fault once, a few dozen orders each); `make chaos` sets
 * CHAOS_PROFILE=long for more orders, every fault several times and a longer fuzz.
 * Every number is a bound: load runs stop at whichever of count or time comes first.
 */
export interface ReliabilityProfile {
  readonly name: "short" | "long";
  /** Orders one load run attempts at most. */
  readonly ordersPerRun: number;
  /** Orders started per second by the load generator. */
  readonly ordersPerSecond: number;
  /** Longest a load run may take, whatever it has left. */
  readonly loadRunMs: number;
  /** Concurrent requests of the load generator. */
  readonly loadConcurrency: number;
  /** How many times each fault is injected (one load run each). */
  readonly repetitions: number;
  /** How long a service or store stays down in a "down for a while" fault. */
  readonly outageMs: number;
  /** Requests the mutation fuzzer sends. */
  readonly fuzzRequests: number;
  /** The fuzzer's seed, so a failure can be replayed. */
  readonly fuzzSeed: number;
}

const SHORT: ReliabilityProfile = {
  name: "short",
  ordersPerRun: 45,
  ordersPerSecond: 3,
  loadRunMs: 30_000,
  loadConcurrency: 4,
  repetitions: 1,
  outageMs: 3_000,
  fuzzRequests: 2_000,
  fuzzSeed: 1_337,
};

const LONG: ReliabilityProfile = {
  name: "long",
  ordersPerRun: 150,
  ordersPerSecond: 10,
  loadRunMs: 40_000,
  loadConcurrency: 8,
  repetitions: 3,
  outageMs: 8_000,
  fuzzRequests: 8_000,
  fuzzSeed: 1_337,
};

/** The profile CHAOS_PROFILE names (default short); CHAOS_SEED overrides the fuzz seed. */
export function reliabilityProfile(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReliabilityProfile {
  const base = env.CHAOS_PROFILE === "long" ? LONG : SHORT;
  const seed = Number(env.CHAOS_SEED);
  return Number.isSafeInteger(seed) && env.CHAOS_SEED ? { ...base, fuzzSeed: seed } : base;
}
