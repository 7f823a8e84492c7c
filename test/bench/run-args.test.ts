/** The load harness's command line: which sweeps and knee searches run. */
import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../bench/load/run.js';

describe('parseRunArgs', () => {
  it('runs both sweeps by default, or only the one --sweep names', () => {
    expect(parseRunArgs([]).sweepKinds).toEqual(['fan-in', 'fan-out']);
    expect(parseRunArgs(['--sweep', 'fan-out']).sweepKinds).toEqual(['fan-out']);
    expect(parseRunArgs(['--sweep', 'fan-in']).sweepKinds).toEqual(['fan-in']);
  });

  it('rejects a sweep it does not know', () => {
    expect(() => parseRunArgs(['--sweep', 'fan-sideways'])).toThrow(/--sweep/);
  });

  it("--modes '' leaves no knee search, so only the sweeps run", () => {
    const o = parseRunArgs(['--modes', '', '--no-baselines', '--sweep', 'fan-out', '--peers', '1000']);
    expect(o.modes).toEqual([]);
    expect(o.peerCounts).toEqual([1000]);
    expect(o.sweeps).toBe(true);
  });
});
