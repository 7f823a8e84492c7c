import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import { AddressGossip } from '../../src/node/address-gossip.js';
import type { GossipPeer } from '../../src/node/address-gossip.js';
import type { Message } from '../../src/wire/codec.js';

/** A peer that records what gossip sends it. */
function recordingPeer(over: Partial<GossipPeer> = {}): GossipPeer & { sent: Message[] } {
  const sent: Message[] = [];
  return { id: 7, addr: '127.0.0.9:5000', direction: 'inbound', wantsAddrV2: false, protocolVersion: 70016, sendMessage: (m) => sent.push(m), sent, ...over };
}

function gossipWith(addresses: number): AddressGossip {
  const clock = new ManualClock();
  const g = new AddressGossip(resolveConfig({ network: 'regtest' }), clock, silentLogger, null);
  const now = Math.floor(clock.now() / 1000);
  g.addrs.addAddresses(
    Array.from({ length: addresses }, (_, i) => ({ addr: `10.${i >> 8}.${i & 255}.1:18444`, timestamp: now })),
    '10.200.0.1:18444',
  );
  return g;
}

describe('AddressGossip', () => {
  it('answers getaddr once per inbound connection, never outbound', () => {
    const g = gossipWith(100);
    const inbound = recordingPeer();
    g.onEstablished(inbound, false, null);
    g.onGetaddr(inbound);
    g.onGetaddr(inbound);
    expect(inbound.sent.map((m) => m.command)).toEqual(['addr']);
    const outbound = recordingPeer({ id: 8, direction: 'outbound', addr: '10.9.9.9:18444' });
    g.onEstablished(outbound, false, null);
    const before = outbound.sent.length;
    g.onGetaddr(outbound);
    expect(outbound.sent.length).toBe(before);
  });

  it('answers in addrv2 to peers that asked for it, in messages of at most 1,000', () => {
    const g = gossipWith(6000);
    const p = recordingPeer({ wantsAddrV2: true });
    g.onEstablished(p, false, null);
    g.onGetaddr(p);
    expect(p.sent.every((m) => m.command === 'addrv2')).toBe(true);
    const total = p.sent.reduce((n, m) => n + (m as { addresses: unknown[] }).addresses.length, 0);
    // Core: a random 23 % of the table, capped at 1,000.
    expect(total).toBe(Math.min(1000, Math.floor((g.addrs.size() * 23) / 100)));
    expect(p.sent.every((m) => (m as { addresses: unknown[] }).addresses.length <= 1000)).toBe(true);
  });

  it('never picks an address that is busy', () => {
    const g = gossipWith(3);
    const all = new Set(['10.0.0.1:18444', '10.0.1.1:18444']);
    for (let i = 0; i < 50; i++) {
      const pick = g.pickOutbound(new Set(), all, () => 1, 18444);
      expect(pick === null || !all.has(pick)).toBe(true);
    }
    expect(g.pickOutbound(new Set(), new Set([...all, '10.0.2.1:18444']), () => 1, 18444)).toBeNull();
  });
});
