/**
 * The node's durable bookkeeping between the state log and the live parts: the Lamport clocks of
 * the membership snapshot (restored so they never go backwards), whom we are connected to, and the
 * save schedule of the address table and flap counts (periodically and at shutdown).
 */
import type { Logger } from '../log.js';
import type { HealthStore } from '../health/health-store.js';
import type { AddressGossip } from './address-gossip.js';
import type { DurableState } from './durable-state.js';

/** btcd dumpAddressInterval: the address table is saved this often and at shutdown. */
const ADDR_SAVE_INTERVAL_MS = 10 * 60_000;
/** Flap counts are written hourly (lnd FlapCountFlushRate) and at shutdown. */
const FLAP_SAVE_INTERVAL_MS = 3_600_000;

export class StateKeeper {
  private membershipClock: number;
  private eventClock: number;
  private lastAddrSave: number;
  private lastFlapSave: number;

  constructor(
    private readonly durable: DurableState,
    private readonly gossip: AddressGossip,
    private readonly healthStore: HealthStore,
    private readonly log: Logger,
    now: number,
  ) {
    healthStore.importFlaps(Object.entries(durable.flaps()).map(([peer, f]) => ({ peer, count: f.count, lastFlap: f.lastFlap })));
    const clocks = durable.clocks();
    const replay = durable.replay;
    // Never go backwards: after a crash the snapshot may miss up to 500 ms of clock updates.
    const hadHistory = replay !== null && (replay.clock > 0 || replay.eventClock > 0 || replay.alive.size > 0);
    const margin = replay !== null && !replay.clean && hadHistory ? 1000 : 0;
    this.membershipClock = Math.max(clocks.membership, replay?.clock ?? 0);
    this.eventClock = Math.max(clocks.event, replay?.eventClock ?? 0) + margin;
    this.lastAddrSave = this.lastFlapSave = now;
  }

  /** A new item entered the relay (the membership snapshot's event clock). */
  itemSeen(): void {
    this.durable.membership?.updateEventClock(++this.eventClock);
  }

  /** An outbound peer is up: recorded so a restart can rejoin it. */
  memberAlive(addr: string): void {
    this.durable.membership?.alive(addr, addr);
    this.durable.membership?.updateClock(++this.membershipClock);
  }

  /** An outbound peer left while the node runs (a shutdown is not its departure: Serf). */
  memberGone(addr: string): void {
    this.durable.membership?.notAlive(addr);
    this.durable.membership?.updateClock(++this.membershipClock);
  }

  /** The 1 s ticker: saves on their schedule, compaction after an address save. */
  tick(now: number): void {
    if (now - this.lastAddrSave >= ADDR_SAVE_INTERVAL_MS) {
      this.lastAddrSave = now;
      void this.saveAddresses()
        .then(() => this.durable.maybeCompact())
        .catch((err: unknown) => this.log.warn('saving or compacting the state failed', { err }));
    }
    if (now - this.lastFlapSave >= FLAP_SAVE_INTERVAL_MS) {
      this.lastFlapSave = now;
      void this.saveFlaps().catch((err: unknown) => this.log.warn('saving flap counts failed', { err }));
    }
  }

  /** Final saves at shutdown; failures are logged, never thrown (the stop goes on). */
  async saveAll(): Promise<void> {
    await this.saveAddresses().catch((err: unknown) => this.log.warn('saving the address table failed', { err }));
    await this.saveFlaps().catch((err: unknown) => this.log.warn('saving flap counts failed', { err }));
  }

  private async saveAddresses(): Promise<void> {
    if (!this.durable.persistent) return;
    await this.durable.commit({ type: 'addrTable', table: this.gossip.addrs.toJSON() });
    await this.durable.commit({ type: 'clocks', membership: this.membershipClock, event: this.eventClock });
  }

  private async saveFlaps(): Promise<void> {
    const entries = this.healthStore.exportFlaps();
    if (entries.length > 0) await this.durable.commit({ type: 'flaps', entries: entries.map((e) => ({ ...e })) });
  }
}
