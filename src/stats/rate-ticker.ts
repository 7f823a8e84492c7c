/**
 * Rates from marks a ticker moves. The node's 1 s ticker calls `mark()` with its clock; a mark is a
 * copy of the node's running totals. A rate is the difference between the newest mark and the one a
 * window before it, so reading never changes anything and any number of readers (the status page,
 * the CLI, a scraper) see the same numbers. The last `capacity - 1` intervals also give the
 * per-second history the status page draws as sparklines.
 */

export const RATE_SERIES = ['msgsIn', 'msgsOut', 'bytesIn', 'bytesOut', 'relayedMsgs', 'relayedBytes'] as const;
export type RateSeries = (typeof RATE_SERIES)[number];
/** Running totals (for `sample`) or per-second rates (from `rates()`), by series. */
export type RateVector = Record<RateSeries, number>;

const S = RATE_SERIES.length;
/** 60 one-second intervals of history plus the mark they start from. */
export const DEFAULT_MARKS = 61;

export function zeroRates(): RateVector {
  return { msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0, relayedMsgs: 0, relayedBytes: 0 };
}

export class RateTicker {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  /** Marks taken so far (the ring holds the last `capacity`). */
  private taken = 0;

  constructor(
    /** Reads the running totals; counters only ever grow. */
    private readonly sample: () => RateVector,
    readonly capacity = DEFAULT_MARKS,
  ) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError('RateTicker capacity must be an integer >= 2');
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity * S);
  }

  /** Records the totals at `now`; called by the ticker, never by a reader. */
  mark(now: number): void {
    const v = this.sample();
    const slot = this.taken % this.capacity;
    this.times[slot] = now;
    for (let s = 0; s < S; s++) this.values[slot * S + s] = v[RATE_SERIES[s]!];
    this.taken++;
  }

  /**
   * Per-second rates from the newest mark back to the newest mark at least `windowMs` older, or to
   * the oldest mark held when the history is shorter. All zero before the second mark.
   */
  rates(windowMs: number): RateVector {
    const out = zeroRates();
    const held = Math.min(this.taken, this.capacity);
    if (held < 2) return out;
    const newest = (this.taken - 1) % this.capacity;
    const tNew = this.times[newest]!;
    let from = -1;
    for (let back = 1; back < held; back++) {
      from = (this.taken - 1 - back) % this.capacity;
      if (tNew - this.times[from]! >= windowMs) break;
    }
    const dt = (tNew - this.times[from]!) / 1000;
    if (!(dt > 0)) return out;
    for (let s = 0; s < S; s++) out[RATE_SERIES[s]!] = (this.values[newest * S + s]! - this.values[from * S + s]!) / dt;
    return out;
  }

  /** Per-second rate of each interval between consecutive marks, oldest first. */
  history(): Record<RateSeries, number[]> {
    const out = Object.fromEntries(RATE_SERIES.map((k) => [k, [] as number[]])) as Record<RateSeries, number[]>;
    const held = Math.min(this.taken, this.capacity);
    for (let i = held - 1; i >= 1; i--) {
      const a = (this.taken - 1 - i) % this.capacity;
      const b = (this.taken - i) % this.capacity;
      const dt = (this.times[b]! - this.times[a]!) / 1000;
      for (let s = 0; s < S; s++) {
        out[RATE_SERIES[s]!].push(dt > 0 ? (this.values[b * S + s]! - this.values[a * S + s]!) / dt : 0);
      }
    }
    return out;
  }
}
