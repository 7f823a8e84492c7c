import { describe, expect, it } from 'vitest';
import { BACKUP_BEHIND_CHANGES, NO_OUTBOUND_GRACE_MS, nodeWarnings, type WarningInputs } from '../../src/stats/node-warnings.js';

const calm: WarningInputs = {
  uptimeMs: 3_600_000,
  outbound: 4,
  wantsOutbound: true,
  backup: { url: 'socket://127.0.0.1:9000', status: 'ok', pending: 0 },
  disk: { dir: '/data', freeBytes: 50e9, totalBytes: 100e9 },
};

describe('nodeWarnings', () => {
  it('says nothing when all is well', () => {
    expect(nodeWarnings(calm)).toEqual([]);
  });

  it('warns about no outbound peers only past the start-up grace and only when outbound is wanted', () => {
    expect(nodeWarnings({ ...calm, outbound: 0 })).toEqual(['no outbound peers: the node hears only from peers that dial it']);
    expect(nodeWarnings({ ...calm, outbound: 0, uptimeMs: NO_OUTBOUND_GRACE_MS - 1 })).toEqual([]);
    expect(nodeWarnings({ ...calm, outbound: 0, wantsOutbound: false })).toEqual([]);
  });

  it('warns about a backup that is down or behind', () => {
    expect(nodeWarnings({ ...calm, backup: { url: 'file:///b', status: 'down', pending: 3 } })).toEqual([
      'backup file:///b is down; 3 changes not yet backed up',
    ]);
    expect(nodeWarnings({ ...calm, backup: { url: 'file:///b', status: 'ok', pending: BACKUP_BEHIND_CHANGES } })).toEqual([
      `backup file:///b is ${BACKUP_BEHIND_CHANGES} changes behind`,
    ]);
    expect(nodeWarnings({ ...calm, backup: { url: 'file:///b', status: 'ok', pending: BACKUP_BEHIND_CHANGES - 1 } })).toEqual([]);
  });

  it('warns when the data disk is nearly full, by share or by bytes', () => {
    expect(nodeWarnings({ ...calm, disk: { dir: '/data', freeBytes: 4e9, totalBytes: 100e9 } })).toEqual([
      'disk nearly full: 4.0% (3814 MiB) free under /data',
    ]);
    const small = { dir: '/data', freeBytes: 200 * 1024 * 1024, totalBytes: 1024 * 1024 * 1024 };
    expect(nodeWarnings({ ...calm, disk: small })).toHaveLength(1);
    expect(nodeWarnings({ ...calm, disk: null })).toEqual([]);
  });
});
