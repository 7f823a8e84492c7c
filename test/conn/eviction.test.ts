import { describe, expect, it } from 'vitest';
import { selectInboundToEvict, PROTECT_BY_GROUP, PROTECT_BY_PING } from '../../src/conn/eviction.js';
import type { EvictionCandidate } from '../../src/conn/eviction.js';

/** A deterministic rank: groups whose name starts with "keep" rank highest. */
const rank = (g: string): number => (g.startsWith('keep') ? 1000 + g.length : 0);

function cand(id: number, over: Partial<EvictionCandidate> = {}): EvictionCandidate {
  return { id, group: `g${id}`, connectedAt: 1000 + id, minPingMs: Infinity, lastTxAt: 0, lastBlockAt: 0, local: false, noban: false, ...over };
}

describe('selectInboundToEvict (Core SelectNodeToEvict)', () => {
  it('returns null when there is nobody, or only noban peers', () => {
    expect(selectInboundToEvict([], rank)).toBeNull();
    expect(selectInboundToEvict([cand(1, { noban: true }), cand(2, { noban: true })], rank)).toBeNull();
  });

  it('evicts the youngest peer of the most crowded group', () => {
    // 4 protected groups, then a crowd of 6 in one /16 and singles elsewhere.
    const peers = [
      ...[1, 2, 3, 4].map((i) => cand(i, { group: `keep${'x'.repeat(i)}` })),
      ...[10, 11, 12, 13, 14, 15].map((i) => cand(i, { group: 'crowd', connectedAt: 5000 + i })),
      // Older singles take the uptime protection (half of the 10 left), with the oldest of the crowd.
      ...[20, 21, 22, 23].map((i) => cand(i)),
    ];
    expect(selectInboundToEvict(peers, rank)).toBe(15);
  });

  it('among equally crowded groups, picks the one with the youngest member', () => {
    const peers = [
      ...[1, 2, 3, 4].map((i) => cand(i, { group: `keep${'x'.repeat(i)}` })),
      cand(10, { group: 'a', connectedAt: 100 }),
      cand(11, { group: 'a', connectedAt: 101 }),
      cand(12, { group: 'b', connectedAt: 90 }),
      cand(13, { group: 'b', connectedAt: 300 }),
      // Oldest ones absorb the uptime protection (half of the rest).
      cand(14, { group: 'c', connectedAt: 1 }),
      cand(15, { group: 'd', connectedAt: 2 }),
      cand(16, { group: 'e', connectedAt: 3 }),
      cand(17, { group: 'f', connectedAt: 4 }),
    ];
    expect(selectInboundToEvict(peers, rank)).toBe(13);
  });

  it('protects low ping, recent novel transactions and blocks, in that order, before uptime', () => {
    const crowd = (id: number, over: Partial<EvictionCandidate> = {}): EvictionCandidate => cand(id, { group: 'crowd', connectedAt: 10_000 + id, ...over });
    // Every peer is in the same group, so the group protection saves exactly one (the oldest).
    const fast = [100, 101, 102, 103, 104, 105, 106, 107].map((id) => crowd(id, { minPingMs: 1 + (id - 100) }));
    const relayedTx = [200, 201, 202, 203].map((id) => crowd(id, { lastTxAt: 50_000 + id }));
    const relayedBlock = [300, 301, 302, 303].map((id) => crowd(id, { lastBlockAt: 60_000 + id }));
    const silent = [1, 2, 3, 4, 5, 6].map((id) => crowd(id));
    const all = [...fast, ...relayedTx, ...relayedBlock, ...silent];
    const evicted = selectInboundToEvict(all, rank);
    // Silent ones are left; the group rule took the oldest silent (1), the uptime rule half of the rest.
    expect(silent.map((c) => c.id)).toContain(evicted);
    expect(evicted).toBe(6);
    // Take the protected ones away one class at a time: the eviction falls on the others only.
    const noFast = selectInboundToEvict([...relayedTx, ...relayedBlock, ...silent], rank);
    expect([...relayedTx, ...relayedBlock].map((c) => c.id)).not.toContain(noFast);
  });

  it('a ninth fast peer is not protected by ping; silent peers earn no ping protection by tie', () => {
    const peers = Array.from({ length: PROTECT_BY_PING + 1 }, (_, i) => cand(i + 1, { group: 'same', minPingMs: 10 + i, connectedAt: 100 + i }));
    // Group protection keeps peer 1 (oldest), ping keeps 2..9, nobody is left to protect by uptime.
    expect(selectInboundToEvict(peers, rank)).toBeNull();
    peers.push(cand(50, { group: 'same', connectedAt: 50 }), cand(51, { group: 'same', connectedAt: 51 }));
    // The group rule now keeps 50 (oldest), ping keeps 1..8, uptime keeps 51 of {9, 51}: the slower 9 goes.
    expect(selectInboundToEvict(peers, rank)).toBe(9);
  });

  it('protects at most PROTECT_BY_GROUP distinct groups, chosen by the keyed rank', () => {
    const peers = [
      ...Array.from({ length: 6 }, (_, i) => cand(i + 1, { group: `keep${'x'.repeat(i)}`, connectedAt: 5000 + i })),
      ...Array.from({ length: 10 }, (_, i) => cand(100 + i, { group: `z${i}`, connectedAt: 10 + i })),
    ];
    const evicted = selectInboundToEvict(peers, rank);
    // The highest-ranked groups are the longest "keep" names: keepxxxxx .. keepxx (ids 6, 5, 4, 3).
    expect([3, 4, 5, 6].slice(0, PROTECT_BY_GROUP)).not.toContain(evicted);
    // Young ungrouped peers 1 and 2 are in no protection class: the youngest of them goes.
    expect(evicted).toBe(2);
  });

  it('reserves part of the uptime protection for loopback peers', () => {
    const peers = [
      ...[1, 2, 3, 4].map((i) => cand(i, { group: `keep${'x'.repeat(i)}` })),
      // 8 remote old peers, 4 young loopback peers in one crowded group.
      ...Array.from({ length: 8 }, (_, i) => cand(10 + i, { group: `r${i}`, connectedAt: i })),
      ...Array.from({ length: 4 }, (_, i) => cand(30 + i, { group: 'lo', connectedAt: 9000 + i, local: true })),
    ];
    // 12 left: half (6) protected, a quarter (3) of it for the local ones (30, 31, 32): 33 goes.
    expect(selectInboundToEvict(peers, rank)).toBe(33);
  });

  it('never evicts a noban peer, even the youngest of the crowd', () => {
    const peers = [...Array.from({ length: 12 }, (_, i) => cand(i + 1, { group: 'crowd', connectedAt: i })), cand(99, { group: 'crowd', connectedAt: 999, noban: true })];
    expect(selectInboundToEvict(peers, rank)).toBe(12);
  });
});
