import { describe, expect, it } from 'vitest';
import { cryptoRandom, randomU64, seededRandom } from '../../src/util/random.js';

describe('seededRandom', () => {
  it('replays the same stream for the same seed and differs for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xa = Array.from({ length: 8 }, () => a.u32());
    const xb = Array.from({ length: 8 }, () => b.u32());
    const xc = Array.from({ length: 8 }, () => c.u32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    expect(seededRandom('x').u32()).toBe(seededRandom('x').u32());
  });

  it('int(n) stays in range and hits every value', () => {
    const r = seededRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(7);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
    expect(r.int(1)).toBe(0);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(2 ** 32 + 1)).toThrow(RangeError);
    expect(() => r.int(1.5)).toThrow(RangeError);
  });

  it('int(n) is roughly uniform (chi-squared over 10 bins, fixed seed)', () => {
    const r = seededRandom(7);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) bins[r.int(10)]!++;
    const chi = bins.reduce((s, o) => s + (o - n / 10) ** 2 / (n / 10), 0);
    // 9 degrees of freedom: 27.9 is the 0.1 % critical value.
    expect(chi).toBeLessThan(27.9);
  });

  it('float() is in [0, 1) and bytes(n) has length n', () => {
    for (const r of [seededRandom(3), cryptoRandom]) {
      for (let i = 0; i < 1000; i++) {
        const f = r.float();
        expect(f).toBeGreaterThanOrEqual(0);
        expect(f).toBeLessThan(1);
      }
      expect(r.bytes(0).length).toBe(0);
      expect(r.bytes(33).length).toBe(33);
    }
  });
});

describe('randomU64', () => {
  it('joins two u32 draws into one 64-bit value, high word first, and uses all 64 bits', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const want = (BigInt(b.u32()) << 32n) | BigInt(b.u32());
    expect(randomU64(a)).toBe(want);
    let or = 0n;
    for (let i = 0; i < 64; i++) or |= randomU64();
    expect(or).toBe(0xffff_ffff_ffff_ffffn);
  });
});
