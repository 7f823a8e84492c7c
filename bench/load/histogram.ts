/**
 * Latency histogram for the load harness: log-linear buckets over integer microseconds (exact below
 * 64 µs, then 32 buckets per power of two, so any reported percentile is within 1/32 ≈ 3 % of the
 * true sample), mergeable across processes and serialisable over IPC as a plain array.
 *
 * Why not keep every sample: a sink at 100k msgs/s over a 10 s step would ship a million numbers
 * to the parent each step; the buckets are 1,184 numbers whatever the rate.
 */

const LINEAR = 64;
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS; // 32 buckets per octave above LINEAR
const OCTAVES = 35; // 64 µs · 2^35 ≈ 25 days: no latency we can measure falls off the end
export const BUCKETS = LINEAR + OCTAVES * SUB;

const LINEAR_EXP = 6; // log2(LINEAR)
const TOP_EXP = LINEAR_EXP + OCTAVES - 1;

/** The bucket of a value in microseconds (negative clamps to 0: two processes' clocks may skew by a µs). */
export function bucketOf(us: number): number {
  const v = us <= 0 ? 0 : Math.floor(us);
  if (v < LINEAR) return v;
  let exp = Math.floor(Math.log2(v));
  // log2 of a float can land one off next to a power of two.
  if (2 ** exp > v) exp--;
  else if (2 ** (exp + 1) <= v) exp++;
  if (exp > TOP_EXP) return BUCKETS - 1;
  const mant = Math.floor(v / 2 ** (exp - SUB_BITS)); // in [SUB, 2·SUB)
  return LINEAR + (exp - LINEAR_EXP) * SUB + (mant - SUB);
}

/** Highest value (µs) that falls into bucket `i`. */
export function bucketUpper(i: number): number {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const exp = LINEAR_EXP + Math.floor(k / SUB);
  const mant = SUB + (k % SUB);
  return (mant + 1) * 2 ** (exp - SUB_BITS) - 1;
}

export interface HistogramJSON {
  /** Sparse: [bucket, count] pairs. */
  readonly buckets: Array<[number, number]>;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records one latency in microseconds. */
  record(us: number): void {
    const v = us < 0 ? 0 : us;
    this.counts[bucketOf(v)]! += 1;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: LatencyHistogram | HistogramJSON): void {
    const o = other instanceof LatencyHistogram ? other.toJSON() : other;
    for (const [i, c] of o.buckets) this.counts[i]! += c;
    this.count += o.count;
    this.sum += o.sum;
    if (o.count > 0) {
      this.min = Math.min(this.min, o.min);
      this.max = Math.max(this.max, o.max);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  /**
   * Nearest-rank percentile (p in 0..100), reported as the top of the bucket holding that rank and
   * never above the exact maximum; NaN when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketUpper(i), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  toJSON(): HistogramJSON {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, min: this.count === 0 ? 0 : this.min, max: this.max, sum: this.sum };
  }

  static fromJSON(j: HistogramJSON): LatencyHistogram {
    const h = new LatencyHistogram();
    h.merge(j);
    return h;
  }
}

/** Exact nearest-rank percentile of an ascending array (the reference the histogram is tested against). */
export function exactPercentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
