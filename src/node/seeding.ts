/**
 * How a node with nothing but a network name finds its first peers (Core's ThreadDNSAddressSeed
 * and fixed seeds, src/net.cpp): the network's DNS seeds (or `--dns-seed`, through `--dns-server`)
 * when the address table is empty at start, or 11 s later when no outbound peer has connected;
 * the fixed seeds when the table is still empty after a minute. Nothing happens for a node that
 * dials no automatic peers (`--connect`, `targetOutbound: 0`).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { FIXED_SEEDS, querySeeds, seedResolver, shouldAddFixedSeeds } from '../conn/discovery.js';
import { cryptoRandom } from '../util/random.js';
import { NETWORKS } from '../wire/constants.js';
import type { AddressGossip } from './address-gossip.js';
import type { RelayConfig } from '../types.js';

/** Core's DNSSEEDS_DELAY_FEW_PEERS: with addresses already known, wait this long before asking the seeds. */
export const DNS_SEED_DELAY_MS = 11_000;

export class Seeding {
  private readonly startedAt: number;
  private fixedAdded = false;
  private queried = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: RelayConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly gossip: AddressGossip,
    /** Established automatic outbound peers now. */
    private readonly outbound: () => number,
  ) {
    this.startedAt = clock.now();
  }

  private get wanted(): boolean {
    return this.config.connect.length === 0 && this.config.targetOutbound > 0;
  }

  start(): void {
    if (!this.wanted || this.config.dnsSeed.length === 0) return;
    if (this.tableSize() === 0) return void this.query();
    this.timer = setTimeout(() => {
      if (this.outbound() === 0) void this.query();
    }, DNS_SEED_DELAY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** The 1 s ticker: the fixed seeds, once, when nothing else gave us an address. */
  tick(now: number): void {
    if (!this.wanted) return;
    const add = shouldAddFixedSeeds({
      tableSize: this.tableSize(),
      sinceStartMs: now - this.startedAt,
      dnsSeeds: this.config.dnsSeed.length,
      seedNodes: this.config.seedNode.length,
      manualPeers: this.config.addPeer.length,
      added: this.fixedAdded,
    });
    const fixed = FIXED_SEEDS[this.config.network];
    if (!add || fixed.length === 0) return;
    this.fixedAdded = true;
    const ts = Math.floor(now / 1000);
    const added = this.gossip.addFromSeed('fixed-seeds', fixed.map((addr) => ({ addr, timestamp: ts, services: 0n })));
    this.log.info('adding the fixed seeds', { added });
  }

  private tableSize(): number {
    return this.gossip.addrs.numNew() + this.gossip.addrs.numTried();
  }

  private async query(): Promise<void> {
    if (this.queried) return;
    this.queried = true;
    const results = await querySeeds(this.config.dnsSeed, {
      resolver: seedResolver(this.config.dnsServer),
      port: NETWORKS[this.config.network].defaultPort,
      nowMs: this.clock.now(),
      random: cryptoRandom,
    });
    for (const r of results) {
      if (r.error !== null) this.log.warn('DNS seed failed', { seed: r.seed, err: r.error.message });
      const added = this.gossip.addFromSeed(r.seed, r.addresses);
      this.log.info('addresses from a DNS seed', { seed: r.seed, found: r.addresses.length, added });
    }
  }
}
