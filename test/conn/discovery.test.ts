/**
 * Discovery through our own DNS server on loopback (test/helpers/dns-server.ts) and node:dns with
 * --dns-server: a fresh node learns addresses from its DNS seeds, each seed its own source group,
 * stamped 3–7 days old; a dead seed is reported and the others still count; fixed seeds follow
 * Core's 60-second rule; a seed node is asked for addresses and let go once it answers. Nothing
 * here resolves or dials outside this machine: every seed name exists only in our server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { DNS_SEEDS, FIXED_SEEDS, querySeeds, seedResolver, shouldAddFixedSeeds } from '../../src/conn/discovery.js';
import { silentLogger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import { AddressGossip, type GossipPeer } from '../../src/node/address-gossip.js';
import { seededRandom } from '../../src/util/random.js';
import { addressGroup, parseIpPort } from '../../src/util/host-port.js';
import { NETWORKS } from '../../src/wire/constants.js';
import type { Message } from '../../src/wire/codec.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';

const servers: DnsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function dns(records: Record<string, string[]>): Promise<DnsServer> {
  const s = await startDnsServer(new Map(Object.entries(records)));
  servers.push(s);
  return s;
}

describe('DNS seeds', () => {
  it('lists Core\'s seeds per network; regtest has none, and fixed seeds are routable', () => {
    expect(DNS_SEEDS.mainnet).toContain('seed.bitcoin.sipa.be');
    expect(DNS_SEEDS.regtest).toEqual([]);
    for (const a of FIXED_SEEDS.mainnet) expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+:8333$/);
  });

  it('has fixed seeds for testnet4 and signet on their default ports, one per /16, and none for regtest', () => {
    for (const net of ['testnet4', 'signet'] as const) {
      const seeds = FIXED_SEEDS[net];
      expect(seeds.length, net).toBeGreaterThan(0);
      for (const a of seeds) expect(a, net).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+\\.\\d+:${NETWORKS[net].defaultPort}$`));
      expect(new Set(seeds.map((a) => addressGroup(a))).size, net).toBe(seeds.length);
    }
    expect(FIXED_SEEDS.regtest).toEqual([]);
  });

  it('a fresh node learns addresses from its seeds through --dns-server on loopback', async () => {
    const server = await dns({
      'seed-a.wirerelay.test': ['127.40.0.1', '127.41.0.1', '::1'],
      'seed-b.wirerelay.test': ['127.42.0.1'],
    });
    const clock = new ManualClock();
    const results = await querySeeds(['seed-a.wirerelay.test', 'seed-b.wirerelay.test', 'gone.wirerelay.test'], {
      resolver: seedResolver(server.addr, 2000),
      port: 18444,
      nowMs: clock.now(),
      random: seededRandom(1),
    });
    const bySeed = new Map(results.map((r) => [r.seed, r]));
    expect(bySeed.get('seed-a.wirerelay.test')!.addresses.map((e) => e.addr).sort()).toEqual(['127.40.0.1:18444', '127.41.0.1:18444', '[::1]:18444']);
    expect(bySeed.get('gone.wirerelay.test')!.error).toMatchObject({ code: 'ERR_DISCOVERY' });
    for (const r of results) {
      for (const e of r.addresses) {
        const ageDays = (clock.now() / 1000 - e.timestamp) / 86_400;
        expect(ageDays).toBeGreaterThanOrEqual(3);
        expect(ageDays).toBeLessThanOrEqual(7);
      }
    }
    // Every question went to our server, A and AAAA for each seed.
    expect(server.questions.filter((q) => q.type === 'A').length).toBe(3);
    expect(server.questions.filter((q) => q.type === 'AAAA').length).toBe(3);

    const g = new AddressGossip(resolveConfig({ network: 'regtest' }), clock, silentLogger, null, { random: seededRandom(2) });
    for (const r of results) g.addFromSeed(r.seed, r.addresses);
    expect(g.addrs.size()).toBe(4);
    // Each seed is its own source group.
    expect(g.addrs.get('127.42.0.1:18444')!.src).toBe('seed-b.wirerelay.test');
  });

  it('fixed seeds: after 60 s with an empty table, or at once when there is no other source', () => {
    const base = { tableSize: 0, sinceStartMs: 0, dnsSeeds: 3, seedNodes: 0, manualPeers: 0, added: false };
    expect(shouldAddFixedSeeds(base)).toBe(false);
    expect(shouldAddFixedSeeds({ ...base, sinceStartMs: 61_000 })).toBe(true);
    expect(shouldAddFixedSeeds({ ...base, sinceStartMs: 61_000, tableSize: 5 })).toBe(false);
    expect(shouldAddFixedSeeds({ ...base, dnsSeeds: 0 })).toBe(true);
    expect(shouldAddFixedSeeds({ ...base, dnsSeeds: 0, manualPeers: 1 })).toBe(false);
    expect(shouldAddFixedSeeds({ ...base, sinceStartMs: 61_000, added: true })).toBe(false);
  });
});

describe('--seednode (Core addr fetch)', () => {
  it('asks the seed node for addresses and lets it go once it answered', () => {
    const clock = new ManualClock();
    const g = new AddressGossip(resolveConfig({ network: 'regtest' }), clock, silentLogger, null, { random: seededRandom(3) });
    // Enough addresses that a normal outbound peer would not be asked.
    g.addrs.addAddresses(Array.from({ length: 1200 }, (_, i) => ({ addr: `127.${50 + (i % 100)}.${i >> 2}.1:18444`, timestamp: Math.floor(clock.now() / 1000) })), '127.1.1.1:1');
    const sent: Message[] = [];
    const seed: GossipPeer = { id: 1, addr: '127.9.0.1:18444', direction: 'outbound', wantsAddrV2: false, protocolVersion: 70016, sendMessage: (m) => void sent.push(m) };
    g.onEstablished(seed, false, null, { addrFetch: true });
    expect(sent.some((m) => m.command === 'getaddr')).toBe(true);
    const now = Math.floor(clock.now() / 1000);
    const reply = { command: 'addr' as const, addresses: ['127.200.0.1:18444', '127.201.0.1:18444'].map((a) => ({ timestamp: now, services: 1n, ...parseIpPort(a)! })) };
    expect(g.onAddresses(seed, reply)).toEqual({ disconnect: true });
    expect(g.addrs.has('127.200.0.1:18444')).toBe(true);
  });
});
