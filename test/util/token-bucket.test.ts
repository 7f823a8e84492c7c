import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { TokenBucket } from '../../src/util/token-bucket.js';

describe('TokenBucket', () => {
  it('refills at the rate up to the burst', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ clock, ratePerSec: 2, burst: 5, initial: 0 });
    expect(b.tryTake()).toBe(false);
    clock.advance(1000);
    expect(b.available()).toBeCloseTo(2);
    expect(b.takeUpTo(10)).toBe(2);
    clock.advance(60_000);
    expect(b.available()).toBe(5);
  });

  it('a grant may exceed the burst and refilling does not cut it back', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ clock, ratePerSec: 0.1, burst: 1000, initial: 1000 });
    b.grant(1000);
    clock.advance(3_600_000);
    expect(b.available()).toBe(2000);
    expect(b.takeUpTo(1500)).toBe(1500);
    expect(b.available()).toBe(500);
  });

  it('a clock stepping backwards earns nothing', () => {
    const clock = new ManualClock(10_000_000);
    const b = new TokenBucket({ clock, ratePerSec: 1, burst: 100, initial: 0 });
    clock.set(5_000_000);
    expect(b.available()).toBe(0);
    clock.set(10_000_000);
    expect(b.available()).toBe(0);
    clock.set(10_001_000);
    expect(b.available()).toBeCloseTo(1);
  });

  it('rejects bad options', () => {
    const clock = new ManualClock();
    expect(() => new TokenBucket({ clock, ratePerSec: -1, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ clock, ratePerSec: 1, burst: NaN })).toThrow(RangeError);
  });
});
