/**
 * Inbound slot policy: who may take an inbound slot, and whom a newcomer displaces when they are
 * all taken. Four rules, checked in this order when a connection is accepted:
 *
 * 1. Per-address and per-group limits: one address (or one /16, IPv6 /32) can hold only a few
 *    slots, however often it reconnects. Whitelisted (noban) peers are exempt.
 * 2. Pre-handshake budget: connections that have not finished the version handshake may hold at
 *    most `maxPending` slots. Past it, a newcomer displaces a pending connection of the most
 *    crowded group (its oldest one: it had the longest time to say something); when that group
 *    is the newcomer's own, the newcomer is refused instead (same outcome, less work).
 * 3. When every slot is taken and some connection is still pending, the newcomer displaces one of
 *    those the same way: a silent socket never holds a slot against a peer that talks.
 * 4. When every slot is held by an established peer, Core's eviction picks one
 *    (src/conn/eviction.ts); when all are protected, the newcomer is refused.
 *
 * The decision is a pure function over small records; InboundSlots keeps the records for the node.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { PeerStats } from '../stats/peer-stats.js';
import { addressGroup } from '../util/host-port.js';
import { isLocal, parseIp } from '../util/ip.js';
import { selectInboundToEvict } from './eviction.js';
import type { EvictionCandidate, GroupRank } from './eviction.js';

/** Inbound slots: Core's 125 total minus our 8 outbound. */
export const DEFAULT_MAX_INBOUND = 117;
/** Connections one IP address may hold. */
export const DEFAULT_MAX_INBOUND_PER_ADDRESS = 8;
/** Connections one network group (/16, IPv6 /32) may hold. */
export const DEFAULT_MAX_INBOUND_PER_GROUP = 16;

/** The default pre-handshake budget: half of the inbound slots. */
export function defaultMaxPending(maxInbound: number): number {
  return Math.ceil(maxInbound / 2);
}

/**
 * The group an inbound address counts against: an IPv4 /16 or IPv6 /32 for a routable address
 * (btcd GroupKey). A loopback or private address is its own group: its prefix says nothing about
 * who runs it, and local test networks put every peer there.
 */
export function inboundGroup(ip: string): string {
  return addressGroup(ip, { localPerHost: true });
}

/** One inbound connection as the policy sees it. */
export interface InboundPeer extends EvictionCandidate {
  /** Canonical IP text. */
  readonly ip: string;
  /** The version handshake has completed. */
  readonly established: boolean;
}

export interface InboundLimits {
  readonly maxInbound: number;
  readonly maxPerAddress: number;
  readonly maxPerGroup: number;
  /** Slots that connections still in the handshake may hold. */
  readonly maxPending: number;
}

export type RefusalReason = 'per_address' | 'per_group' | 'pending_budget' | 'full' | 'none_evictable';

export type InboundDecision =
  | { readonly accept: true; readonly evict: number | null; readonly why: 'free' | 'pending_budget' | 'pending' | 'eviction' }
  | { readonly accept: false; readonly reason: RefusalReason };

/** The oldest pending connection of the most crowded group (ties: the larger address count), never a noban one. */
function pendingVictim(peers: readonly InboundPeer[]): number | null {
  const pending = peers.filter((p) => !p.established && !p.noban);
  if (pending.length === 0) return null;
  const perGroup = new Map<string, number>();
  for (const p of pending) perGroup.set(p.group, (perGroup.get(p.group) ?? 0) + 1);
  let victim: InboundPeer | undefined;
  for (const p of pending) {
    if (victim === undefined) {
      victim = p;
      continue;
    }
    const d = perGroup.get(p.group)! - perGroup.get(victim.group)!;
    if (d > 0 || (d === 0 && (p.connectedAt < victim.connectedAt || (p.connectedAt === victim.connectedAt && p.id < victim.id)))) victim = p;
  }
  return victim!.id;
}

/** Decides on a new inbound connection from `ip`, given the current inbound peers. */
export function decideInbound(incoming: { readonly ip: string; readonly noban: boolean }, peers: readonly InboundPeer[], limits: InboundLimits, groupRank: GroupRank): InboundDecision {
  if (limits.maxInbound === 0) return { accept: false, reason: 'full' };
  const group = inboundGroup(incoming.ip);
  // A newcomer that would only displace a pending connection of its own group is refused
  // instead: same outcome, without the cost of accepting it and closing the other.
  const displace = (why: 'pending_budget' | 'pending', v: number): InboundDecision =>
    !incoming.noban && peers.find((p) => p.id === v)!.group === group ? { accept: false, reason: 'pending_budget' } : { accept: true, evict: v, why };
  if (!incoming.noban) {
    let sameAddr = 0;
    let sameGroup = 0;
    for (const p of peers) {
      if (p.ip === incoming.ip) sameAddr++;
      if (p.group === group) sameGroup++;
    }
    if (sameAddr >= limits.maxPerAddress) return { accept: false, reason: 'per_address' };
    if (sameGroup >= limits.maxPerGroup) return { accept: false, reason: 'per_group' };
  }
  let pending = 0;
  for (const p of peers) if (!p.established) pending++;
  if (pending >= limits.maxPending) {
    const v = pendingVictim(peers);
    if (v !== null) return displace('pending_budget', v);
  }
  if (peers.length < limits.maxInbound) return { accept: true, evict: null, why: 'free' };
  const v = pendingVictim(peers);
  if (v !== null) return displace('pending', v);
  const e = selectInboundToEvict(
    peers.filter((p) => p.established),
    groupRank,
  );
  return e === null ? { accept: false, reason: 'none_evictable' } : { accept: true, evict: e, why: 'eviction' };
}

interface Slot {
  id: number;
  ip: string;
  group: string;
  connectedAt: number;
  established: boolean;
  /** Read from the peer's stats, the one owner of its ping times. */
  readonly minPingMs: number;
  lastTxAt: number;
  lastBlockAt: number;
  local: boolean;
  noban: boolean;
}

export interface InboundSlotsOptions {
  readonly maxInbound?: number;
  readonly maxPerAddress?: number;
  readonly maxPerGroup?: number;
  readonly maxPending?: number;
  /** Secret for the keyed group rank; random by default. */
  readonly key?: Uint8Array;
}

function limit(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got ${String(v)}`, { [name]: v });
  return n;
}

/** The node's inbound connections and what eviction needs to know about each. */
export class InboundSlots {
  readonly limits: InboundLimits;
  private readonly slots = new Map<number, Slot>();
  private readonly key: Uint8Array;
  private readonly rank: GroupRank;

  constructor(opts: InboundSlotsOptions = {}) {
    const maxInbound = limit('maxInbound', opts.maxInbound, DEFAULT_MAX_INBOUND);
    this.limits = Object.freeze({
      maxInbound,
      maxPerAddress: limit('maxInboundPerAddress', opts.maxPerAddress, DEFAULT_MAX_INBOUND_PER_ADDRESS),
      maxPerGroup: limit('maxInboundPerGroup', opts.maxPerGroup, DEFAULT_MAX_INBOUND_PER_GROUP),
      maxPending: limit('maxPendingInbound', opts.maxPending, defaultMaxPending(maxInbound)),
    });
    this.key = opts.key ?? randomBytes(16);
    const ranks = new Map<string, number>();
    this.rank = (group) => {
      let r = ranks.get(group);
      if (r === undefined) {
        r = createHash('sha256').update(this.key).update(group).digest().readUInt32BE(0);
        if (ranks.size > 4096) ranks.clear();
        ranks.set(group, r);
      }
      return r;
    };
  }

  /** What to do with a connection from `ip` (canonical IP text). Changes nothing. */
  admit(ip: string, noban: boolean): InboundDecision {
    return decideInbound({ ip, noban }, [...this.slots.values()], this.limits, this.rank);
  }

  /** Records an accepted connection; eviction reads its lowest ping from `pings` (the peer's stats). */
  add(id: number, ip: string, now: number, noban: boolean, pings: Readonly<Pick<PeerStats, 'minPingMs'>>): void {
    const b = parseIp(ip);
    this.slots.set(id, {
      id,
      ip,
      group: inboundGroup(ip),
      connectedAt: now,
      established: false,
      get minPingMs() {
        return pings.minPingMs ?? Infinity;
      },
      lastTxAt: 0,
      lastBlockAt: 0,
      local: b !== null && isLocal(b),
      noban,
    });
  }

  remove(id: number): boolean {
    return this.slots.delete(id);
  }

  has(id: number): boolean {
    return this.slots.has(id);
  }

  established(id: number): void {
    const s = this.slots.get(id);
    if (s !== undefined) s.established = true;
  }

  novelTx(id: number, now: number): void {
    const s = this.slots.get(id);
    if (s !== undefined) s.lastTxAt = now;
  }

  novelBlock(id: number, now: number): void {
    const s = this.slots.get(id);
    if (s !== undefined) s.lastBlockAt = now;
  }

  get used(): number {
    return this.slots.size;
  }

  get pending(): number {
    let n = 0;
    for (const s of this.slots.values()) if (!s.established) n++;
    return n;
  }
}
