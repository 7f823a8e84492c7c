/**
 * Outbound peers that would keep us on a stale chain, and the extra outbound peers that guard
 * against it: Bitcoin Core's ConsiderEviction, CheckForStaleTipAndEvictPeers and
 * EvictExtraOutboundPeers (src/net_processing.cpp). The one owner of that bookkeeping; driven by
 * the node's ticker. It reads each peer's best known header and last announcement from
 * HeaderSync, hears of novel blocks from the item feed, and acts by closing peers, asking
 * HeaderSync for one getheaders, and telling the Connector to allow an extra outbound peer.
 *
 * - **Stale chain** (ConsiderEviction): an automatic outbound peer (full-relay or block-relay-only;
 *   not manual, mesh or feeler) whose best known header has less work than our tip gets
 *   CHAIN_SYNC_TIMEOUT (20 min) to reach the work our tip had then. If it catches up to that work
 *   but we moved on, the timer restarts from our new tip; if it reaches our tip, the timer is
 *   cleared. On expiry it gets one getheaders (from the parent of that tip, under HeaderSync's
 *   one-in-flight rule, as Core's MaybeSendGetHeaders) and HEADERS_RESPONSE_TIME (2 min) more;
 *   still behind then, it is closed (`stale_chain`).
 * - **Protection**: up to MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT (4) full-relay outbound
 *   peers whose best known header had at least our tip's work are exempt for the rest of their
 *   connection (Core m_protect). Block-relay-only peers are never protected (Core).
 * - **Stale tip** (CheckForStaleTipAndEvictPeers, every STALE_CHECK_INTERVAL = 10 min): no new
 *   tip for 3 block intervals (Core TipMayBeStale, 30 min on mainnet) and no block in flight:
 *   the Connector may open one full-relay peer beyond the target (m_try_another_outbound_peer).
 * - **Extra peers** (EvictExtraOutboundPeers, every EXTRA_PEER_CHECK_INTERVAL = 45 s): over the
 *   full-relay target, the unprotected full-relay peer with the oldest last block announcement
 *   (ties: the youngest connection; never the only one on its network) is closed; over the
 *   block-relay-only budget (the extra one Core opens every 5 min once synced), the youngest
 *   block-relay-only peer is closed, or the next-youngest if the youngest gave us a block more
 *   recently. Either only after MINIMUM_CONNECT_TIME (30 s) connected and with no block in flight
 *   from it (`extra_outbound`).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { networkOf } from '../conn/dial-scope.js';
import type { Peer } from '../peer/peer.js';
import type { Connector } from './connector.js';
import { HEADERS_RESPONSE_TIME_MS, type HeaderSync } from './header-sync.js';
import type { PeerLifecycle } from './peer-set.js';
import type { PeerRegistry } from './peer-registry.js';

/** Core CHAIN_SYNC_TIMEOUT: time for an outbound peer to reach the work of our tip. */
export const CHAIN_SYNC_TIMEOUT_MS = 20 * 60_000;
/** Core MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT. */
export const MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT = 4;
/** Core STALE_CHECK_INTERVAL: how often the tip is checked for staleness. */
export const STALE_CHECK_INTERVAL_MS = 10 * 60_000;
/** Core EXTRA_PEER_CHECK_INTERVAL: how often extra outbound peers are looked for. */
export const EXTRA_PEER_CHECK_INTERVAL_MS = 45_000;
/** Core MINIMUM_CONNECT_TIME: an extra peer is closed only after this long connected. */
export const MINIMUM_CONNECT_TIME_MS = 30_000;

export interface OutboundEvictionParts {
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: Pick<PeerRegistry, 'values'>;
  readonly sync: Pick<HeaderSync, 'chain' | 'peerBest' | 'lastAnnouncement' | 'askHeaders' | 'canDirectFetch'>;
  readonly connector: Pick<Connector, 'tryAnotherOutbound' | 'tryingAnotherOutbound' | 'startExtraBlockRelayPeers' | 'extraOutbound'>;
  /** Whether a block (full or compact) we asked `peerId` for is on its way (Core vBlocksInFlight). */
  readonly blockInFlight: (peerId: number) => boolean;
  /** Whether the node makes automatic outbound connections at all (Core GetUseAddrmanOutgoing). */
  readonly automaticOutbound: boolean;
}

/** Core ChainSyncTimeoutState, plus m_last_block_time. */
interface ChainSync {
  /** Unix ms at which the peer must have caught up; 0 when no timer runs. */
  timeoutAt: number;
  /** Our tip when the timer started (its work is what the peer must reach); -1 when none. */
  workEntry: number;
  sentGetheaders: boolean;
  protect: boolean;
  /** Unix ms of the last block it gave us that we did not have; 0 when never. */
  lastBlockAt: number;
}

export class OutboundEviction implements PeerLifecycle {
  private readonly peers = new Map<number, ChainSync>();
  private protectedCount = 0;
  private lastTip = -1;
  private lastTipUpdate = 0;
  private nextExtraCheck = 0;
  private nextStaleCheck = 0;
  private extraBlockRelayStarted = false;

  constructor(private readonly parts: OutboundEvictionParts) {}

  established(peer: Peer): void {
    if (peer.direction !== 'outbound' || (peer.kind !== 'full-relay' && peer.kind !== 'block-relay-only')) return;
    this.peers.set(peer.id, { timeoutAt: 0, workEntry: -1, sentGetheaders: false, protect: false, lastBlockAt: 0 });
  }

  closed(peer: Peer): void {
    if (this.peers.get(peer.id)?.protect === true) this.protectedCount--;
    this.peers.delete(peer.id);
  }

  /** A block we did not have came from `peerId` (Core m_last_block_time). */
  novelBlock(peerId: number, now: number): void {
    const s = this.peers.get(peerId);
    if (s !== undefined) s.lastBlockAt = now;
  }

  /** Whether `peerId` is protected from the stale-chain rule (tests, views). */
  isProtected(peerId: number): boolean {
    return this.peers.get(peerId)?.protect === true;
  }

  /** The ticker: per peer every pass (Core SendMessages), the extra-peer checks every 45 s. */
  tick(now: number): void {
    const chain = this.parts.sync.chain;
    if (chain.tipEntry !== this.lastTip) {
      this.lastTip = chain.tipEntry;
      this.lastTipUpdate = now;
    }
    for (const peer of this.parts.registry.values()) {
      const s = this.peers.get(peer.id);
      if (s === undefined || peer.isClosed) continue;
      this.maybeProtect(peer, s);
      this.considerEviction(peer, s, now);
    }
    if (now >= this.nextExtraCheck) {
      this.nextExtraCheck = now + EXTRA_PEER_CHECK_INTERVAL_MS;
      this.checkForStaleTipAndEvictPeers(now);
    }
  }

  // ---- stale chain -----------------------------------------------------------------------------

  /** Core: set in UpdatePeerStateForReceivedHeaders for full-relay outbound peers only. */
  private maybeProtect(peer: Peer, s: ChainSync): void {
    if (s.protect || peer.kind !== 'full-relay' || this.protectedCount >= MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT) return;
    const best = this.parts.sync.peerBest(peer.id);
    const chain = this.parts.sync.chain;
    if (best < 0 || chain.workOf(best) < chain.tipWork) return;
    s.protect = true;
    this.protectedCount++;
    this.parts.log.debug('outbound peer protected from stale-chain eviction', { peer: peer.addr });
  }

  /** Core ConsiderEviction. */
  private considerEviction(peer: Peer, s: ChainSync, now: number): void {
    if (s.protect || !peer.established) return;
    const { chain } = this.parts.sync;
    const best = this.parts.sync.peerBest(peer.id);
    const bestWork = best < 0 ? -1n : chain.workOf(best);
    if (bestWork >= chain.tipWork) {
      // It has a header with at least our tip's work: no timer.
      s.timeoutAt = 0;
      s.workEntry = -1;
      s.sentGetheaders = false;
    } else if (s.timeoutAt === 0 || (s.workEntry >= 0 && bestWork >= chain.workOf(s.workEntry))) {
      // Behind, noticed for the first time, or caught up with the tip we measured it against but
      // not with our current one: a new timer against our current tip.
      s.timeoutAt = now + CHAIN_SYNC_TIMEOUT_MS;
      s.workEntry = chain.tipEntry;
      s.sentGetheaders = false;
    } else if (now > s.timeoutAt) {
      if (s.sentGetheaders) {
        this.parts.log.info('outbound peer has an old chain, disconnecting', { peer: peer.addr, bestHeight: best < 0 ? null : chain.heightOf(best) });
        peer.close('stale_chain');
        return;
      }
      // One last chance: a getheaders from the parent of the tip it must reach.
      this.parts.sync.askHeaders(peer, s.workEntry);
      s.sentGetheaders = true;
      s.timeoutAt = now + HEADERS_RESPONSE_TIME_MS;
    }
  }

  // ---- extra outbound peers --------------------------------------------------------------------

  /** Core CheckForStaleTipAndEvictPeers. */
  private checkForStaleTipAndEvictPeers(now: number): void {
    this.evictExtraOutboundPeers(now);
    const { connector, sync, automaticOutbound, log } = this.parts;
    if (now >= this.nextStaleCheck) {
      if (automaticOutbound && this.tipMayBeStale(now)) {
        log.info('potential stale tip detected, trying an extra outbound peer', { lastTipUpdateSecondsAgo: Math.round((now - this.lastTipUpdate) / 1000) });
        connector.tryAnotherOutbound(true);
      } else if (connector.tryingAnotherOutbound()) {
        connector.tryAnotherOutbound(false);
      }
      this.nextStaleCheck = now + STALE_CHECK_INTERVAL_MS;
    } else if (connector.tryingAnotherOutbound()) {
      // Core's connection thread keeps trying while the flag is up: one more attempt if none is open.
      connector.tryAnotherOutbound(true);
    }
    if (!this.extraBlockRelayStarted && sync.canDirectFetch()) {
      this.extraBlockRelayStarted = true;
      connector.startExtraBlockRelayPeers();
    }
  }

  /** Core TipMayBeStale: no new tip for 3 block intervals, and no block being fetched. */
  private tipMayBeStale(now: number): boolean {
    const spacingMs = this.parts.sync.chain.params.targetSpacing * 1000;
    if (now - this.lastTipUpdate <= 3 * spacingMs) return false;
    for (const p of this.parts.registry.values()) if (this.parts.blockInFlight(p.id)) return false;
    return true;
  }

  /** Core EvictExtraOutboundPeers. */
  private evictExtraOutboundPeers(now: number): void {
    const { connector } = this.parts;
    if (connector.extraOutbound('block-relay-only') > 0) this.evictExtraBlockRelayOnly(now);
    if (connector.extraOutbound('full-relay') > 0 && this.evictExtraFullRelay(now)) {
      // A new peer was tried since the stale tip was noticed: no more extra ones until the next.
      connector.tryAnotherOutbound(false);
    }
  }

  /** The youngest block-relay-only peer, or the next-youngest if the youngest gave us a block more recently. */
  private evictExtraBlockRelayOnly(now: number): void {
    let youngest: Peer | undefined;
    let next: Peer | undefined;
    for (const p of this.candidates('block-relay-only')) {
      if (youngest === undefined || younger(p, youngest)) {
        next = youngest;
        youngest = p;
      } else if (next === undefined || younger(p, next)) {
        next = p;
      }
    }
    if (youngest === undefined) return;
    const lastBlock = (p: Peer | undefined): number => (p === undefined ? 0 : (this.peers.get(p.id)?.lastBlockAt ?? 0));
    const target = next !== undefined && lastBlock(youngest) > lastBlock(next) ? next : youngest;
    this.closeExtra(target, now, lastBlock(target));
  }

  /** The unprotected full-relay peer that least recently announced a block; true when one was closed. */
  private evictExtraFullRelay(now: number): boolean {
    const all = [...this.parts.registry.values()].filter((p) => p.direction === 'outbound' && p.established && !p.isClosed && (p.kind === 'full-relay' || p.kind === 'manual'));
    const perNetwork = new Map<string, number>();
    for (const p of all) perNetwork.set(networkOf(p.addr), (perNetwork.get(networkOf(p.addr)) ?? 0) + 1);
    let worst: Peer | undefined;
    let oldest = Infinity;
    for (const p of this.candidates('full-relay')) {
      if (this.peers.get(p.id)?.protect === true) continue;
      // The only full-relay or manual peer on its network is kept (Core MultipleManualOrFullOutboundConns).
      if ((perNetwork.get(networkOf(p.addr)) ?? 0) < 2) continue;
      const at = this.parts.sync.lastAnnouncement(p.id);
      if (at < oldest || (at === oldest && worst !== undefined && younger(p, worst))) {
        worst = p;
        oldest = at;
      }
    }
    return worst !== undefined && this.closeExtra(worst, now, oldest);
  }

  private *candidates(kind: 'full-relay' | 'block-relay-only'): Iterable<Peer> {
    for (const p of this.parts.registry.values()) {
      if (p.kind === kind && p.direction === 'outbound' && p.established && !p.isClosed && this.peers.has(p.id)) yield p;
    }
  }

  /** Closes an extra peer connected long enough and with no block in flight; true when closed. */
  private closeExtra(peer: Peer, now: number, lastAt: number): boolean {
    if (now - peer.connectedAt < MINIMUM_CONNECT_TIME_MS || this.parts.blockInFlight(peer.id)) {
      this.parts.log.debug('keeping extra outbound peer for now', { peer: peer.addr, kind: peer.kind });
      return false;
    }
    this.parts.log.info('disconnecting extra outbound peer', { peer: peer.addr, kind: peer.kind, lastBlockAt: lastAt === 0 ? null : lastAt });
    peer.close('extra_outbound');
    return true;
  }
}

/** The younger connection of two (Core: the higher node id); ties by id. */
function younger(a: Peer, b: Peer): boolean {
  return a.connectedAt > b.connectedAt || (a.connectedAt === b.connectedAt && a.id > b.id);
}
