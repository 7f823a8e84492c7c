import type { Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { type HealthReport, PeerHealth, PREFERENCE_PRIOR_RATIO, rateLimitForCount } from './peer-health.js';

/** One peer's persisted flap state (lnd stores {Count u32, LastFlap} per peer). */
export interface FlapEntry {
  readonly peer: string;
  readonly count: number;
  readonly lastFlap: number;
}

export interface HealthStoreOptions {
  clock: Clock;
  /**
   * Addresses tracked at most. Past it, the longest-known offline address is forgotten to admit a
   * new one, so a stream of one-off inbound addresses cannot grow the store without bound.
   */
  maxPeers?: number;
}

export const DEFAULT_MAX_PEERS = 20_000;
/** lnd's flap counts are u32 on disk. */
const MAX_FLAP_COUNT = 0xffff_ffff;

/**
 * Online/offline monitors for every peer address (`HOST:PORT`), and the numbers the connection
 * manager asks for: reconnect delay (`rateLimitMs`) and outbound preference (`preferenceScore`).
 */
export class HealthStore {
  private readonly clock: Clock;
  private readonly maxPeers: number;
  private readonly peers = new Map<string, PeerHealth>();
  private changes = 0;

  constructor(opts: HealthStoreOptions) {
    this.clock = opts.clock;
    this.maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS;
    if (!Number.isInteger(this.maxPeers) || this.maxPeers < 1) throw new ConfigError('maxPeers must be a positive integer');
  }

  /** Bumped whenever persisted flap state changes: the flusher's dirty check. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.peers.size;
  }

  online(peer: string): boolean {
    return this.event(peer, true);
  }

  offline(peer: string): boolean {
    return this.event(peer, false);
  }

  /** Reports a connection coming up or going down; true when it counted as a flap. */
  event(peer: string, online: boolean): boolean {
    const flapped = this.monitor(peer).event(online, this.clock.now());
    if (flapped) this.changes++;
    return flapped;
  }

  health(peer: string): HealthReport | undefined {
    return this.peers.get(peer)?.report(this.clock.now());
  }

  /** Time `peer` was online within [startMs, endMs]; 0 for an unknown address. */
  uptime(peer: string, startMs: number, endMs: number): number {
    if (!(endMs >= startMs)) throw new ConfigError('uptime: end before start', { startMs, endMs });
    return this.peers.get(peer)?.uptime(startMs, endMs, this.clock.now()) ?? 0;
  }

  /** Minimum delay before redialling `peer`: its flap tier's event spacing (1 s … 1 h). */
  rateLimitMs(peer: string): number {
    return rateLimitForCount(this.peers.get(peer)?.flapCount(this.clock.now()) ?? 0);
  }

  /** Outbound address preference in [0, 1]; an unknown address gets the prior, 0.5. */
  preferenceScore(peer: string): number {
    return this.peers.get(peer)?.preferenceScore(this.clock.now()) ?? PREFERENCE_PRIOR_RATIO;
  }

  /** Events held for `peer` (bounded); for tests and debugging. */
  eventCount(peer: string): number {
    return this.peers.get(peer)?.eventCount ?? 0;
  }

  addresses(): string[] {
    return [...this.peers.keys()];
  }

  forget(peer: string): void {
    if (this.peers.delete(peer)) this.changes++;
  }

  /** Flap state of every address that ever flapped (lnd skips a nil lastFlap), raw counts. */
  exportFlaps(): FlapEntry[] {
    const out: FlapEntry[] = [];
    for (const [peer, h] of this.peers) {
      const lastFlap = h.lastFlap;
      if (lastFlap !== undefined) out.push(Object.freeze({ peer, count: h.rawFlapCount, lastFlap }));
    }
    return out;
  }

  /**
   * Restores flap state saved by exportFlaps, replacing what the store holds for those addresses.
   * Call before the node reports events. Malformed entries are skipped and counted.
   */
  importFlaps(list: readonly FlapEntry[]): { imported: number; skipped: number } {
    let imported = 0;
    let skipped = 0;
    for (const e of list) {
      if (!isFlapEntry(e)) {
        skipped++;
        continue;
      }
      this.monitor(e.peer).restoreFlaps(e.count, e.lastFlap);
      imported++;
    }
    return { imported, skipped };
  }

  private monitor(peer: string): PeerHealth {
    let h = this.peers.get(peer);
    if (h === undefined) {
      if (this.peers.size >= this.maxPeers) this.evictOne();
      h = new PeerHealth();
      this.peers.set(peer, h);
    }
    return h;
  }

  private evictOne(): void {
    // Map order is insertion order: the first offline entry is the longest-known one.
    for (const [peer, h] of this.peers) {
      if (!h.online) {
        this.forget(peer);
        return;
      }
    }
    const first = this.peers.keys().next();
    if (first.done !== true) this.forget(first.value);
  }
}

export function isFlapEntry(e: unknown): e is FlapEntry {
  if (typeof e !== 'object' || e === null) return false;
  const { peer, count, lastFlap } = e as Record<string, unknown>;
  return (
    typeof peer === 'string' &&
    peer.length > 0 &&
    peer.length <= 512 &&
    Number.isInteger(count) &&
    (count as number) >= 0 &&
    (count as number) <= MAX_FLAP_COUNT &&
    Number.isFinite(lastFlap)
  );
}
