/**
 * Test-before-evict for the tried table (Bitcoin Core PR #9037), mirroring Core's addrman unit
 * tests `addrman_noevict`, `addrman_evictionworks` and `addrman_selecttriedcollision`, plus the
 * eclipse property of issue 20: under an attacker's flood of handshakes the tried table keeps at
 * least 90 % of its good entries. A manual clock drives every wait.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { AddrManager, FEELER_GRACE_MS, TRIED_COLLISIONS_MAX, TRIED_TEST_WINDOW_MS } from '../../src/addr/addr-manager.js';
import { TRIED_BUCKET_SIZE } from '../../src/addr/buckets.js';
import { seededRandom } from '../../src/util/random.js';
import { addrN, narrowHash, T0, T0_SEC } from './helpers.js';

const SRC = '50.60.70.80:8333';

/** One new bucket (64) and one tried bucket (256), the tried one full of entries 0..255. */
function fullTried(): { clock: ManualClock; m: AddrManager } {
  const clock = new ManualClock(T0);
  const m = new AddrManager({ clock, random: seededRandom(5), hash: narrowHash(0) });
  for (let round = 0; round < 4; round++) {
    const batch = Array.from({ length: 64 }, (_, k) => ({ addr: addrN(round * 64 + k), timestamp: T0_SEC - 100_000 + round * 64 + k }));
    m.addAddresses(batch, SRC);
    for (const e of batch) m.good(e.addr);
  }
  expect(m.numTried()).toBe(TRIED_BUCKET_SIZE);
  // Five hours on: the tried entries' last success is older than Core's 4 h replacement window.
  clock.advance(5 * 3_600_000);
  return { clock, m };
}

function newcomer(m: AddrManager, clock: ManualClock, i = 999): string {
  const a = addrN(i);
  m.addAddresses([{ addr: a, timestamp: Math.floor(clock.now() / 1000) }], SRC);
  return a;
}

describe('test-before-evict (Core addrman_noevict / addrman_evictionworks)', () => {
  it('good() on a full tried bucket evicts nothing and queues a collision against the oldest entry', () => {
    const { clock, m } = fullTried();
    const a = newcomer(m, clock);
    m.good(a);
    m.checkInvariants();
    expect(m.get(a)!.tried).toBe(false);
    expect(m.numTried()).toBe(TRIED_BUCKET_SIZE);
    expect(m.numCollisions()).toBe(1);
    // The entry it would replace is the oldest of the bucket: addrN(0) has the oldest timestamp.
    expect(m.selectTriedCollision()).toBe(addrN(0));
  });

  it('an old entry that answers the feeler stays; the newcomer stays in new', () => {
    const { clock, m } = fullTried();
    const a = newcomer(m, clock);
    m.good(a);
    const victim = m.selectFeeler();
    expect(victim).toBe(addrN(0));
    m.good(victim!); // the feeler completed its handshake
    m.resolveCollisions();
    m.checkInvariants();
    expect(m.numCollisions()).toBe(0);
    expect(m.get(addrN(0))!.tried).toBe(true);
    expect(m.get(a)!.tried).toBe(false);
  });

  it('an old entry that does not answer within 60 s is replaced', () => {
    const { clock, m } = fullTried();
    const a = newcomer(m, clock);
    m.good(a);
    expect(m.selectFeeler()).toBe(addrN(0)); // attempt() recorded; the dial fails
    m.resolveCollisions();
    expect(m.get(a)!.tried).toBe(false); // the feeler still has time
    clock.advance(FEELER_GRACE_MS + 1);
    m.resolveCollisions();
    m.checkInvariants();
    expect(m.get(a)!.tried).toBe(true);
    expect(m.get(addrN(0))).toMatchObject({ tried: false, refs: 1 });
    expect(m.numCollisions()).toBe(0);
  });

  it('an old entry that succeeded in the last 4 hours is never replaced unheard', () => {
    const { clock, m } = fullTried();
    m.good(addrN(0)); // connected just now
    const a = newcomer(m, clock);
    m.good(a);
    m.resolveCollisions();
    expect(m.numCollisions()).toBe(0);
    expect(m.get(addrN(0))!.tried).toBe(true);
    expect(m.get(a)!.tried).toBe(false);
  });

  it('a collision nobody tests is resolved for the newcomer after the 40-minute window', () => {
    const { clock, m } = fullTried();
    const a = newcomer(m, clock);
    m.good(a);
    clock.advance(TRIED_TEST_WINDOW_MS - 1000);
    m.resolveCollisions();
    expect(m.get(a)!.tried).toBe(false);
    clock.advance(2000);
    m.resolveCollisions();
    m.checkInvariants();
    expect(m.get(a)!.tried).toBe(true);
  });

  it('holds at most 10 collisions; further good() calls are dropped', () => {
    const { clock, m } = fullTried();
    for (let i = 0; i < 30; i++) m.good(newcomer(m, clock, 1000 + i));
    expect(m.numCollisions()).toBe(TRIED_COLLISIONS_MAX);
    m.checkInvariants();
  });

  it('a collision victim we are already connected to is marked good instead of dialled (Core)', () => {
    const { clock, m } = fullTried();
    m.good(newcomer(m, clock));
    expect(m.selectFeeler({ exclude: new Set([addrN(0)]) })).toBeNull();
    expect(m.numCollisions()).toBe(0);
    expect(m.get(addrN(0))!.tried).toBe(true);
  });

  it('without collisions a feeler gets a new-table address', () => {
    const { clock, m } = fullTried();
    const a = newcomer(m, clock);
    expect(m.selectFeeler()).toBe(a);
    expect(m.get(a)!.attempts).toBe(1);
  });
});

describe('eclipse: the tried table under an address flood (issue 20)', () => {
  /**
   * 512 honest tried entries (two tried buckets, full) last connected 5 h ago. An attacker with
   * 1,000 addresses in 4 /16s gossips them and completes a handshake on every one we dial, for
   * two simulated hours, while a feeler runs every 2 minutes and honest peers answer it.
   */
  function flood(testBeforeEvict: boolean): number {
    const clock = new ManualClock(T0);
    const m = new AddrManager({ clock, random: seededRandom(11), hash: narrowHash(1) });
    const honest: string[] = [];
    for (let round = 0; honest.length < 2 * TRIED_BUCKET_SIZE && round < 200; round++) {
      const batch = Array.from({ length: 64 }, (_, k) => addrN(round * 64 + k));
      m.addAddresses(batch.map((addr) => ({ addr, timestamp: T0_SEC })), `${100 + (round % 50)}.1.1.1:8333`);
      for (const a of batch) {
        if (m.numTried() >= 2 * TRIED_BUCKET_SIZE) break;
        m.good(a);
        if (m.get(a)?.tried === true) honest.push(a);
      }
    }
    expect(honest.length).toBe(2 * TRIED_BUCKET_SIZE);
    clock.advance(5 * 3_600_000);
    const attacker = Array.from({ length: 1000 }, (_, i) => `60.${101 + (i % 4)}.${(i >> 8) & 255}.${i & 255}:18444`);
      for (let minute = 0; minute < 120; minute++) {
      // Four attacker peers gossip all 1,000 addresses every 5 minutes (no rate limiter here: worst case).
      if (minute % 5 === 0) for (let s = 0; s < 4; s++) m.addAddresses(attacker.map((addr) => ({ addr, timestamp: Math.floor(clock.now() / 1000) })), `60.${101 + s}.0.1:18444`);
      // Every attacker address we hold in new completes a handshake.
      for (const a of attacker) if (m.get(a)?.tried === false) m.good(a, { testBeforeEvict });
      if (minute % 2 === 0) {
        const f = m.selectFeeler();
        if (f !== null) m.good(f); // honest peers answer; so do the attacker's
      }
      clock.advance(60_000);
    }
    m.checkInvariants();
    return honest.filter((a) => m.get(a)?.tried === true).length / honest.length;
  }

  it('keeps at least 90 % of its good entries with test-before-evict', () => {
    expect(flood(true)).toBeGreaterThanOrEqual(0.9);
  });

  it('(control) loses most of them when good() evicts at once, as before', () => {
    expect(flood(false)).toBeLessThan(0.5);
  });
});
