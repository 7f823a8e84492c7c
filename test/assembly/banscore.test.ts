// Ban-score math in WASM (btcd dynamic ban score with the increase quirk fixed): btcd
// §2.4 vectors, saturation, and random operation sequences against a plain TS reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadWasm } from '../../src/wasm/loader.js';

const U32_MAX = 0xffffffff;
const HALFLIFE_SEC = 60;
const LIFETIME_SEC = 1800;
const LAMBDA = Math.LN2 / HALFLIFE_SEC;
const T0 = 1_700_000_000;

/**
 * Reference model written from btcd connmgr/dynamicbanscore.go (and docs/banscore.md), kept only
 * here. Differences from btcd, all deliberate: sums saturate at 2^32 − 1, and increase() returns
 * the decayed score (btcd returns the undecayed transient when the increase has no transient part).
 */
class ReferenceScore {
  persistent = 0;
  transient = 0;
  lastSec = 0;

  static decay(dt: number): number {
    return Math.exp(-1.0 * dt * LAMBDA);
  }

  score(nowSec: number): number {
    return Math.min(U32_MAX, Math.trunc(this.unrounded(nowSec)));
  }

  /** persistent + decayed transient before truncation. */
  unrounded(nowSec: number): number {
    const now = Math.floor(nowSec);
    const dt = now - this.lastSec;
    if (!(this.transient >= 1) || dt < 0 || dt > LIFETIME_SEC) return this.persistent;
    return this.persistent + this.transient * ReferenceScore.decay(dt);
  }

  increase(persistent: number, transient: number, nowSec: number): number {
    const now = Math.floor(nowSec);
    this.persistent = Math.min(U32_MAX, this.persistent + persistent);
    if (transient > 0) {
      const dt = now - this.lastSec;
      if (dt > LIFETIME_SEC) this.transient = 0;
      else if (this.transient > 1 && dt > 0) this.transient *= ReferenceScore.decay(dt);
      this.transient += transient;
      this.lastSec = now;
    }
    return this.score(now);
  }
}

for (const debug of [false, true]) {
  describe(`ban score (${debug ? 'debug' : 'release'})`, () => {
    const w = loadWasm({ debug });
    const x = w.exports;
    let nextSlot = 0;
    const fresh = (): number => {
      const slot = nextSlot++;
      if (slot >= x.banCapacity() >>> 0) expect(x.banEnsure(slot + 1) >>> 0).toBeGreaterThan(slot);
      x.banReset(slot);
      return slot;
    };
    const inc = (slot: number, p: number, t: number, now: number): number => x.banIncrease(slot, p, t, now) >>> 0;
    const score = (slot: number, now: number): number => x.banScore(slot, now) >>> 0;

    describe('btcd dynamicbanscore_test.go vectors', () => {
      it('increase(100, 50, t0) = 150; score(t0+60) = 125; score(t0+7min) = 100', () => {
        const s = fresh();
        expect(inc(s, 100, 50, T0)).toBe(150);
        expect(score(s, T0 + 60)).toBe(125);
        expect(score(s, T0 + 7 * 60)).toBe(100);
      });
      it('increase(0, 2^32-1, t0) then score(t0+1800) = 3 and score(t0+1801) = 0', () => {
        const s = fresh();
        inc(s, 0, U32_MAX, T0);
        expect(score(s, T0 + 1800)).toBe(3);
        expect(score(s, T0 + 1801)).toBe(0);
      });
    });

    it('the btcd quirk is fixed: increase with transient 0 returns the decayed score', () => {
      const s = fresh();
      expect(inc(s, 0, 100, T0)).toBe(100);
      // btcd would return persistent + uint32(transient) = 100 here, without decay.
      expect(inc(s, 0, 0, T0 + 120)).toBe(25);
      expect(score(s, T0 + 120)).toBe(25);
      // and after the lifetime the stale transient no longer counts at all
      expect(inc(s, 1, 0, T0 + 1801)).toBe(1);
    });

    it('time is floored to whole seconds', () => {
      const s = fresh();
      inc(s, 0, 64, T0 + 0.9);
      expect(x.banLastSec(s)).toBe(T0);
      expect(score(s, T0 + 60.99)).toBe(32);
    });

    it('decay uses the table below 64 s and exp() beyond, continuously', () => {
      const s = fresh();
      inc(s, 0, 1_000_000, T0);
      const ref = new ReferenceScore();
      ref.increase(0, 1_000_000, T0);
      for (let dt = 0; dt <= 1801; dt++) expect(score(s, T0 + dt)).toBe(ref.score(T0 + dt));
    });

    it('a clock going backwards does not decay or count the transient in score()', () => {
      const s = fresh();
      inc(s, 5, 50, T0);
      expect(score(s, T0 - 10)).toBe(5);
    });

    it('persistent saturates at 2^32-1', () => {
      const s = fresh();
      inc(s, U32_MAX - 1, 0, T0);
      expect(inc(s, 5, 0, T0)).toBe(U32_MAX);
      expect(x.banPersistent(s) >>> 0).toBe(U32_MAX);
    });

    it('persistent + transient saturates at 2^32-1', () => {
      const s = fresh();
      inc(s, U32_MAX - 10, 0, T0);
      expect(inc(s, 0, 1000, T0)).toBe(U32_MAX);
      expect(inc(s, 0, Number.POSITIVE_INFINITY, T0)).toBe(U32_MAX);
    });

    it('NaN and negative transients are ignored', () => {
      const s = fresh();
      expect(inc(s, 1, Number.NaN, T0)).toBe(1);
      expect(inc(s, 1, -50, T0)).toBe(2);
      expect(x.banTransient(s)).toBe(0);
    });

    it('out-of-range slots are ignored and score 0', () => {
      const slot = x.banCapacity() >>> 0;
      expect(inc(slot, 10, 10, T0)).toBe(0);
      expect(score(slot, T0)).toBe(0);
    });

    it('banRestore / raw getters round-trip', () => {
      const s = fresh();
      x.banRestore(s, 7, 40.5, T0 + 0.5);
      expect([x.banPersistent(s) >>> 0, x.banTransient(s), x.banLastSec(s)]).toEqual([7, 40.5, T0]);
      expect(score(s, T0 + 60)).toBe(7 + 20);
    });

    it('banEnsure keeps existing slots when the table moves', () => {
      const s = fresh();
      inc(s, 3, 30, T0);
      const cap = x.banCapacity() >>> 0;
      expect(x.banEnsure(cap * 4) >>> 0).toBeGreaterThanOrEqual(cap * 4);
      expect(score(s, T0)).toBe(33);
      expect(score(cap * 4 - 1, T0)).toBe(0);
    });

    it('banApply applies descriptors in order and writes the score after each', () => {
      const a = fresh();
      const b = fresh();
      const ops: [number, number, number][] = [[a, 10, 0], [b, 0, 20], [a, 0, 5], [b, 1, 0], [a, 0, 0]];
      const desc = x.ensureScratch(ops.length * 20) >>> 0;
      const out = desc + ops.length * 16;
      const dv = w.mem.dv();
      ops.forEach(([slot, p, t], i) => {
        dv.setUint32(desc + 16 * i, slot, true);
        dv.setUint32(desc + 16 * i + 4, p, true);
        dv.setFloat64(desc + 16 * i + 8, t, true);
      });
      x.banApply(desc, ops.length, T0, out);
      expect(Array.from(w.mem.u32().subarray(out >>> 2, (out >>> 2) + ops.length))).toEqual([10, 20, 15, 21, 15]);
    });

    /**
     * WASM's exp() and V8's Math.exp() may differ in the last bit, so the transient is compared to
     * 1e-12 relative, and a score may differ by one only where the exact value is within 1e-9 of
     * an integer (where truncation amplifies that last bit).
     */
    const agrees = (got: number, ref: ReferenceScore, now: number): boolean => {
      const want = ref.score(now);
      if (got === want) return true;
      const raw = ref.unrounded(now);
      return Math.abs(raw - Math.round(raw)) < 1e-9 * Math.max(1, raw) && Math.abs(got - want) === 1;
    };

    it('matches the reference model on random operation sequences', () => {
      const op = fc.record({
        kind: fc.constantFrom('increase', 'score'),
        persistent: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 }), fc.constant(U32_MAX)),
        transient: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
        dt: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 2000 }), fc.double({ min: -5, max: 100, noNaN: true })),
      });
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
          const s = fresh();
          const ref = new ReferenceScore();
          let now = T0;
          for (const o of ops) {
            now += o.dt;
            if (o.kind === 'increase') {
              const got = inc(s, o.persistent, o.transient, now);
              ref.increase(o.persistent, o.transient, now);
              expect(agrees(got, ref, now), `increase → ${got}, reference ${ref.score(now)}`).toBe(true);
            } else {
              const got = score(s, now);
              expect(agrees(got, ref, now), `score → ${got}, reference ${ref.score(now)}`).toBe(true);
            }
          }
          const t = x.banTransient(s);
          expect(Math.abs(t - ref.transient)).toBeLessThanOrEqual(1e-12 * Math.max(1, ref.transient));
          expect(x.banPersistent(s) >>> 0).toBe(ref.persistent);
        }),
        { numRuns: 500, seed: 20261122 },
      );
    });
  });
}
