/**
 * What happens when a transaction or block enters the relay cache for the first time: the sender
 * gets credit for novelty (inbound eviction protects peers that bring new items, as Core does;
 * outbound eviction keeps the block-relay-only peer that brought a block most recently),
 * the membership snapshot's event clock moves, and embedders' `tx`/`block` listeners hear of it.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { InboundSlots } from '../conn/inbound-policy.js';
import type { OutboundEviction } from './outbound-eviction.js';
import type { Peer } from '../peer/peer.js';
import type { RelayCache } from '../relay/relay-cache.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import type { StateKeeper } from './state-keeper.js';
import type { RelayEvents } from '../types.js';

export class ItemFeed {
  constructor(
    private readonly clock: Clock,
    private readonly inbound: InboundSlots,
    private readonly outbound: Pick<OutboundEviction, 'novelBlock'>,
    private readonly state: StateKeeper,
    private readonly events: EventEmitter<RelayEvents>,
    /** Block events come from here only without a headers chain (simnet); else block relay emits them. */
    private readonly blockEvents: boolean,
  ) {}

  onNewItem(cache: RelayCache, slot: number, from: Peer | null): void {
    if (from !== null) {
      const now = this.clock.now();
      if (cache.isTx(slot)) this.inbound.novelTx(from.id, now);
      else if (from.direction === 'inbound') this.inbound.novelBlock(from.id, now);
      else this.outbound.novelBlock(from.id, now);
    }
    this.state.itemSeen();
    // Hex ids cost a string per item: built only for listeners.
    const kind = cache.kind(slot);
    if (this.events.listenerCount(kind) === 0 || (kind === 'block' && !this.blockEvents)) return;
    const peer = from?.addr ?? null;
    // A copy: the cached frame's memory (a slab) is reused once the item leaves the cache.
    const raw = Buffer.from(cache.frame(slot).subarray(HEADER_SIZE));
    if (kind === 'tx') this.events.emit('tx', { peer, txid: hashToHex(cache.id(slot)), wtxid: hashToHex(cache.wid(slot)), raw });
    else this.events.emit('block', { peer, hash: hashToHex(cache.id(slot)), height: null, via: 'block', raw });
  }

  /** An item is about to leave the relay cache (evicted): the `evict` listeners (ZMQ `sequence` R) hear of it. */
  onEvict(cache: RelayCache, slot: number): void {
    if (this.events.listenerCount('evict') === 0) return;
    this.events.emit('evict', { kind: cache.kind(slot), id: hashToHex(cache.id(slot)) });
  }
}
