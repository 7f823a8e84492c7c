import { describe, expect, it } from 'vitest';
import { KNEE_P99_MS, bracket, describeCauses, kneeCauses, nextOffered } from '../../bench/load/knee.js';
import type { KneeSearch, Probe } from '../../bench/load/knee.js';

/** Runs the search against a fixed sample: `holds(offered)` says whether a step at that load held. */
function search(k: KneeSearch, holds: (offered: number) => boolean): Probe[] {
  const probes: Probe[] = [];
  for (let o = nextOffered(probes, k); o !== null; o = nextOffered(probes, k)) probes.push({ offered: o, ok: holds(o) });
  return probes;
}

const K: KneeSearch = { start: 4000, factor: 2, precision: 0.1, maxSteps: 20, ceiling: 512_000 };

describe('knee search', () => {
  it('climbs the ladder, then bisects until the knee is bracketed within 10 %', () => {
    const probes = search(K, (o) => o <= 37_000);
    expect(probes.slice(0, 5).map((p) => p.offered)).toEqual([4000, 8000, 16_000, 32_000, 64_000]);
    expect(probes.slice(0, 4).every((p) => p.ok)).toBe(true);
    const b = bracket(probes, K.precision);
    expect(b.resolved).toBe(true);
    expect(b.held).toBeLessThanOrEqual(37_000);
    expect(b.failed).toBeGreaterThan(37_000);
    expect(b.failed! / b.held!).toBeLessThanOrEqual(1.1);
    // Geometric bisection of a factor-2 bracket to 10 % takes three steps.
    expect(probes).toHaveLength(8);
    expect(probes[5]!.offered).toBeCloseTo(Math.sqrt(32_000 * 64_000), 6);
  });

  it('steps down when the very first step fails', () => {
    const probes = search(K, (o) => o < 1500);
    expect(probes.slice(0, 3).map((p) => p.offered)).toEqual([4000, 2000, 1000]);
    const b = bracket(probes, K.precision);
    expect(b.resolved).toBe(true);
    expect(b.held).toBeLessThan(1500);
    expect(b.failed).toBeGreaterThanOrEqual(1500);
  });

  it('stops at the ceiling with no knee, and when the step budget is spent', () => {
    const all = search(K, () => true);
    expect(all.at(-1)!.offered).toBe(512_000);
    expect(bracket(all, K.precision)).toEqual({ held: 512_000, failed: null, resolved: false });
    expect(search({ ...K, maxSteps: 3 }, (o) => o <= 37_000)).toHaveLength(3);
  });

  it('brackets a noisy sample by the highest step that held and the lowest failure above it', () => {
    // 16k failed once (noise), 32k held: the knee is above 32k, not at 16k.
    const probes: Probe[] = [
      { offered: 4000, ok: true },
      { offered: 16_000, ok: false },
      { offered: 32_000, ok: true },
      { offered: 64_000, ok: false },
    ];
    expect(bracket(probes, 0.1)).toEqual({ held: 32_000, failed: 64_000, resolved: false });
    expect(nextOffered(probes, K)).toBeCloseTo(45_254.8, 1);
  });

  it('names every cause of a failed step: disconnected, loss, shortfall, latency', () => {
    const ok = { expected: 10_000, delivered: 10_000, offeredMsgsPerSec: 10_000, msgsPerSec: 9_950, p99Ms: 3 };
    expect(kneeCauses(ok)).toEqual([]);
    expect(describeCauses(ok)).toBe('');
    expect(kneeCauses({ ...ok, delivered: 9_989 })).toEqual(['loss']); // 0.11 % ≥ 0.1 %
    expect(kneeCauses({ ...ok, delivered: 9_991 })).toEqual([]);
    expect(kneeCauses({ ...ok, msgsPerSec: 8_000 })).toEqual(['shortfall']);
    expect(kneeCauses({ ...ok, p99Ms: KNEE_P99_MS + 1 })).toEqual(['latency']);
    expect(kneeCauses({ ...ok, p99Ms: NaN })).toEqual(['latency']); // nothing arrived to time
    expect(kneeCauses({ ...ok, closed: 4 })).toEqual(['disconnected']);
    expect(describeCauses({ ...ok, closed: 1 })).toBe('disconnected: 1 generator connection closed');
    expect(describeCauses({ ...ok, delivered: 9_000, msgsPerSec: 5_000, p99Ms: 120 })).toBe(
      'loss 10.00 %; shortfall: delivered 50 % of offered; latency: p99 120.0 ms > 50 ms',
    );
  });
});
