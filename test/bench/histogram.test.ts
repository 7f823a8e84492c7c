import { describe, expect, it } from 'vitest';
import { BUCKETS, LatencyHistogram, bucketOf, bucketUpper, exactPercentile } from '../../bench/load/histogram.js';

function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('latency histogram', () => {
  it('maps every value into a bucket whose top is at least the value and within 1/32 of it', () => {
    for (const v of [0, 1, 63, 64, 65, 127, 128, 1000, 4095, 4096, 123_456, 2 ** 31 + 5, 1e12]) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(BUCKETS);
      expect(bucketUpper(b)).toBeGreaterThanOrEqual(Math.floor(v));
      if (v < 64) expect(bucketUpper(b)).toBe(v);
      else expect(bucketUpper(b)).toBeLessThanOrEqual(Math.floor(v) * (1 + 1 / 32));
      if (b > 0) expect(bucketUpper(b - 1)).toBeLessThan(Math.floor(v));
    }
  });

  it('buckets are contiguous: each starts one above the previous top', () => {
    for (let i = 1; i < 64 + 32 * 4; i++) expect(bucketOf(bucketUpper(i - 1) + 1)).toBe(i);
  });

  const cases = [
    { name: 'uniform 0–10 ms', gen: (r: () => number) => r() * 10_000 },
    { name: 'long tail', gen: (r: () => number) => 200 / (r() + 1e-4) },
    { name: 'all the same', gen: () => 1500 },
    { name: 'sub-64 µs exact', gen: (r: () => number) => Math.floor(r() * 64) },
  ];
  for (const c of cases) {
    it(`percentiles match exact nearest-rank within the bucket width: ${c.name}`, () => {
      const r = seeded(42);
      const xs = Array.from({ length: 20_000 }, () => c.gen(r));
      const h = new LatencyHistogram();
      for (const x of xs) h.record(x);
      const sorted = xs.map((x) => Math.floor(x)).sort((a, b) => a - b);
      for (const p of [1, 50, 90, 99, 99.9, 100]) {
        const exact = exactPercentile(sorted, p);
        const got = h.percentile(p);
        expect(got).toBeGreaterThanOrEqual(exact);
        expect(got).toBeLessThanOrEqual(Math.max(exact * (1 + 1 / 32), exact + 1));
      }
      expect(h.max).toBe(Math.max(...xs));
      expect(h.count).toBe(xs.length);
    });
  }

  it('merging serialised histograms equals recording everything in one', () => {
    const r = seeded(7);
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 0; i < 5000; i++) {
      const v = r() * 50_000;
      (i % 2 === 0 ? a : b).record(v);
      all.record(v);
    }
    const merged = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    merged.merge(JSON.parse(JSON.stringify(b.toJSON())));
    for (const p of [50, 90, 99]) expect(merged.percentile(p)).toBe(all.percentile(p));
    expect(merged.count).toBe(all.count);
    expect(merged.max).toBe(all.max);
    expect(merged.min).toBe(all.min);
  });

  it('is empty-safe and clamps negative skew to zero', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(50)).toBeNaN();
    expect(exactPercentile([], 50)).toBeNaN();
    h.record(-3);
    expect(h.percentile(50)).toBe(0);
    expect(h.toJSON().min).toBe(0);
  });
});
