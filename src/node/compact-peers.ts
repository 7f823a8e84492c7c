/**
 * BIP152 negotiation with each peer and our choice of high-bandwidth peers.
 *
 * - We speak compact blocks version 2 only (wtxid short ids, Core's). After the handshake a peer
 *   that can (protocol ≥ 70014 and NODE_WITNESS) gets `sendcmpct(announce, 2)`. bcoin 1.0.2 ignores
 *   every `sendcmpct` after the first, so the first one already asks for high bandwidth, for the
 *   first HB_PEERS such peers (and for the first outbound one, demoting the oldest if need be).
 * - Then Core's MaybeSetPeerAsAnnouncingHeaderAndIDs (net_processing.cpp): a peer that delivers a
 *   new block becomes high-bandwidth (`sendcmpct(1, 2)`); over HB_PEERS the oldest is demoted
 *   (`sendcmpct(0, 2)`), but never the last outbound one while an outbound peer is in the list.
 * - What each peer asked of us: its version-2 `sendcmpct` (other versions are ignored, as Core
 *   does). A peer that asked for announce=1 gets new blocks pushed as `cmpctblock`
 *   (BlockAnnouncer); announce=0 peers fetch them with getdata(MSG_CMPCT_BLOCK).
 */
import type { Peer } from '../peer/peer.js';
import { Services } from '../wire/constants.js';
import type { PeerLifecycle } from './peer-set.js';

/** Core: at most 3 peers announce blocks to us as cmpctblock (high-bandwidth mode). */
export const HB_PEERS = 3;
/** Core SHORT_IDS_BLOCKS_VERSION: the first protocol version with compact blocks. */
export const SHORT_IDS_BLOCKS_VERSION = 70014;
/** The compact-block version we speak (BIP152 version 2: segwit, wtxid short ids). */
export const CMPCT_VERSION = 2n;

interface Theirs {
  /** They accept version 2 compact blocks from us. */
  v2: boolean;
  /** They asked us to push new blocks as cmpctblock (high-bandwidth). */
  announce: boolean;
}

export class CompactPeers implements PeerLifecycle {
  /** Our high-bandwidth peers, oldest first. */
  private readonly hb: Peer[] = [];
  private readonly theirs = new Map<number, Theirs>();

  established(peer: Peer): void {
    if (!this.capable(peer) || peer.kind === 'feeler') return;
    // Core keeps one outbound peer among the high-bandwidth ones (eclipse resistance).
    const firstOutbound = peer.direction === 'outbound' && !this.hb.some((p) => p.direction === 'outbound');
    const announce = this.hb.length < HB_PEERS || firstOutbound;
    if (announce && this.hb.length >= HB_PEERS) this.hb.shift()!.sendMessage({ command: 'sendcmpct', announce: 0, version: CMPCT_VERSION });
    if (announce) this.hb.push(peer);
    peer.sendMessage({ command: 'sendcmpct', announce: announce ? 1 : 0, version: CMPCT_VERSION });
  }

  closed(peer: Peer): void {
    this.theirs.delete(peer.id);
    const i = this.hb.indexOf(peer);
    if (i >= 0) this.hb.splice(i, 1);
  }

  /** A peer's `sendcmpct`. */
  onSendCmpct(peer: Peer, announce: number, version: bigint): void {
    if (version !== CMPCT_VERSION) return;
    this.theirs.set(peer.id, { v2: true, announce: announce === 1 });
  }

  /** The peer wants new blocks pushed as cmpctblock. */
  wantsPush(peer: Peer): boolean {
    return this.theirs.get(peer.id)?.announce === true;
  }

  /** The peer speaks compact blocks version 2 with us. */
  speaksV2(peer: Peer): boolean {
    return this.theirs.get(peer.id)?.v2 === true;
  }

  /**
   * BIP152 high-bandwidth mode with the peer `peerId` (Core getpeerinfo): `to`, we selected it (our
   * last sendcmpct to it said announce=1; Core m_bip152_highbandwidth_to); `from`, it selected us
   * (its sendcmpct said announce=1; Core m_bip152_highbandwidth_from).
   */
  highBandwidthWith(peerId: number): { to: boolean; from: boolean } {
    return { to: this.hb.some((p) => p.id === peerId), from: this.theirs.get(peerId)?.announce === true };
  }

  /** Our high-bandwidth peers (tests, views). */
  highBandwidth(): readonly Peer[] {
    return this.hb;
  }

  /** `peer` delivered a new block first: make it high-bandwidth (Core MaybeSetPeerAsAnnouncingHeaderAndIDs). */
  onBlockDelivered(peer: Peer): void {
    if (!this.capable(peer) || !this.speaksV2(peer) || this.hb.includes(peer)) return;
    if (this.hb.length >= HB_PEERS) {
      // Keep one outbound: if the newcomer is inbound and only one outbound is listed, spare it.
      const outbound = this.hb.filter((p) => p.direction === 'outbound').length;
      let i = 0;
      if (peer.direction === 'inbound' && outbound === 1 && this.hb[0]!.direction === 'outbound') i = 1;
      const [old] = this.hb.splice(i, 1);
      old!.sendMessage({ command: 'sendcmpct', announce: 0, version: CMPCT_VERSION });
    }
    this.hb.push(peer);
    peer.sendMessage({ command: 'sendcmpct', announce: 1, version: CMPCT_VERSION });
  }

  private capable(peer: Peer): boolean {
    // Mesh instances already send each other every block whole (InventoryRelay): no HB slot for them.
    return (peer.protocolVersion ?? 0) >= SHORT_IDS_BLOCKS_VERSION && (peer.services & Services.Witness) !== 0n && !peer.isClosed && !peer.mesh;
  }
}
