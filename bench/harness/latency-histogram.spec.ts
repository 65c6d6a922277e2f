import { createLatencyHistogram } from "./latency-histogram";

/** Nearest-rank percentile of exact samples. */
function exactPercentile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe("latency histogram", () => {
  // A fixed pseudo-random spread from 5 µs to ~2 s, so failures reproduce.
  const samples = Array.from({ length: 20_000 }, (_, i) => {
    const x = Math.sin(i * 12.9898) * 43758.5453;
    return 0.005 * 2 ** ((x - Math.floor(x)) * 18);
  });
  const sorted = [...samples].sort((a, b) => a - b);

  it("reports percentiles within 1 % of the exact ones, and the exact max", () => {
    const h = createLatencyHistogram();
    for (const s of samples) h.recordMs(s);
    expect(h.count).toBe(samples.length);
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = exactPercentile(sorted, q);
      // 1 µs of rounding on top of the bucket width.
      expect(Math.abs(h.percentileMs(q) - exact)).toBeLessThanOrEqual(exact * 0.01 + 0.001);
    }
    expect(h.maxMs()).toBeCloseTo(sorted.at(-1)!, 3);
    expect(h.percentileMs(1)).toBe(h.maxMs());
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(h.meanMs()).toBeCloseTo(mean, 2);
  });

  it("keeps values below 256 µs exact", () => {
    const h = createLatencyHistogram();
    for (const ms of [0.001, 0.002, 0.1, 0.255]) h.recordMs(ms);
    expect(h.percentileMs(0.25)).toBe(0.001);
    expect(h.percentileMs(0.5)).toBe(0.002);
    expect(h.percentileMs(0.75)).toBe(0.1);
    expect(h.percentileMs(1)).toBe(0.255);
  });

  it("merging snapshots equals recording everything in one histogram", () => {
    const whole = createLatencyHistogram();
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    samples.forEach((s, i) => {
      whole.recordMs(s);
      (i % 3 === 0 ? a : b).recordMs(s);
    });
    const merged = createLatencyHistogram(a.snapshot());
    merged.merge(b.snapshot());
    expect(merged.snapshot()).toEqual(whole.snapshot());
    // A snapshot survives JSON, as it does over the worker's IPC channel.
    const revived = createLatencyHistogram(JSON.parse(JSON.stringify(whole.snapshot())));
    expect(revived.percentileMs(0.99)).toBe(whole.percentileMs(0.99));
  });

  it("is all zeros when empty, and merging an empty snapshot changes nothing", () => {
    const h = createLatencyHistogram();
    h.merge(createLatencyHistogram().snapshot());
    expect([h.count, h.percentileMs(0.5), h.maxMs(), h.meanMs()]).toEqual([0, 0, 0, 0]);
    expect(h.snapshot()).toEqual({ count: 0, sumUs: 0, minUs: 0, maxUs: 0, buckets: [] });
  });
});
