import { describe, expect, it } from 'vitest';
import { RateTicker, zeroRates, type RateVector } from '../../src/stats/rate-ticker.js';

describe('RateTicker', () => {
  it('measures rates between marks the ticker takes, over each window', () => {
    const totals: RateVector = zeroRates();
    const t = new RateTicker(() => ({ ...totals }));
    expect(t.rates(10_000)).toEqual(zeroRates());
    let now = 1_000_000;
    t.mark(now);
    expect(t.rates(10_000)).toEqual(zeroRates()); // one mark: no interval yet
    // 60 s at 100 msgs/s, 1000 B/s in; the last 10 s at 500 msgs/s.
    for (let s = 1; s <= 60; s++) {
      const perSec = s > 50 ? 500 : 100;
      totals.msgsIn += perSec;
      totals.bytesIn += 1000;
      totals.relayedBytes += s > 50 ? 2000 : 0;
      now += 1000;
      t.mark(now);
    }
    const short = t.rates(10_000);
    expect(short.msgsIn).toBe(500);
    expect(short.bytesIn).toBe(1000);
    expect(short.relayedBytes).toBe(2000);
    const long = t.rates(60_000);
    expect(long.msgsIn).toBeCloseTo((50 * 100 + 10 * 500) / 60, 9);
    expect(long.relayedBytes).toBeCloseTo((10 * 2000) / 60, 9);
    expect(long.msgsOut).toBe(0);
  });

  it('gives every reader the same numbers: reading never moves a mark', () => {
    const totals = zeroRates();
    const t = new RateTicker(() => ({ ...totals }));
    t.mark(0);
    totals.bytesOut = 5000;
    t.mark(1000);
    const first = t.rates(10_000);
    const second = t.rates(10_000);
    const third = t.rates(60_000);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(first.bytesOut).toBe(5000);
  });

  it('uses the whole history when it is shorter than the window, and keeps only the last capacity marks', () => {
    const totals = zeroRates();
    const t = new RateTicker(() => ({ ...totals }), 4);
    for (let s = 0; s <= 10; s++) {
      totals.msgsOut = s * s; // accelerating
      t.mark(s * 1000);
    }
    // Four marks held: at 7, 8, 9, 10 s.
    expect(t.rates(60_000).msgsOut).toBeCloseTo((100 - 49) / 3, 9);
    expect(t.history().msgsOut).toEqual([64 - 49, 81 - 64, 100 - 81]);
  });

  it('rejects a capacity that cannot hold an interval', () => {
    expect(() => new RateTicker(zeroRates, 1)).toThrow(RangeError);
  });
});
