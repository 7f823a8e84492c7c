import { describe, expect, it } from 'vitest';
import { InboundSlots, inboundGroup, DEFAULT_MAX_INBOUND, DEFAULT_MAX_INBOUND_PER_ADDRESS } from '../../src/conn/inbound-policy.js';
import { RefusalLog } from '../../src/conn/refusal-log.js';
import { ManualClock } from '../../src/clock.js';
import { PeerStats } from '../../src/stats/peer-stats.js';

const KEY = new Uint8Array(16).fill(7);

/** Fills `slots` with `n` connections from `ip`, ids from `firstId`, all admitted without eviction. */
function fill(slots: InboundSlots, ip: string, n: number, firstId: number, now: number, established = false): number[] {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = slots.admit(ip, false);
    expect(d).toMatchObject({ accept: true, evict: null });
    slots.add(firstId + i, ip, now + i, false, new PeerStats());
    if (established) slots.established(firstId + i);
    ids.push(firstId + i);
  }
  return ids;
}

describe('inboundGroup', () => {
  it('is the /16 for routable IPv4, the /32 for IPv6, the address itself for loopback and private', () => {
    expect(inboundGroup('8.8.4.4')).toBe(inboundGroup('8.8.200.1'));
    expect(inboundGroup('8.8.4.4')).not.toBe(inboundGroup('8.9.4.4'));
    expect(inboundGroup('2a01:4f8::1')).toBe(inboundGroup('2a01:4f8:ffff::2'));
    expect(inboundGroup('127.0.0.1')).not.toBe(inboundGroup('127.0.0.2'));
    expect(inboundGroup('10.0.0.1')).not.toBe(inboundGroup('10.0.0.2'));
  });
});

describe('InboundSlots', () => {
  it('limits connections per address and per /16; whitelisted peers are exempt', () => {
    const slots = new InboundSlots({ maxPerAddress: 3, maxPerGroup: 5, key: KEY });
    fill(slots, '8.8.1.1', 3, 1, 0);
    expect(slots.admit('8.8.1.1', false)).toEqual({ accept: false, reason: 'per_address' });
    expect(slots.admit('8.8.1.1', true)).toMatchObject({ accept: true });
    fill(slots, '8.8.1.2', 2, 10, 0);
    expect(slots.admit('8.8.9.9', false)).toEqual({ accept: false, reason: 'per_group' });
    expect(slots.admit('8.9.9.9', false)).toMatchObject({ accept: true, evict: null });
    slots.remove(1);
    expect(slots.admit('8.8.1.1', false)).toMatchObject({ accept: true, evict: null });
  });

  it('defaults: 117 slots, 8 per address, half the slots for handshakes', () => {
    const slots = new InboundSlots();
    expect(slots.limits).toEqual({ maxInbound: DEFAULT_MAX_INBOUND, maxPerAddress: DEFAULT_MAX_INBOUND_PER_ADDRESS, maxPerGroup: 16, maxPending: 59 });
    expect(new InboundSlots({ maxInbound: 0 }).admit('8.8.8.8', false)).toEqual({ accept: false, reason: 'full' });
    expect(() => new InboundSlots({ maxPerAddress: -1 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('pre-handshake budget: past it, a newcomer displaces the oldest pending connection of the most crowded group', () => {
    const slots = new InboundSlots({ maxInbound: 20, maxPending: 6, maxPerAddress: 8, key: KEY });
    const established = fill(slots, '127.0.0.50', 2, 100, 0, true);
    const a = fill(slots, '127.0.0.1', 4, 1, 10); // the crowd: 4 pending
    const b = fill(slots, '127.0.0.2', 2, 10, 5); // older, but fewer
    expect(slots.pending).toBe(6);
    const d = slots.admit('127.0.0.99', false);
    expect(d).toEqual({ accept: true, evict: a[0], why: 'pending_budget' });
    expect(established).not.toContain((d as { evict: number }).evict);
    expect(b).not.toContain((d as { evict: number }).evict);
  });

  it('a newcomer that would only displace its own group\'s pending connection is refused instead', () => {
    const slots = new InboundSlots({ maxInbound: 20, maxPending: 4, maxPerAddress: 8, key: KEY });
    fill(slots, '127.0.0.1', 4, 1, 0);
    expect(slots.admit('127.0.0.1', false)).toEqual({ accept: false, reason: 'pending_budget' });
    expect(slots.admit('127.0.0.2', false)).toEqual({ accept: true, evict: 1, why: 'pending_budget' });
  });

  it('when every slot is taken, a pending connection goes before any established peer', () => {
    const slots = new InboundSlots({ maxInbound: 10, maxPending: 10, maxPerAddress: 10, maxPerGroup: 10, key: KEY });
    fill(slots, '127.0.0.5', 9, 1, 0, true);
    slots.add(50, '127.0.0.6', 100, false, new PeerStats()); // pending, the youngest
    expect(slots.admit('127.0.0.7', false)).toEqual({ accept: true, evict: 50, why: 'pending' });
  });

  it('when every slot holds an established peer, Core eviction picks one; all protected means refusal', () => {
    const slots = new InboundSlots({ maxInbound: 4, maxPending: 4, key: KEY });
    for (let i = 0; i < 4; i++) {
      slots.add(i + 1, `8.${i}.0.1`, i, false, new PeerStats());
      slots.established(i + 1);
    }
    // Four distinct groups: all four are protected by the network-group rule.
    expect(slots.admit('9.9.9.9', false)).toEqual({ accept: false, reason: 'none_evictable' });
    const big = new InboundSlots({ maxInbound: 30, maxPending: 30, maxPerGroup: 30, maxPerAddress: 30, key: KEY });
    const stats = Array.from({ length: 31 }, () => new PeerStats());
    for (let i = 0; i < 30; i++) {
      big.add(i + 1, `8.${i < 20 ? 1 : i}.0.${i + 1}`, 1000 + i, false, stats[i + 1]!);
      big.established(i + 1);
    }
    // The 8.1/16 crowd (ids 1..20) holds the most; its youngest unprotected member goes.
    const d = big.admit('9.9.9.9', false);
    expect(d).toMatchObject({ accept: true, why: 'eviction' });
    expect((d as { evict: number }).evict).toBe(20);
    // Eviction reads the lowest ping where the peer keeps it (its stats): a pong protects at once.
    stats[20]!.pong(1);
    big.novelTx(19, 5000);
    const d2 = big.admit('9.9.9.9', false);
    expect([19, 20]).not.toContain((d2 as { evict: number }).evict);
  });

  it('under a silent-connection flood from 20 addresses, a legitimate newcomer always gets in', () => {
    const slots = new InboundSlots({ key: KEY });
    let id = 1;
    let now = 0;
    const legit: number[] = [];
    let refused = 0;
    for (let round = 0; round < 1000; round++) {
      const ip = `127.0.0.${10 + (round % 20)}`;
      const d = slots.admit(ip, false);
      if (!d.accept) {
        refused++;
        continue;
      }
      if (d.evict !== null) {
        expect(legit).not.toContain(d.evict);
        slots.remove(d.evict);
      }
      slots.add(id++, ip, now++, false, new PeerStats());
      if (round % 50 === 49) {
        const ip = `127.0.1.${legit.length + 1}`;
        const g = slots.admit(ip, false);
        expect(g.accept).toBe(true);
        if (g.accept && g.evict !== null) slots.remove(g.evict);
        slots.add(id, ip, now++, false, new PeerStats());
        slots.established(id);
        legit.push(id++);
      }
    }
    // The flood churns through the handshake budget instead of holding the slots.
    expect(slots.pending).toBeLessThanOrEqual(slots.limits.maxPending);
    expect(refused).toBe(0);
    expect(slots.used).toBeLessThanOrEqual(DEFAULT_MAX_INBOUND);
    expect(legit.length).toBe(20);
    expect(legit.every((l) => slots.has(l))).toBe(true);
  });
});

describe('RefusalLog', () => {
  it('logs one line per reason per interval and says how many it stood for', () => {
    const clock = new ManualClock(0);
    const lines: Array<[string, Record<string, unknown>]> = [];
    const log = new RefusalLog(clock, (m, f) => lines.push([m, f]), 1000);
    for (let i = 0; i < 50; i++) log.note('per_address', 'refused', { peer: `p${i}` });
    log.note('full', 'refused', {});
    expect(lines).toHaveLength(2);
    clock.advance(1000);
    log.note('per_address', 'refused', { peer: 'late' });
    expect(lines[2]).toEqual(['refused', { peer: 'late', reason: 'per_address', alsoSinceLastLine: 49 }]);
  });
});
