/**
 * Random operation sequences (fixed fast-check seed) against the address manager, with the full
 * invariant check after every operation (Core#20233 -checkaddrman) and a serialise → deserialise
 * equality check along the way (Core#21129). A narrow bucket hash (4 buckets per table) makes
 * buckets overflow, so eviction from new and from tried is exercised, not just insertion.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { ManualClock } from '../../src/clock.js';
import { seededRandom } from '../../src/util/random.js';
import { addrN, narrowHash, T0, T0_SEC } from './helpers.js';

type Op =
  | { kind: 'add'; from: number; count: number; src: number; age: number }
  | { kind: 'good' | 'attempt' | 'connected'; i: number }
  | { kind: 'goodRange'; from: number; count: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'get' | 'cache' | 'roundtrip' }
  | { kind: 'select'; exclude: number }
  | { kind: 'feeler'; ok: boolean };

// 600 addresses over ~10 /16 groups and 6 sources: collisions guaranteed.
const POOL = 600;
const addrOf = (i: number): string => addrN((i % 10) * 256 + Math.floor(i / 10));
const srcOf = (i: number): string => `${150 + i}.0.0.1:8333`;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), from: fc.nat(POOL - 1), count: fc.integer({ min: 1, max: 40 }), src: fc.nat(5), age: fc.integer({ min: -3600, max: 40 * 86400 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('good' as const), i: fc.nat(POOL - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('goodRange' as const), from: fc.nat(POOL - 1), count: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('attempt' as const), i: fc.nat(POOL - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('connected' as const), i: fc.nat(POOL - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3 * 86_400_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cache' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('select' as const), exclude: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('roundtrip' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('feeler' as const), ok: fc.boolean() }) },
);

/** Paths the narrow runs must reach, or the property proves little. */
const reached = { newEviction: false, triedEviction: false };

function run(ops: Op[], bits: number): void {
  const clock = new ManualClock(T0);
  const opts = { clock, random: seededRandom(99), hash: bits >= 0 ? narrowHash(bits) : undefined };
  let m = new AddrManager(opts);
  for (const op of ops) {
    switch (op.kind) {
      case 'add': {
        const now = Math.floor(clock.now() / 1000);
        const list = Array.from({ length: op.count }, (_, k) => ({ addr: addrOf((op.from + k) % POOL), timestamp: now - op.age, services: BigInt(k & 9) }));
        const sizeBefore = m.size();
        const r = m.addAddresses(list, srcOf(op.src));
        expect(r.processed).toBe(op.count);
        if (m.size() < sizeBefore + r.added) reached.newEviction = true;
        break;
      }
      case 'good':
        m.good(addrOf(op.i));
        break;
      case 'goodRange':
        for (let k = 0; k < op.count; k++) {
          // Learn the address and complete a handshake with it, as an outbound connection would.
          const a = addrOf((op.from + k) % POOL);
          m.addAddresses([{ addr: a, timestamp: Math.floor(clock.now() / 1000) - k }], srcOf(k % 6));
          m.checkInvariants();
          const before = m.get(a);
          // Every other handshake skips test-before-evict, so the immediate eviction path is covered too.
          const testBeforeEvict = k % 2 === 1;
          if (!testBeforeEvict && bits === 0 && before !== undefined && !before.tried && m.numTried() === 256) reached.triedEviction = true;
          m.good(a, { testBeforeEvict });
          m.checkInvariants();
        }
        break;
      case 'attempt':
        m.attempt(addrOf(op.i));
        break;
      case 'connected':
        m.connected(addrOf(op.i));
        break;
      case 'advance':
        clock.advance(op.ms);
        break;
      case 'get': {
        const a = m.getAddress();
        expect(a === null).toBe(m.size() === 0);
        break;
      }
      case 'cache': {
        const c = m.addressCache();
        expect(c.length).toBeLessThanOrEqual(Math.min(1000, Math.floor((m.size() * 23) / 100)));
        break;
      }
      case 'feeler': {
        // A feeler tests what selectFeeler offers; it answers (good) or fails (60 s pass unanswered).
        const a = m.selectFeeler();
        m.checkInvariants();
        if (a !== null) {
          if (op.ok) m.good(a);
          else clock.advance(61_000);
          m.resolveCollisions();
        }
        expect(m.numCollisions()).toBeLessThanOrEqual(10);
        break;
      }
      case 'select': {
        const groups = new Set(Array.from({ length: op.exclude }, (_, g) => `20.${g}.0.0`));
        const a = m.selectOutbound({ excludeGroups: groups });
        if (a !== null) expect(groups.has(m.groupOf(a))).toBe(false);
        break;
      }
      case 'roundtrip': {
        const json = JSON.parse(JSON.stringify(m.toJSON())) as unknown;
        const back = AddrManager.fromJSON(json, opts);
        expect(back.toJSON()).toEqual(m.toJSON());
        expect([back.numNew(), back.numTried(), back.size()]).toEqual([m.numNew(), m.numTried(), m.size()]);
        m = back;
        break;
      }
    }
    m.checkInvariants();
  }
  const final = AddrManager.fromJSON(JSON.parse(JSON.stringify(m)) as unknown, opts);
  expect(final.toJSON()).toEqual(m.toJSON());
}

describe('address manager properties', () => {
  it('invariants hold after every operation; round trips are equal (narrow buckets)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 150, size: 'max' }), (ops) => run(ops, 2)),
      { seed: 20260801, numRuns: 25 },
    );
  });

  it('invariants hold after every operation; round trips are equal (one bucket per table)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 300, size: 'max' }), (ops) => run(ops, 0)),
      { seed: 20260803, numRuns: 15 },
    );
    expect(reached).toEqual({ newEviction: true, triedEviction: true });
  });

  it('invariants hold after every operation; round trips are equal (real bucket hash)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 100, size: 'max' }), (ops) => run(ops, -1)),
      { seed: 20260802, numRuns: 15 },
    );
  });

  it('selection terminates with new = 0 & tried > 0 and with both empty, for any state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 50 }), fc.nat(), (n, attempts, seed) => {
        const clock = new ManualClock(T0);
        const m = new AddrManager({ clock, random: seededRandom(seed) });
        const list = Array.from({ length: n }, (_, k) => ({ addr: addrN(k * 256), timestamp: T0_SEC }));
        m.addAddresses(list, srcOf(0));
        for (const e of list) {
          m.good(e.addr);
          for (let a = 0; a < attempts; a++) m.attempt(e.addr);
        }
        expect(m.numNew()).toBe(0);
        const got = m.getAddress();
        if (n === 0) expect(got).toBeNull();
        else expect(got!.tried).toBe(true);
        m.checkInvariants();
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});
