/**
 * A bounded, mergeable latency histogram in the spirit of HdrHistogram: values are kept
 * in microseconds, exactly below 256 µs and in log-linear buckets above (128 per power
 * of two, so any reported value is within 0.8 % of the true one). Load workers send
 * their histogram to the harness, which merges the rounds of an interleaved run before
 * computing percentiles: percentiles of rounds cannot be averaged, bucket counts can.
 */

const EXACT = 256;
const SUB_BUCKETS = 128;
const SUB_BITS = 7; // log2(SUB_BUCKETS)
const EXACT_BITS = 8; // log2(EXACT)

/** The wire and storage form: sparse [bucket index, count] pairs plus exact extremes. */
export interface HistogramSnapshot {
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  buckets: [number, number][];
}

export interface LatencyHistogram {
  /** Records one latency in milliseconds (fractions allowed). */
  recordMs(ms: number): void;
  /** Adds every sample of another histogram's snapshot. */
  merge(snapshot: HistogramSnapshot): void;
  readonly count: number;
  /** The value at quantile q (0..1) in milliseconds, by nearest rank; 0 when empty. */
  percentileMs(q: number): number;
  maxMs(): number;
  meanMs(): number;
  snapshot(): HistogramSnapshot;
}

function bucketOf(us: number): number {
  if (us < EXACT) return us;
  const exponent = Math.floor(Math.log2(us));
  const sub = Math.floor(us / 2 ** (exponent - SUB_BITS)) - SUB_BUCKETS;
  return EXACT + (exponent - EXACT_BITS) * SUB_BUCKETS + sub;
}

/** The middle of a bucket's range, the value reported for its samples. */
function bucketValue(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const exponent = EXACT_BITS + Math.floor((bucket - EXACT) / SUB_BUCKETS);
  const width = 2 ** (exponent - SUB_BITS);
  const lower = (SUB_BUCKETS + ((bucket - EXACT) % SUB_BUCKETS)) * width;
  return lower + (width - 1) / 2;
}

/** An empty histogram; pass a snapshot to start from it. */
export function createLatencyHistogram(from?: HistogramSnapshot): LatencyHistogram {
  const counts = new Map<number, number>();
  let count = 0;
  let sumUs = 0;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = 0;

  const histogram: LatencyHistogram = {
    recordMs(ms) {
      const us = Math.max(0, Math.round(ms * 1000));
      const bucket = bucketOf(us);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      count += 1;
      sumUs += us;
      if (us < minUs) minUs = us;
      if (us > maxUs) maxUs = us;
    },
    merge(snapshot) {
      if (snapshot.count === 0) return;
      for (const [bucket, n] of snapshot.buckets) counts.set(bucket, (counts.get(bucket) ?? 0) + n);
      count += snapshot.count;
      sumUs += snapshot.sumUs;
      minUs = Math.min(minUs, snapshot.minUs);
      maxUs = Math.max(maxUs, snapshot.maxUs);
    },
    get count() {
      return count;
    },
    percentileMs(q) {
      if (count === 0) return 0;
      const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * count));
      if (rank === count) return maxUs / 1000;
      let seen = 0;
      for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
        seen += counts.get(bucket)!;
        // Clamped: no percentile above the true maximum or below the true minimum.
        if (seen >= rank) return Math.min(maxUs, Math.max(minUs, bucketValue(bucket))) / 1000;
      }
      return maxUs / 1000;
    },
    maxMs: () => maxUs / 1000,
    meanMs: () => (count === 0 ? 0 : sumUs / count / 1000),
    snapshot: () => ({
      count,
      sumUs,
      minUs: count === 0 ? 0 : minUs,
      maxUs,
      buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]),
    }),
  };
  if (from) histogram.merge(from);
  return histogram;
}
