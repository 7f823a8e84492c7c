/**
 * Which inbound peer to drop when every inbound slot is taken and a new peer knocks: Bitcoin
 * Core's SelectNodeToEvict (src/node/eviction.cpp, bitcoin/bitcoin#6374 and later). An attacker
 * who wants our slots must beat our best peers on several axes at once: network diversity, low
 * ping, useful relay and connection age. Pure: no sockets, no clock; the caller passes records.
 *
 * Differences from Core (docs/addresses-and-connections.md):
 * - the 4 network-group protections go to 4 distinct groups (Core protects the last 4 peers of a
 *   keyed sort, which may share a group);
 * - ping, transaction and block protections only go to peers that have a ping or have relayed
 *   something: a silent peer earns no protection by tie;
 * - there are no block-relay-only peers, so Core's 8 block-relay-only protections do not apply;
 * - the uptime protection reserves its share for loopback peers (we have no onion or I2P).
 */

/** What eviction needs to know about one inbound peer. */
export interface EvictionCandidate {
  readonly id: number;
  /** Inbound network group (see inboundGroup in src/conn/inbound-policy.ts). */
  readonly group: string;
  /** Unix ms the connection was accepted. */
  readonly connectedAt: number;
  /** Lowest ping round trip seen, ms; Infinity when none was measured. */
  readonly minPingMs: number;
  /** Unix ms of the last transaction this peer sent us first; 0 if never. */
  readonly lastTxAt: number;
  /** Unix ms of the last block this peer sent us first; 0 if never. */
  readonly lastBlockAt: number;
  /** Loopback peer: shares the uptime protection reserved for disadvantaged networks. */
  readonly local: boolean;
  /** Whitelisted (noban): never evicted. */
  readonly noban: boolean;
}

/** Core's protection counts. */
export const PROTECT_BY_GROUP = 4;
export const PROTECT_BY_PING = 8;
export const PROTECT_BY_TX = 4;
export const PROTECT_BY_BLOCK = 4;

/**
 * Ranks a group for the network-group protection. Keyed with a per-node secret (Core's keyed
 * netgroup), so an attacker cannot predict which groups are protected.
 */
export type GroupRank = (group: string) => number;

/** Removes up to `k` candidates, best first by `better` among those `eligible`. */
function protect(list: EvictionCandidate[], k: number, better: (a: EvictionCandidate, b: EvictionCandidate) => number, eligible: (c: EvictionCandidate) => boolean): EvictionCandidate[] {
  const chosen = new Set(list.filter(eligible).sort(better).slice(0, k));
  return list.filter((c) => !chosen.has(c));
}

/** Older first; on equal times the lower id (accepted first). */
const olderFirst = (a: EvictionCandidate, b: EvictionCandidate): number => a.connectedAt - b.connectedAt || a.id - b.id;

/**
 * The id of the peer to evict, or null when every candidate is protected (the newcomer is then
 * refused). Outbound peers must not be passed in; noban peers may be and are skipped.
 */
export function selectInboundToEvict(candidates: readonly EvictionCandidate[], groupRank: GroupRank): number | null {
  let list = candidates.filter((c) => !c.noban);

  // 4 distinct network groups, chosen by keyed rank; the longest-connected peer of each.
  const groups = [...new Set(list.map((c) => c.group))].sort((a, b) => groupRank(b) - groupRank(a) || (a < b ? -1 : 1));
  const keep = new Set<EvictionCandidate>();
  for (const g of groups.slice(0, PROTECT_BY_GROUP)) {
    const oldest = list.filter((c) => c.group === g).sort(olderFirst)[0];
    if (oldest !== undefined) keep.add(oldest);
  }
  list = list.filter((c) => !keep.has(c));

  list = protect(list, PROTECT_BY_PING, (a, b) => a.minPingMs - b.minPingMs || olderFirst(a, b), (c) => Number.isFinite(c.minPingMs));
  list = protect(list, PROTECT_BY_TX, (a, b) => b.lastTxAt - a.lastTxAt || olderFirst(a, b), (c) => c.lastTxAt > 0);
  list = protect(list, PROTECT_BY_BLOCK, (a, b) => b.lastBlockAt - a.lastBlockAt || olderFirst(a, b), (c) => c.lastBlockAt > 0);

  // Half of the rest by longest connection; up to a quarter of them reserved for loopback peers.
  const half = Math.floor(list.length / 2);
  const localShare = Math.min(Math.floor(list.length / 4), half);
  const localKept = list.filter((c) => c.local).sort(olderFirst).slice(0, localShare);
  list = list.filter((c) => !localKept.includes(c));
  list = list.sort(olderFirst).slice(half - localKept.length);

  if (list.length === 0) return null;

  // The group with the most connections (ties: the one with the youngest member); its youngest peer.
  const byGroup = new Map<string, EvictionCandidate[]>();
  for (const c of list) {
    const g = byGroup.get(c.group);
    if (g === undefined) byGroup.set(c.group, [c]);
    else g.push(c);
  }
  let best: EvictionCandidate[] | undefined;
  let bestYoungest: EvictionCandidate | undefined;
  for (const members of byGroup.values()) {
    const youngest = members.reduce((y, c) => (olderFirst(c, y) > 0 ? c : y));
    if (best === undefined || members.length > best.length || (members.length === best.length && olderFirst(youngest, bestYoungest!) > 0)) {
      best = members;
      bestYoungest = youngest;
    }
  }
  return bestYoungest!.id;
}
