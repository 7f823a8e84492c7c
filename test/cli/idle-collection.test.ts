/**
 * The service's collection when it goes quiet: the decision over samples, and the gc function
 * exposeGc hands out really collecting (a WeakRef's target is gone after it).
 */
import { describe, expect, it } from 'vitest';
import { BUSY_ELU, exposeGc, IdleCollector, IDLE_ELU, QUIET_SAMPLES, RELEASED_BYTES } from '../../src/cli/idle-collection.js';

const MB = 1024 * 1024;

describe('IdleCollector.sample', () => {
  /** QUIET_SAMPLES - 1 idle samples at `bytes`: none of them collects. */
  const almostQuiet = (c: IdleCollector, bytes: number): void => {
    for (let i = 1; i < QUIET_SAMPLES; i++) expect(c.sample(0.01, bytes)).toBe(false);
  };

  it('collects once the loop has been idle QUIET_SAMPLES samples in a row after a busy stretch, not while busy or half busy', () => {
    let runs = 0;
    const c = new IdleCollector(() => runs++, () => 0);
    for (let i = 0; i < 2 * QUIET_SAMPLES; i++) expect(c.sample(0.01, 10 * MB)).toBe(false); // idle from the start: nothing to free
    expect(c.sample(0.9, 40 * MB)).toBe(false); // busy
    expect(c.sample(BUSY_ELU, 60 * MB)).toBe(false); // still busy
    almostQuiet(c, 60 * MB);
    expect(c.sample(IDLE_ELU, 60 * MB)).toBe(false); // not busy, not idle either: the quiet run starts over
    almostQuiet(c, 60 * MB);
    expect(c.sample(0.01, 60 * MB)).toBe(true);
    for (let i = 0; i < 2 * QUIET_SAMPLES; i++) expect(c.sample(0.01, 60 * MB)).toBe(false); // once per quiet spell
    expect(runs).toBe(1);
    expect(c.collections).toBe(1);
  });

  it('a short pause between bursts of work never collects', () => {
    let runs = 0;
    const c = new IdleCollector(() => runs++, () => 0);
    for (let burst = 0; burst < 20; burst++) {
      expect(c.sample(0.95, 50 * MB)).toBe(false);
      almostQuiet(c, 50 * MB);
    }
    expect(runs).toBe(0);
  });

  it('collects while idle once the cache has given back RELEASED_BYTES since the last collection', () => {
    let runs = 0;
    const c = new IdleCollector(() => runs++, () => 0);
    almostQuiet(c, 80 * MB);
    expect(c.sample(0.01, 80 * MB - RELEASED_BYTES + 1)).toBe(false);
    expect(c.sample(0.01, 80 * MB - RELEASED_BYTES)).toBe(true);
    // The peak restarts at the collection: another 16 MiB is needed for the next.
    expect(c.sample(0.01, 80 * MB - RELEASED_BYTES - MB)).toBe(false);
    expect(c.sample(0.01, 80 * MB - 2 * RELEASED_BYTES)).toBe(true);
    // Draining while busy waits for a quiet spell.
    expect(c.sample(0.5, 0)).toBe(false);
    almostQuiet(c, 0);
    expect(c.sample(0.01, 0)).toBe(true);
    expect(runs).toBe(3);
  });
});

describe('exposeGc', () => {
  it('returns a function that runs a full collection in this process', async () => {
    const gc = exposeGc();
    expect(typeof gc).toBe('function');
    let target: object | undefined = { big: new Uint8Array(1 << 20) };
    const ref = new WeakRef(target);
    target = undefined;
    // A WeakRef keeps its target through the job that made it: collect in a later one.
    await new Promise((r) => setImmediate(r));
    gc!();
    await new Promise((r) => setImmediate(r));
    expect(ref.deref()).toBeUndefined();
  });
});
