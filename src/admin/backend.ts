/**
 * What the admin endpoint needs from a running node. The relay node implements it; tests implement
 * it over plain maps. Every method is called on the main thread, in request order.
 *
 * Error contract: a method that rejects a target or address throws a `RelayError` with code
 * `ERR_CONFIG` (served as 400); any other throw is served as 500. The admin layer has already checked
 * syntax (IP or CIDR, `HOST:PORT`) before it calls, so these throws are for semantic refusals
 * (e.g. banning a whitelisted address).
 */
import type { BanInfo, NodeStatus, PeerInfo } from '../types.js';
import { hostOf } from '../util/host-port.js';

/** How `flows()` orders its rows: total bytes, or the current byte rate. */
export type FlowOrder = 'bytes' | 'rate';

/** One (source peer → destination peer) relay flow; peers are `HOST:PORT`. */
export interface FlowRow {
  readonly src: string;
  readonly dst: string;
  /** Delivered to a peer connected here, since the flow was created (flow table: `local`). */
  readonly packets: number;
  readonly bytes: number;
  /** Forwarded to a mesh instance for its peers (flow table: `mesh`). */
  readonly packetsMesh: number;
  readonly bytesMesh: number;
  /** Packets dropped on this flow, by drop reason (e.g. `queue_head`); src/stats/drop-reasons.ts. */
  readonly drops: Readonly<Record<string, number>>;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly lastActive: number;
  /** Bytes per second over the flow table's rate window. */
  readonly rateBps: number;
  /** Transport of each end while it is connected (v1 plaintext, v2 BIP324); null once gone. */
  readonly srcTransport?: 'v1' | 'v2' | null;
  readonly dstTransport?: 'v1' | 'v2' | null;
}

/** Long-run health of one peer address, kept across reconnects. */
export interface HealthInfo {
  readonly peer: string;
  /** Time since the address was first seen. */
  readonly lifespanMs: number;
  /** Time connected (established) within the lifespan. */
  readonly uptimeMs: number;
  /** uptimeMs / lifespanMs, in [0, 1]. */
  readonly uptimeRatio: number;
  /** Connect/disconnect cycles counted as flaps. */
  readonly flapCount: number;
  readonly lastFlap: number | null;
  /** Flap rate-limit tier (src/health: flapCount / FLAP_TIER_SIZE, clamped); 0 = best. */
  readonly tier: number;
  readonly online: boolean;
}

export interface BanOptions {
  /** Omitted: the node's configured ban duration. */
  readonly durationMs?: number;
  readonly reason?: string;
}

export interface ConnectOptions {
  /** Redial after disconnects, like `--add-peer`. */
  readonly permanent?: boolean;
  /** The peer's transport, like Core's `addnode … v2transport` (default: src/transport/transport-policy.ts). */
  readonly transport?: 'v1' | 'v2';
}

export interface AdminBackend {
  status(): NodeStatus;
  peers(): PeerInfo[];
  bans(): BanInfo[];
  /** `target` is an IP or a CIDR subnet. Resolves only once the ban is durable (persisted). */
  ban(target: string, opts: BanOptions): Promise<void>;
  /** Resolves true if a ban was removed (durably), false if the target was not banned. */
  unban(target: string): Promise<boolean>;
  /** Starts dialling `addr` (`HOST:PORT`); the outcome shows up in `peers()`. */
  connect(addr: string, opts?: ConnectOptions): void;
  /** False if no peer has that address. */
  disconnect(addr: string): boolean;
  /** The `top` busiest flows by `by`, busiest first. */
  flows(top: number, by: FlowOrder): readonly FlowRow[];
  /** Null if the node has no record of that peer. */
  health(peer: string): HealthInfo | null;
  /** Prometheus text exposition format 0.0.4. */
  metricsText(): Promise<string>;
  /** Leave the network gracefully; resolves once the leave is recorded durably. */
  leave(): Promise<void>;
}

/**
 * Health records of the peers connected now (`GET /health`, the status page): outbound ones by
 * HOST:PORT, inbound ones by IP (their source port changes with every connection).
 */
export function currentHealth(b: AdminBackend): HealthInfo[] {
  const out: HealthInfo[] = [];
  const seen = new Set<string>();
  for (const p of b.peers()) {
    const key = p.direction === 'inbound' ? hostOf(p.addr) : p.addr;
    if (seen.has(key)) continue;
    seen.add(key);
    const h = b.health(key);
    if (h !== null) out.push(h);
  }
  return out;
}
