/**
 * Mirrors Bitcoin Core's functional test p2p_addr_relay.py, in memory with a manual clock:
 * small unsolicited addr messages with fresh routable addresses are relayed to at most 2 peers,
 * never back to the sender or to block-relay-only peers; large messages, getaddr answers and
 * stale addresses are not relayed; destinations are the same all day; getaddr is answered for
 * inbound peers only, once, from a cache; and across 3 nodes an address reaches a node that never
 * heard it directly, a bounded number of times.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import { AddressGossip, GETADDR_CACHE_BASE_MS, GETADDR_CACHE_JITTER_MS, type GossipPeer } from '../../src/node/address-gossip.js';
import { AddrRelay } from '../../src/addr/addr-relay.js';
import { seededRandom } from '../../src/util/random.js';
import { parseIpPort } from '../../src/util/host-port.js';
import type { Message } from '../../src/wire/codec.js';

type AddrMsg = Extract<Message, { command: 'addr' }>;

interface TestPeer extends GossipPeer {
  readonly sent: Message[];
}

function peer(id: number, direction: 'inbound' | 'outbound' = 'inbound'): TestPeer {
  const sent: Message[] = [];
  return { id, addr: `127.${id}.0.1:18444`, direction, wantsAddrV2: false, protocolVersion: 70016, sendMessage: (m) => void sent.push(m), sent };
}

function node(seed = 1, clock = new ManualClock()): { g: AddressGossip; clock: ManualClock } {
  const g = new AddressGossip(resolveConfig({ network: 'regtest' }), clock, silentLogger, null, { random: seededRandom(seed), relayKey: new Uint8Array(16).fill(seed) });
  return { g, clock };
}

function addrMsg(addrs: readonly string[], timestampSec: number): AddrMsg {
  return { command: 'addr', addresses: addrs.map((a) => ({ timestamp: timestampSec, services: 1n, ...parseIpPort(a)! })) };
}

const relayedTo = (peers: readonly TestPeer[]): Map<number, string[]> => {
  const out = new Map<number, string[]>();
  for (const p of peers) {
    const got = p.sent.filter((m): m is AddrMsg => m.command === 'addr').flatMap((m) => m.addresses.map((a) => `${a.ip[12]}.${a.ip[13]}.${a.ip[14]}.${a.ip[15]}:${a.port}`));
    if (got.length > 0) out.set(p.id, got);
  }
  return out;
};

/** Runs the ticker for two simulated minutes: every queued address is sent (30 s Poisson mean). */
function flush(g: AddressGossip, clock: ManualClock): void {
  for (let s = 0; s < 600; s++) {
    clock.advance(1000);
    g.tick();
  }
}

describe('p2p_addr_relay', () => {
  it('relays a fresh address of a small message to at most 2 peers, never to the sender or block-relay-only peers', () => {
    const { g, clock } = node();
    const sender = peer(1);
    const others = [2, 3, 4, 5, 6].map((i) => peer(i));
    const blockOnly = peer(9, 'outbound');
    g.onEstablished(sender, false, null);
    for (const p of others) g.onEstablished(p, false, null);
    g.onEstablished(blockOnly, false, null, { noAddrRelay: true });
    const now = Math.floor(clock.now() / 1000);
    const fresh = Array.from({ length: 10 }, (_, i) => `127.200.${i}.1:18444`);
    g.onAddresses(sender, addrMsg(fresh.slice(0, 1), now)); // the first token of the bucket
    flush(g, clock);
    const got = relayedTo([sender, ...others, blockOnly]);
    expect(got.has(1)).toBe(false);
    expect(got.has(9)).toBe(false);
    const copies = [...got.values()].flat().filter((a) => a === fresh[0]).length;
    expect(copies).toBe(2); // reachable network: 2 peers
  });

  it('does not relay a message of more than 10 entries, an answer to our getaddr, or stale addresses', () => {
    const { g, clock } = node(2);
    const sender = peer(1, 'outbound');
    const others = [2, 3, 4].map((i) => peer(i));
    for (const p of others) g.onEstablished(p, false, null);
    g.onEstablished(sender, true, null); // whitelisted: no token limit, so only the relay rules decide
    const now = Math.floor(clock.now() / 1000);
    // Our getaddr went out at the handshake (the table is small): its answer is not relayed.
    expect(sender.sent.some((m) => m.command === 'getaddr')).toBe(true);
    g.onAddresses(sender, addrMsg(['127.201.0.1:18444'], now));
    // That message (< 1,000 entries) ended the answer; now 11 entries at once.
    g.onAddresses(sender, addrMsg(Array.from({ length: 11 }, (_, i) => `127.202.${i}.1:18444`), now));
    // A stale one: 11 minutes old.
    g.onAddresses(sender, addrMsg(['127.203.0.1:18444'], now - 11 * 60));
    flush(g, clock);
    expect(relayedTo(others).size).toBe(0);
    // A fresh one in a small unsolicited message is relayed.
    g.onAddresses(sender, addrMsg(['127.204.0.1:18444'], now + 600));
    flush(g, clock);
    expect([...relayedTo(others).values()].flat()).toEqual(expect.arrayContaining(['127.204.0.1:18444']));
  });

  it('keeps the per-peer token bucket: a flood relays no more than the bucket admits', () => {
    const { g, clock } = node(3);
    const sender = peer(1);
    const others = [2, 3].map((i) => peer(i));
    g.onEstablished(sender, false, null);
    for (const p of others) g.onEstablished(p, false, null);
    for (let i = 0; i < 50; i++) g.onAddresses(sender, addrMsg([`127.210.${i}.1:18444`], Math.floor(clock.now() / 1000)));
    flush(g, clock);
    // 1 initial token, then 0.1/s: 50 messages in an instant admit 1.
    const relayed = new Set([...relayedTo(others).values()].flat());
    expect(relayed.size).toBe(1);
  });

  it('chooses the same destinations for an address all day, by a keyed hash', () => {
    const relay = new AddrRelay(new Uint8Array(16).fill(7));
    const peers = Array.from({ length: 20 }, (_, i) => ({ id: i, addrRelay: true, addrV2: true }));
    const day0 = Date.UTC(2026, 0, 1);
    const pick = (addr: string, t: number): number[] => relay.targets(addr, { nowMs: t, originator: -1, peers, reachable: true, needsAddrV2: false });
    let changed = 0;
    for (let i = 0; i < 20; i++) {
      const a = `127.220.${i}.1:18444`;
      const first = pick(a, day0);
      expect(first.length).toBe(2);
      // Within one 24 h window (aligned per address) the choice holds; across windows it moves.
      expect(pick(a, day0 + 1000)).toEqual(pick(a, day0 + 1000 + 60_000));
      if (pick(a, day0 + 86_400_000 * 3).join() !== first.join()) changed++;
    }
    expect(changed).toBeGreaterThan(10);
    // Another node's secret picks differently.
    const other = new AddrRelay(new Uint8Array(16).fill(8));
    const differs = Array.from({ length: 20 }, (_, i) => `127.221.${i}.1:1`).filter(
      (a) => other.targets(a, { nowMs: day0, originator: -1, peers, reachable: true, needsAddrV2: false }).join() !== pick(a, day0).join(),
    );
    expect(differs.length).toBeGreaterThan(10);
  });

  it('an unreachable network goes to 1 or 2 peers; non-IP addresses only to addrv2 peers', () => {
    const relay = new AddrRelay(new Uint8Array(16).fill(1));
    const peers = [
      { id: 1, addrRelay: true, addrV2: false },
      { id: 2, addrRelay: true, addrV2: true },
      { id: 3, addrRelay: false, addrV2: true },
      { id: 4, addrRelay: true, addrV2: true },
    ];
    const counts = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const t = relay.targets(`x${i}.b32.i2p:0`, { nowMs: 0, originator: 4, peers, reachable: false, needsAddrV2: true });
      expect(t.every((id) => id === 2)).toBe(true);
      counts.add(relay.targets(`x${i}.b32.i2p:0`, { nowMs: 0, originator: -1, peers, reachable: false, needsAddrV2: true }).length);
    }
    expect([...counts].sort()).toEqual([1, 2]);
  });

  it('getaddr: inbound only, once per connection, answered from a cache that lives 21–27 h', () => {
    const { g, clock } = node(4);
    const now = Math.floor(clock.now() / 1000);
    g.addrs.addAddresses(Array.from({ length: 400 }, (_, i) => ({ addr: `127.${30 + (i % 50)}.${i >> 2}.1:18444`, timestamp: now })), '127.250.0.1:1');
    const answer = (p: TestPeer): string[] => relayedTo([p]).get(p.id) ?? [];
    const a = peer(1);
    g.onEstablished(a, false, null);
    g.onGetaddr(a);
    g.onGetaddr(a);
    expect(a.sent.filter((m) => m.command === 'addr').length).toBe(1);
    const first = answer(a);
    expect(first.length).toBe(Math.min(1000, Math.floor((g.addrs.size() * 23) / 100)));
    const out = peer(2, 'outbound');
    g.onEstablished(out, false, null);
    const before = out.sent.length;
    g.onGetaddr(out);
    expect(out.sent.length).toBe(before);
    // New addresses arrive, but the cache answers the same for 21 h.
    g.addrs.addAddresses(Array.from({ length: 400 }, (_, i) => ({ addr: `127.${90 + (i % 50)}.${i >> 2}.1:18444`, timestamp: now })), '127.251.0.1:1');
    clock.advance(GETADDR_CACHE_BASE_MS - 1000);
    const b = peer(3);
    g.onEstablished(b, false, null);
    g.onGetaddr(b);
    expect(answer(b)).toEqual(first);
    clock.advance(GETADDR_CACHE_JITTER_MS + 2000);
    const c = peer(4);
    g.onEstablished(c, false, null);
    g.onGetaddr(c);
    expect(answer(c)).not.toEqual(first);
  });

  it('three nodes: an address reaches a node that never heard it directly, a bounded number of times', () => {
    // A ← X (the announcer); A — B — C in a line: C hears of X only through B.
    const clock = new ManualClock();
    const nodes = [node(11, clock).g, node(12, clock).g, node(13, clock).g];
    const links: [number, number][] = [[0, 1], [1, 2]];
    const received: number[] = [0, 0, 0];
    let nextId = 100;
    for (const [x, y] of links) {
      // One connection x → y; each side sees the other as a peer that delivers to the other node.
      const idX = nextId++;
      const idY = nextId++;
      const toY: GossipPeer = { id: idY, addr: `127.${y + 1}.0.1:18444`, direction: 'outbound', wantsAddrV2: false, protocolVersion: 70016, sendMessage: (m) => deliver(y, fromX, m) };
      const fromX: GossipPeer = { id: idX, addr: `127.${x + 1}.0.2:40000`, direction: 'inbound', wantsAddrV2: false, protocolVersion: 70016, sendMessage: (m) => deliver(x, toY, m) };
      nodes[x]!.onEstablished(toY, false, null);
      nodes[y]!.onEstablished(fromX, false, null);
    }
    function deliver(to: number, from: GossipPeer, m: Message): void {
      if (m.command !== 'addr') return;
      received[to]! += m.addresses.filter((a) => a.ip[12] === 127 && a.ip[13] === 230).length;
      nodes[to]!.onAddresses(from, m);
    }
    const announcer: GossipPeer = { id: 1, addr: '127.99.0.1:18444', direction: 'inbound', wantsAddrV2: false, protocolVersion: 70016, sendMessage: () => undefined };
    nodes[0]!.onEstablished(announcer, false, null);
    // The handshakes asked for addresses (getaddr answers are not relayed); let those settle first.
    clock.advance(60_000);
    nodes[0]!.onAddresses(announcer, addrMsg(['127.230.0.1:18444'], Math.floor(clock.now() / 1000)));
    for (let s = 0; s < 600; s++) {
      clock.advance(1000);
      for (const n of nodes) n.tick();
    }
    expect(nodes[2]!.addrs.has('127.230.0.1:18444')).toBe(true);
    // Each node hears it at most once per link: no echo back along the line.
    expect(received[1]).toBe(1);
    expect(received[2]).toBe(1);
    expect(received[0]).toBe(0);
  });
});
