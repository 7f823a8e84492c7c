import { describe, expect, it } from 'vitest';
import { decide, decideOffence, ERROR_OFFENCES, OFFENCES, offenceForError, scoreOffence, type OffenceId } from '../../src/ban/ban-policy.js';

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
  });

  it('every row explains itself and has non-negative points', () => {
    for (const [id, rule] of Object.entries(OFFENCES)) {
      expect(rule.why.length, id).toBeGreaterThan(10);
      expect(rule.persistent, id).toBeGreaterThanOrEqual(0);
      expect(rule.transient, id).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('error codes to offences', () => {
  it('maps every peer-fault code to an offence that exists', () => {
    for (const [code, id] of Object.entries(ERROR_OFFENCES)) {
      expect(OFFENCES[id as OffenceId], code).toBeDefined();
      expect(offenceForError(code)).toBe(id);
    }
    expect(offenceForError('ERR_FRAME_BAD_CHECKSUM')).toBe('BAD_CHECKSUM');
    expect(offenceForError('ERR_PAYLOAD_TRUNCATED')).toBe('MALFORMED_PAYLOAD');
  });

  it('our own failures never score: pool, worker, WASM, internal, limits', () => {
    for (const code of ['ERR_POOL_CLOSED', 'ERR_POOL_WORKER_CRASHED', 'ERR_WASM', 'ERR_PEER_LIMIT', 'ERR_TIMEOUT', 'ERR_CONFIG', 'ERR_INTERNAL']) {
      expect(offenceForError(code), code).toBeNull();
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
