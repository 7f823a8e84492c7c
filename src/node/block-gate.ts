/**
 * The rule for relaying a full `block` (issue 19), Core's "relay now" point (NewPoWValidBlock in
 * net_processing.cpp, after CheckBlock and ContextualCheckBlock in validation.cpp): a block goes
 * into the relay only when
 *
 * - its header is valid and stored (HeaderSync: proof of work, difficulty, time, version), and it
 *   is on our best header chain, higher than any block relayed before (Core's
 *   m_highest_fast_announce) and within MAX_BLOCKTXN_DEPTH of the best header;
 * - the UTXO-free block checks pass (src/chain/block-check.ts: merkle root, witness commitment,
 *   weight, one coinbase first, no duplicate transactions, BIP34 height, finality).
 *
 * A mutated block (its transactions do not match its header) scores its sender as Core's
 * MaybePunishNodeForBlock does ("mutated block"); any other invalid block is dropped unscored; a
 * block that is valid but not at our tip is dropped too (we are a relay, not an archive). A block
 * already in the relay cache goes straight to the relay, which only notes who has it.
 * Scripts and UTXOs are never checked.
 */
import type { Logger } from '../log.js';
import type { OffenceId } from '../ban/ban-policy.js';
import { checkBlock } from '../chain/block-check.js';
import { MAX_BLOCKTXN_DEPTH } from '../chain/compact/bounds.js';
import type { Peer } from '../peer/peer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import type { HeaderSync } from './header-sync.js';

/** How a block reached us (the `block` event's `via`). */
export type BlockArrival = 'block' | 'cmpctblock';

export interface BlockGateHost {
  punish(peer: Peer, id: OffenceId, why: string): void;
  /**
   * A rebuilt block passed the rule: push its cmpctblock to the high-bandwidth peers now (BIP152
   * high-bandwidth relay before the rest).
   */
  pushCompact(from: Peer, hash: Uint8Array, cmpctFrame: Uint8Array): void;
  /** A block's hop: from the handling of the frame that completed it to its first relay writes queued. */
  onHop(via: BlockArrival, seconds: number): void;
  /** A block passed the rule and entered the relay; `raw` is a view valid during the call. */
  onRelayed(peer: Peer, hash: Uint8Array, height: number, raw: Uint8Array, via: BlockArrival): void;
}

export class BlockGate {
  /** Height of the highest block relayed (Core m_highest_fast_announce). */
  private highestRelayed = 0;
  /** Rebuilt blocks already pushed to high-bandwidth peers, whose relay waits for the next turn. */
  private readonly deferred: Array<() => void> = [];
  /** Those blocks' frames by hash (hex), made on demand: a peer may ask for one before its relay runs. */
  private readonly waiting = new Map<string, () => Uint8Array>();

  constructor(
    private readonly sync: HeaderSync,
    private readonly relay: InventoryRelay<Peer>,
    private readonly log: Logger,
    private readonly host: BlockGateHost,
    /** Frames (our magic, checksum) a rebuilt block laid out after 24 free bytes, in place. */
    private readonly frameInPlace: (frame: Uint8Array) => Uint8Array,
  ) {}

  /** A full `block` frame at bytes[frameOff..]; `hash` is its header's hash. */
  onBlock(peer: Peer, bytes: Uint8Array, frameOff: number, payloadLength: number, hash: Uint8Array): void {
    const readAt = performance.now();
    if (this.relay.cache.find(hash, 0) >= 0) {
      this.relay.onBlock(peer, bytes, frameOff, payloadLength, hash, 0, peer.mesh);
      return;
    }
    const start = frameOff + HEADER_SIZE;
    const entry = this.sync.acceptBlockHeader(peer, bytes, start);
    if (entry < 0) return this.relay.settle(peer, hash, 0);
    const height = this.relayableHeight(entry);
    if (height < 0) {
      this.relay.settle(peer, hash, 0);
      this.log.debug('block not relayed: not at our best tip', { peer: peer.addr, height: this.sync.chain.heightOf(entry) });
      return;
    }
    const raw = bytes.subarray(start, start + payloadLength);
    const chain = this.sync.chain;
    const check = checkBlock(raw, { params: chain.params, height, prevMedianTimePast: chain.medianTimePast(chain.ancestor(entry, height - 1)) });
    if (!check.ok) {
      this.relay.settle(peer, hash, 0);
      if (check.mutated) this.host.punish(peer, 'MUTATED_BLOCK', `mutated block: ${check.code}`);
      else {
        this.sync.invalidateBlock(entry);
        this.log.info('invalid block dropped', { peer: peer.addr, height, code: check.code });
      }
      return;
    }
    this.highestRelayed = height;
    this.relay.onBlock(peer, bytes, frameOff, payloadLength, hash, 0, peer.mesh);
    this.host.onHop('block', (performance.now() - readAt) / 1000);
    this.host.onRelayed(peer, hash, height, raw, 'block');
  }

  /**
   * A block rebuilt from a cmpctblock and checked (CompactBlocks), not yet laid out: relayed if its
   * height still may be. Never scores anyone. The high-bandwidth peers get `cmpctFrame` at once
   * (this turn's write flush), and only then is the block laid out (`layOut`: its bytes after 24
   * free bytes). Its `block` frame (a checksum over the whole block), its copy into the relay
   * cache and the block store, and the other announcements follow in the next turn (meanwhile
   * waitingFrame serves the block to a peer that asks for it).
   */
  relayRebuilt(peer: Peer, hash: Uint8Array, height: number, cmpctFrame: Uint8Array, readAt: number, layOut: () => Uint8Array): void {
    if (height <= this.highestRelayed) return;
    this.highestRelayed = height;
    this.host.pushCompact(peer, hash, cmpctFrame);
    this.host.onHop('cmpctblock', (performance.now() - readAt) / 1000);
    const unframed = layOut();
    let frame: Uint8Array | undefined;
    const framed = (): Uint8Array => (frame ??= this.frameInPlace(unframed));
    const key = hashToHex(hash);
    this.waiting.set(key, framed);
    this.deferred.push(() => {
      this.waiting.delete(key);
      const f = framed();
      this.relay.onBlock(peer, f, 0, f.length - HEADER_SIZE, hash, 0, peer.mesh);
      this.host.onRelayed(peer, hash, height, f.subarray(HEADER_SIZE), 'cmpctblock');
    });
    if (this.deferred.length === 1) setImmediate(this.settle);
  }

  /** Some rebuilt block still waits for its relay (its buffer is still in use). */
  get hasWaiting(): boolean {
    return this.waiting.size > 0;
  }

  /**
   * The `block` frame of a block pushed this turn whose relay waits for the next (the hash at
   * src[off..off+32)), for serving it meanwhile; undefined otherwise. Touches neither the relay
   * nor the store (a getdata being served must not re-enter the relay).
   */
  waitingFrame(src: Uint8Array, off = 0): Uint8Array | undefined {
    if (this.waiting.size === 0) return undefined;
    return this.waiting.get(hashToHex(src.subarray(off, off + 32)))?.();
  }

  private readonly settle = (): void => {
    for (const run of this.deferred.splice(0)) run();
  };

  /** The node stops: a relay still waiting for its turn never runs (no block event, no write after stop). */
  stop(): void {
    this.deferred.length = 0;
    this.waiting.clear();
  }

  /**
   * The height of a block whose header is stored at `entry` if the relay rule's chain part holds
   * (best chain, above what was relayed, near the best header), else -1.
   */
  relayableHeight(entry: number): number {
    const chain = this.sync.chain;
    const height = chain.heightOf(entry);
    if (height <= this.highestRelayed || height < chain.tipHeight - MAX_BLOCKTXN_DEPTH) return -1;
    // An entry whose block failed is never on the best chain (HeaderChain.invalidate).
    return chain.onBestChain(entry) ? height : -1;
  }
}
