/** ReceiveMeter on the manual clock: within the burst nothing waits; past it, the wait pays the debt. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ReceiveMeter } from '../../src/peer/receive-meter.js';

describe('ReceiveMeter', () => {
  it('lets the burst through, then asks to stop reading for exactly the time the rate needs', () => {
    const clock = new ManualClock();
    const m = new ReceiveMeter(clock, 1000, 5000); // 1000 B/s, burst 5000
    expect(m.charge(5000)).toBe(0);
    expect(m.charge(500)).toBe(500); // 500 B over: half a second
    clock.advance(500);
    expect(m.charge(0)).toBe(0); // the debt was paid by the refill
    expect(m.charge(100)).toBe(100);
  });

  it('rate 0 means unlimited', () => {
    const m = new ReceiveMeter(new ManualClock(), 0, 1);
    expect(m.charge(1e9)).toBe(0);
  });
});
