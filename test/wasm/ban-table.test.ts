// BanTable: keys to WASM slots, the btcd vectors through the class, batches and persistence.
import { describe, expect, it } from 'vitest';
import { BanTable } from '../../src/wasm/ban-table.js';
import { loadWasm } from '../../src/wasm/loader.js';

const T0 = 1_700_000_000;

describe('BanTable', () => {
  it('btcd vectors per key', () => {
    const t = new BanTable<string>(loadWasm());
    expect(t.increase('a', 100, 50, T0)).toBe(150);
    expect(t.score('a', T0 + 60)).toBe(125);
    expect(t.score('a', T0 + 420)).toBe(100);
    t.increase('b', 0, 0xffffffff, T0);
    expect(t.score('b', T0 + 1800)).toBe(3);
    expect(t.score('b', T0 + 1801)).toBe(0);
  });

  it('an unknown key scores 0 without taking a slot', () => {
    const t = new BanTable<string>(loadWasm());
    expect(t.score('nobody', T0)).toBe(0);
    expect(t.size).toBe(0);
  });

  it('release frees and zeroes the slot for reuse', () => {
    const t = new BanTable<string>(loadWasm());
    const s = t.slotFor('a');
    t.increase('a', 10, 10, T0);
    expect(t.release('a')).toBe(true);
    expect(t.release('a')).toBe(false);
    expect(t.slotFor('b')).toBe(s);
    expect(t.score('b', T0)).toBe(0);
  });

  it('grows past the initial WASM capacity and keeps earlier scores', () => {
    const w = loadWasm();
    const t = new BanTable<number>(w);
    const n = (w.exports.banCapacity() >>> 0) * 3 + 5;
    for (let i = 0; i < n; i++) t.increase(i, i, 0, T0);
    expect(t.size).toBe(n);
    for (let i = 0; i < n; i += 101) expect(t.score(i, T0)).toBe(i);
  });

  it('applyBatch applies in order and equals one-by-one increases', () => {
    const a = new BanTable<string>(loadWasm());
    const b = new BanTable<string>(loadWasm());
    const ops = [
      { key: 'x', persistent: 1, transient: 10 },
      { key: 'y', persistent: 0, transient: 33 },
      { key: 'x', persistent: 0, transient: 0 },
      { key: 'z', persistent: 100, transient: 0.5 },
      { key: 'x', persistent: 2, transient: 7 },
    ];
    const got = a.applyBatch(ops, T0);
    expect(Array.from(got)).toEqual(ops.map((o) => b.increase(o.key, o.persistent, o.transient, T0)));
    expect(Array.from(got)).toEqual([11, 33, 11, 100, 20]);
    expect(a.applyBatch([], T0).length).toBe(0);
  });

  it('exportState / restore round-trip into another table', () => {
    const a = new BanTable<string>(loadWasm());
    a.increase('p', 7, 40, T0);
    const state = a.exportState('p')!;
    expect(state).toEqual({ persistent: 7, transient: 40, lastSec: T0 });
    const b = new BanTable<string>(loadWasm());
    b.restore('p', state);
    expect(b.score('p', T0 + 60)).toBe(a.score('p', T0 + 60));
    expect(a.exportState('missing')).toBeUndefined();
  });

  it('rejects invalid arguments', () => {
    const t = new BanTable<string>(loadWasm());
    expect(() => t.increase('a', -1, 0, T0)).toThrow(RangeError);
    expect(() => t.increase('a', 1.5, 0, T0)).toThrow(RangeError);
    expect(() => t.restore('a', { persistent: 0, transient: Number.NaN, lastSec: T0 })).toThrow(RangeError);
  });
});
