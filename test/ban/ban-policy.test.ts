import { describe, expect, it } from 'vitest';
import { decide, decideOffence, OFFENCES, scoreOffence, type OffenceId } from '../../src/ban/ban-policy.js';

describe('offence table', () => {
  it('getdata costs N·99/50000 in integer math (btcd)', () => {
    expect(scoreOffence('GETDATA', 505).transient).toBe(0);
    expect(scoreOffence('GETDATA', 506).transient).toBe(1);
    expect(scoreOffence('GETDATA', 50_000).transient).toBe(99);
    expect(scoreOffence('GETDATA', 50_000).persistent).toBe(0);
  });

  it('notfound: 20 persistent per block, 10 transient per tx (btcd)', () => {
    expect(scoreOffence('NOTFOUND_BLOCK', 3)).toMatchObject({ persistent: 60, transient: 0 });
    expect(scoreOffence('NOTFOUND_TX', 4)).toMatchObject({ persistent: 0, transient: 40 });
  });

  it('an empty message never scores and never disconnects (btcd#1886)', () => {
    for (const id of Object.keys(OFFENCES) as OffenceId[]) {
      expect(scoreOffence(id, 0)).toEqual({ persistent: 0, transient: 0, instantBan: false, disconnect: false });
    }
  });

  it('wrong magic is an instant ban; mempool without bloom only disconnects', () => {
    expect(scoreOffence('WRONG_MAGIC')).toMatchObject({ instantBan: true, disconnect: true });
    expect(decideOffence('WRONG_MAGIC', 0)).toBe('ban');
    expect(scoreOffence('MEMPOOL_NO_BLOOM')).toEqual({ persistent: 0, transient: 0, instantBan: false, disconnect: true });
    expect(scoreOffence('MEMPOOL')).toMatchObject({ persistent: 0, transient: 33, disconnect: false });
    expect(scoreOffence('FILTER_NO_BLOOM')).toMatchObject({ persistent: 100, disconnect: true });
  });

  it('every row explains itself and has non-negative points', () => {
    for (const [id, rule] of Object.entries(OFFENCES)) {
      expect(rule.why.length, id).toBeGreaterThan(10);
      expect(rule.persistent, id).toBeGreaterThanOrEqual(0);
      expect(rule.transient, id).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('decide', () => {
  it.each([
    [0, 'ok'],
    [50, 'ok'],
    [51, 'warn'],
    [100, 'warn'],
    [101, 'ban'],
  ] as const)('score %i at threshold 100 → %s (strict, as btcd)', (score, want) => {
    expect(decide(score)).toBe(want);
    expect(decide(score, 100)).toBe(want);
  });

  it('uses the integer half of odd thresholds', () => {
    expect(decide(3, 7)).toBe('ok');
    expect(decide(4, 7)).toBe('warn');
    expect(decide(8, 7)).toBe('ban');
  });
});
