/**
 * The address table as the node stores it: `toJSON()` is committed to the state log, and at start
 * AddressGossip rebuilds the manager with `fromJSON`. Every kind of bad table (wrong version,
 * wrong bucket layout, another key, inconsistent entries) is refused with a typed error, and the
 * node starts with an empty table and a warning instead of failing (Core#26599).
 */
import { describe, expect, it } from 'vitest';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { ManualClock } from '../../src/clock.js';
import { hasErrorCode } from '../../src/errors.js';
import { Logger } from '../../src/log.js';
import { AddressGossip } from '../../src/node/address-gossip.js';
import { resolveConfig } from '../../src/node/config.js';
import { seededRandom } from '../../src/util/random.js';
import { entries, T0 } from './helpers.js';

function populated(clock: ManualClock): AddrManager {
  const m = new AddrManager({ clock, random: seededRandom(11) });
  for (let g = 0; g < 40; g++) m.addAddresses(entries(g * 256, 20), `${120 + g}.1.1.1:8333`);
  for (let g = 0; g < 40; g += 3) m.good(entries(g * 256, 1)[0]!.addr);
  m.attempt(entries(256, 2)[1]!.addr);
  m.checkInvariants();
  return m;
}

/** The gossip a node restores from `table` (as read back from the state log), and what it logged. */
function restore(table: unknown, clock = new ManualClock(T0)): { gossip: AddressGossip; lines: string[] } {
  const lines: string[] = [];
  const gossip = new AddressGossip(resolveConfig({ logLevel: 'silent' }), clock, new Logger('warn', (l) => void lines.push(l)), table);
  return { gossip, lines };
}

describe('stored address table (Core test/functional/feature_addrman.py: a table with a bad version, checksum or inconsistent buckets is warned about and replaced by a fresh one)', () => {
  it('toJSON → state log text → restore gives an equal table', () => {
    const clock = new ManualClock(T0);
    const m = populated(clock);
    const { gossip, lines } = restore(JSON.parse(JSON.stringify(m.toJSON())), clock);
    gossip.addrs.checkInvariants();
    expect(gossip.addrs.toJSON()).toEqual(m.toJSON());
    expect(gossip.addrs.numTried()).toBeGreaterThan(0);
    expect(lines).toEqual([]);
  });

  it('no stored table starts an empty one without a warning', () => {
    const { gossip, lines } = restore(null);
    expect(gossip.addrs.size()).toBe(0);
    expect(lines).toEqual([]);
  });

  const good = (): Record<string, unknown> => populated(new ManualClock(T0)).toJSON() as unknown as Record<string, unknown>;
  const cases: [string, () => unknown][] = [
    ['wrong version', () => ({ ...good(), version: 99 })],
    ['not an object', () => [1, 2, 3]],
    ['bad key', () => ({ ...good(), key: 'zz' })],
    ['bucket count changed', () => ({ ...good(), newBuckets: (good().newBuckets as unknown[]).slice(0, 512) })],
    ['another key (tried entries mis-bucketed)', () => ({ ...good(), key: 'ab'.repeat(32) })],
    [
      'address in new and tried',
      () => {
        const g = good();
        const tried = (g.triedBuckets as string[][]).find((b) => b.length > 0)![0]!;
        (g.newBuckets as string[][])[0]!.push(tried);
        return g;
      },
    ],
    [
      'unreferenced address',
      () => {
        const g = good();
        (g.addresses as unknown[]).push({ addr: '99.1.1.1:8333', src: '1.1.1.1:8333', services: '1', timestampMs: 0, attempts: 0, lastAttemptMs: 0, lastSuccessMs: 0 });
        return g;
      },
    ],
  ];

  it.each(cases)('%s: warned about, fresh start that works', (_name, make) => {
    const { gossip, lines } = restore(make());
    expect(gossip.addrs.size()).toBe(0);
    gossip.addrs.checkInvariants();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('the stored address table is unreadable');
    gossip.addrs.addAddresses(entries(0, 3), '9.9.9.9:8333');
    expect(gossip.addrs.size()).toBe(3);
  });

  it('fromJSON reports the version with ERR_STORE_VERSION and damage with ERR_STORE_CORRUPT', () => {
    const g = good();
    let err: unknown;
    try {
      AddrManager.fromJSON({ ...g, version: 2 });
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_STORE_VERSION')).toBe(true);
    try {
      AddrManager.fromJSON({ ...g, addresses: 'x' });
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_STORE_CORRUPT')).toBe(true);
  });
});
