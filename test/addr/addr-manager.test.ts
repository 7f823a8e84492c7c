import { describe, expect, it } from 'vitest';
import { AddrManager, GETADDR_MAX, MAX_SELECT_ROUNDS } from '../../src/addr/addr-manager.js';
import { NEW_BUCKET_SIZE, TRIED_BUCKET_SIZE } from '../../src/addr/buckets.js';
import { ManualClock } from '../../src/clock.js';
import { seededRandom } from '../../src/util/random.js';
import { addrN, entries, narrowHash, T0, T0_SEC } from './helpers.js';

const SRC = '9.9.9.9:8333';

function manager(opts: { hash?: ReturnType<typeof narrowHash>; allowLocal?: boolean; seed?: number } = {}) {
  const clock = new ManualClock(T0);
  const m = new AddrManager({ clock, random: seededRandom(opts.seed ?? 1), hash: opts.hash, allowLocal: opts.allowLocal });
  return { clock, m };
}

describe('intake', () => {
  it('adds routable addresses and ignores the rest', () => {
    const { m } = manager();
    const r = m.addAddresses(
      [
        { addr: '1.2.3.4:8333', timestamp: T0_SEC },
        { addr: '[2a01:4f8::1]:8333', timestamp: T0_SEC },
        { addr: '127.0.0.1:8333', timestamp: T0_SEC },
        { addr: '10.0.0.1:8333', timestamp: T0_SEC },
        { addr: '1.2.3.5:0', timestamp: T0_SEC },
        { addr: 'garbage', timestamp: T0_SEC },
        { addr: '1.2.3.6:8333', timestamp: NaN },
      ],
      SRC,
    );
    m.checkInvariants();
    expect(r).toMatchObject({ offered: 7, rateLimited: 0, processed: 7, added: 2, ignored: 5 });
    expect(r.accepted).toEqual([
      { addr: '1.2.3.4:8333', timestamp: T0_SEC, services: 0n },
      { addr: '[2a01:4f8::1]:8333', timestamp: T0_SEC, services: 0n },
    ]);
    expect(m.size()).toBe(2);
    expect(m.numNew()).toBe(2);
    expect(m.has('[2a01:4f8:0::1]:8333')).toBe(true);
  });

  it('allowLocal admits loopback for local test networks', () => {
    const { m } = manager({ allowLocal: true });
    m.addAddresses([{ addr: '127.0.0.1:18444', timestamp: T0_SEC }, { addr: '0.0.0.0:1', timestamp: T0_SEC }], '127.0.0.1:5000');
    m.checkInvariants();
    expect(m.has('127.0.0.1:18444')).toBe(true);
    expect(m.size()).toBe(1);
    expect(m.groupOf('127.0.0.1:18444')).toBe('127.0.0.0');
  });

  it('rewrites timestamps more than 10 min ahead to now − 5 days', () => {
    const { m } = manager();
    m.addAddresses([{ addr: '1.2.3.4:8333', timestamp: T0_SEC + 11 * 60 }, { addr: '1.2.3.5:8333', timestamp: T0_SEC + 9 * 60 }], SRC);
    expect(m.get('1.2.3.4:8333')!.timestampMs).toBe(T0 - 5 * 24 * 3_600_000);
    expect(m.get('1.2.3.5:8333')!.timestampMs).toBe((T0_SEC + 9 * 60) * 1000);
  });

  it('a re-announcement keeps the newer timestamp and ORs the services', () => {
    const { m } = manager();
    m.addAddresses([{ addr: '1.2.3.4:8333', timestamp: T0_SEC - 100, services: 1n }], SRC);
    m.addAddresses([{ addr: '1.2.3.4:8333', timestamp: T0_SEC - 200, services: 8n }], '8.8.8.8:8333');
    const info = m.get('1.2.3.4:8333')!;
    expect(info.services).toBe(9n);
    expect(info.timestampMs).toBe((T0_SEC - 100) * 1000);
    expect(info.src).toBe(SRC);
    m.checkInvariants();
  });

  it('an address is referenced by at most 8 new buckets', () => {
    const { m } = manager();
    for (let s = 0; s < 2000; s++) m.addAddresses([{ addr: '1.2.3.4:8333', timestamp: T0_SEC }], `${30 + (s % 100)}.${s >> 2}.0.1:8333`);
    m.checkInvariants();
    expect(m.get('1.2.3.4:8333')!.refs).toBeGreaterThan(1);
    expect(m.get('1.2.3.4:8333')!.refs).toBeLessThanOrEqual(8);
  });

  it('a full new bucket holds 64, never 65 (btcd allows 65), evicting the oldest', () => {
    const { m } = manager({ hash: narrowHash(0) });
    for (let i = 0; i < 100; i++) {
      m.addAddresses([{ addr: addrN(i), timestamp: T0_SEC - 1000 + i }], SRC);
      m.checkInvariants();
    }
    expect(m.size()).toBe(NEW_BUCKET_SIZE);
    // The oldest went first: the survivors are the 64 newest.
    expect(m.has(addrN(35))).toBe(false);
    expect(m.has(addrN(36))).toBe(true);
    expect(m.has(addrN(99))).toBe(true);
  });

  it('expiry drops bad entries before the oldest', () => {
    const { m } = manager({ hash: narrowHash(0) });
    m.addAddresses(entries(0, 64), SRC);
    // addrN(10) is bad: 31 days old.
    m.addAddresses([{ addr: addrN(10), timestamp: T0_SEC - 31 * 86400 }], SRC);
    expect(m.get(addrN(10))!.timestampMs).toBe((T0_SEC - 3600) * 1000);
    const { m: m2 } = manager({ hash: narrowHash(0) });
    m2.addAddresses([{ addr: addrN(10), timestamp: T0_SEC - 31 * 86400 }], SRC);
    m2.addAddresses(entries(100, 63), SRC);
    m2.addAddresses(entries(200, 1), SRC);
    m2.checkInvariants();
    expect(m2.has(addrN(10))).toBe(false);
  });

  it('a sybil source fills at most its 64-bucket quota of the new table', () => {
    const { m } = manager();
    for (let k = 0; k < 20; k++) m.addAddresses(entries(k * 1000, 1000), '6.6.6.6:8333');
    m.checkInvariants();
    expect(m.numNew()).toBeLessThanOrEqual(64 * NEW_BUCKET_SIZE);
  });
});

describe('good / attempt / connected', () => {
  it('good() moves an address to tried and resets its failures', () => {
    const { clock, m } = manager();
    m.addAddresses(entries(0, 3), SRC);
    m.attempt(addrN(1));
    m.attempt(addrN(1));
    expect(m.get(addrN(1))!.attempts).toBe(2);
    clock.advance(1000);
    m.good(addrN(1));
    m.checkInvariants();
    const info = m.get(addrN(1))!;
    expect(info).toMatchObject({ tried: true, refs: 0, attempts: 0, lastSuccessMs: T0 + 1000, lastAttemptMs: T0 + 1000 });
    expect(info.timestampMs).toBe((T0_SEC - 3600) * 1000);
    expect([m.numNew(), m.numTried()]).toEqual([2, 1]);
    m.good(addrN(1));
    m.good('99.99.99.99:1');
    m.checkInvariants();
  });

  it('connected() refreshes the timestamp only when it is over 20 min old', () => {
    const { clock, m } = manager();
    m.addAddresses([{ addr: '1.2.3.4:8333', timestamp: T0_SEC - 19 * 60 }], SRC);
    m.connected('1.2.3.4:8333');
    expect(m.get('1.2.3.4:8333')!.timestampMs).toBe((T0_SEC - 19 * 60) * 1000);
    clock.advance(2 * 60_000);
    m.connected('1.2.3.4:8333');
    expect(m.get('1.2.3.4:8333')!.timestampMs).toBe(T0 + 2 * 60_000);
  });

  it('without test-before-evict, a full tried bucket sends its oldest entry back to new', () => {
    const { clock, m } = manager({ hash: narrowHash(0) });
    // One new bucket (64) and one tried bucket (256): fill tried in rounds of 64.
    for (let round = 0; round < 4; round++) {
      const batch = Array.from({ length: 64 }, (_, k) => ({ addr: addrN(round * 64 + k), timestamp: T0_SEC - 100_000 + round * 64 + k }));
      m.addAddresses(batch, SRC);
      for (const e of batch) m.good(e.addr);
      m.checkInvariants();
    }
    expect([m.numTried(), m.numNew()]).toEqual([TRIED_BUCKET_SIZE, 0]);
    clock.advance(1000);
    m.addAddresses([{ addr: addrN(999), timestamp: T0_SEC }], SRC);
    m.good(addrN(999), { testBeforeEvict: false });
    m.checkInvariants();
    expect([m.numTried(), m.numNew()]).toEqual([TRIED_BUCKET_SIZE, 1]);
    expect(m.get(addrN(999))!.tried).toBe(true);
    expect(m.get(addrN(0))).toMatchObject({ tried: false, refs: 1 });
  });
});

describe('selection', () => {
  it('returns null for an empty table', () => {
    const { m } = manager();
    expect(m.getAddress()).toBeNull();
    expect(m.selectOutbound()).toBeNull();
    expect(m.addressCache()).toEqual([]);
  });

  it('terminates with new = 0 and tried > 0 (btcd#376)', () => {
    const { m } = manager();
    m.addAddresses(entries(0, 2), SRC);
    m.good(addrN(0));
    m.good(addrN(1));
    expect(m.numNew()).toBe(0);
    for (let i = 0; i < 50; i++) expect([addrN(0), addrN(1)]).toContain(m.getAddress()!.addr);
  });

  it('terminates when every chance underflows to 0', () => {
    const { m } = manager();
    m.addAddresses(entries(0, 1), SRC);
    for (let i = 0; i < 2000; i++) m.attempt(addrN(0));
    expect(m.get(addrN(0))!.attempts).toBe(2000);
    expect(MAX_SELECT_ROUNDS).toBeGreaterThan(0);
    expect(m.getAddress()!.addr).toBe(addrN(0));
  });

  it('favours addresses not attempted recently', () => {
    const { m } = manager();
    m.addAddresses(entries(0, 2), SRC);
    m.attempt(addrN(0));
    let fresh = 0;
    for (let i = 0; i < 400; i++) if (m.getAddress()!.addr === addrN(1)) fresh++;
    expect(fresh).toBeGreaterThan(360);
  });

  it('selectOutbound skips used groups, prefers unattempted, and marks the attempt', () => {
    const { clock, m } = manager();
    // Groups: addrN(0..2) share 20.0.0.0; addrN(256) is 20.1.0.0.
    m.addAddresses([...entries(0, 3), ...entries(256, 1)], SRC);
    const pick = m.selectOutbound({ excludeGroups: new Set(['20.0.0.0']) });
    expect(pick).toBe(addrN(256));
    expect(m.get(addrN(256))!.attempts).toBe(1);
    // Only the just-attempted group is left open: recent attempts are skipped for 30 tries,
    // then accepted, so a small table still yields an address.
    expect(m.selectOutbound({ excludeGroups: new Set(['20.0.0.0']) })).toBe(addrN(256));
    clock.advance(11 * 60_000);
    expect(m.selectOutbound({ excludeGroups: new Set(['20.0.0.0', '20.1.0.0']) })).toBeNull();
    m.checkInvariants();
  });

  it('selectOutbound: preference biases away from unhealthy peers but never locks them out', () => {
    const unhealthy = addrN(0);
    let picksOfUnhealthy = 0;
    for (let seed = 0; seed < 200; seed++) {
      const { m } = manager({ seed });
      m.addAddresses([...entries(0, 1), ...entries(256, 1)], SRC);
      if (m.selectOutbound({ preference: (x) => (x === unhealthy ? 0.05 : 1) }) === unhealthy) picksOfUnhealthy++;
    }
    // Without the hook it would be about half of 200.
    expect(picksOfUnhealthy).toBeLessThan(30);
    const { m } = manager();
    m.addAddresses([...entries(0, 1), ...entries(256, 1)], SRC);
    expect(m.selectOutbound({ excludeGroups: new Set(['20.1.0.0']), preference: () => 0 })).toBe(unhealthy);
  });

  it('selectOutbound with defaultPort skips other ports during the first 50 tries', () => {
    for (let seed = 0; seed < 20; seed++) {
      const { m } = manager({ seed });
      m.addAddresses([{ addr: '1.2.3.4:8333', timestamp: T0_SEC }, { addr: '5.6.7.8:9999', timestamp: T0_SEC }], SRC);
      expect(m.selectOutbound({ defaultPort: 8333 })).toBe('1.2.3.4:8333');
    }
    const { m } = manager();
    m.addAddresses([{ addr: '5.6.7.8:9999', timestamp: T0_SEC }], SRC);
    expect(m.selectOutbound({ defaultPort: 8333 })).toBe('5.6.7.8:9999');
  });

  it('addressCache returns 23 %, capped at 2,500, without duplicates', () => {
    const { m } = manager();
    m.addAddresses(entries(0, 1000), SRC);
    const a = m.addressCache();
    expect(a.length).toBe(Math.floor((m.size() * 23) / 100));
    expect(new Set(a.map((e) => e.addr)).size).toBe(a.length);
    // Many (group, source) pairs: one pair fills one bucket, so spread both.
    for (let g = 10; g < 320; g++) m.addAddresses(entries(g * 256, 50), `${100 + (g % 100)}.${g & 255}.1.1:8333`);
    expect(m.size()).toBeGreaterThan(GETADDR_MAX * (100 / 23));
    expect(m.addressCache().length).toBe(GETADDR_MAX);
  });
});
