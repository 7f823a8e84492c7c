/**
 * BIP152 compact blocks, both ways (Core net_processing.cpp, blockencodings.cpp).
 *
 * Receiving a `cmpctblock`: its header goes through HeaderSync (invalid proof of work costs the
 * sender as any header does); if the block would be relayed (BlockGate.relayableHeight) it is
 * rebuilt from the relay cache (RelayCacheTxSource: one WASM SipHash pass). Missing transactions
 * are asked for with `getblocktxn`; the `blocktxn` completes it. A rebuilt block that passes the
 * block checks is handed to BlockGate.relayRebuilt (the relay point). A rebuild that cannot tell
 * transactions apart, or whose result is mutated, is a possible short-id collision: the full block
 * is fetched and nobody is scored (BIP152). Only a malformed message (an index out of range, a
 * blocktxn of the wrong size) costs its sender (INVALID_COMPACT_BLOCK, Core's "invalid compact
 * block").
 *
 * Serving: getdata(MSG_CMPCT_BLOCK) and `getblocktxn` for blocks in the relay cache; the
 * cmpctblock of a block is built once (coinbase prefilled, random nonce) and kept for the few most
 * recent blocks.
 *
 * A `getblocktxn` unanswered for the node's getdata timeout falls back to the full block.
 *
 * Per-peer bounds, each with its drop reason in the flow table (on the peer's flow to itself):
 * MAX_PENDING_COMPACT_PER_PEER half-rebuilt blocks (`cmpct_pending`: the oldest is dropped); a
 * getblocktxn index past the block (`blocktxn_index`); the collision and mutated-rebuild fallbacks
 * (`cmpct_collision`, `cmpct_mutated`). Short ids per message and getblocktxn indexes past 16 bits
 * are refused by the codecs (`cmpct_size`, `blocktxn_index`, counted by the message router).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { OffenceId } from '../ban/ban-policy.js';
import { buildBlockTxn, buildCmpctBlock, cmpctBlockOf } from '../chain/compact/build-compact.js';
import { MAX_PENDING_COMPACT_PER_PEER } from '../chain/compact/bounds.js';
import { PartialBlock, type BlockLayout, type CheckStatus } from '../chain/compact/partial-block.js';
import { RelayCacheTxSource } from '../chain/compact/relay-cache-source.js';
import type { Peer } from '../peer/peer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import { hash256 } from '../wasm/hasher.js';
import { blockWtxids } from '../wasm/tx-walk.js';
import { MAX_TXS } from '../wire/tx-id.js';
import type { MerkleJobs } from '../wasm/merkle-offload.js';
import { HEADER_SIZE } from '../wire/constants.js';
import type { BlockTxnMessage } from '../wire/messages/blocktxn.js';
import { cmpctBlockPayloadSize, type CmpctBlockMessage } from '../wire/messages/cmpctblock.js';
import { getBlockTxnPayloadSize, type GetBlockTxnMessage } from '../wire/messages/getblocktxn.js';
import type { BlockGate } from './block-gate.js';
import type { BlockStore } from './block-store.js';
import type { HeaderSync } from './header-sync.js';
import type { PeerLifecycle } from './peer-set.js';
import { randomU64 } from '../util/random.js';

/** The drop reasons (src/stats/drop-reasons.ts) counted here. */
export type CompactDrop = 'cmpct_pending' | 'blocktxn_index' | 'cmpct_collision' | 'cmpct_mutated';

/** How a compact block ended: rebuilt with no round trip, with a blocktxn, or fetched whole. */
export type CompactOutcome = 'rebuilt' | 'blocktxn' | 'full';

/** BIP152 inventory type: a block asked for as a cmpctblock. */
const MSG_CMPCT_BLOCK = 4;
/** Built cmpctblock messages kept for serving (the newest blocks). */
const BUILT_KEPT = 8;

export interface CompactBlocksHost {
  punish(peer: Peer, id: OffenceId, why: string): void;
  /** Fetch the full block from `peer` (getdata MSG_WITNESS_BLOCK). */
  fetchBlock(peer: Peer, hash: Uint8Array): void;
  /** A compact block ended (metrics): its outcome and how many transactions were missing. */
  onOutcome(outcome: CompactOutcome, missing: number): void;
  /** A per-peer bound or a fallback dropped a message of `bytes` (frame included) from `peer`. */
  onDrop(peer: Peer, reason: CompactDrop, bytes: number): void;
  /** The `cmpctblock` frame (our magic, checksum) of `cmpct`, as pushed to high-bandwidth peers. */
  frameOf(cmpct: CmpctBlockMessage): Uint8Array;
}

interface Pending {
  readonly peer: Peer;
  readonly sentAt: number;
  readonly pb: PartialBlock;
  readonly key: string;
  readonly entry: number;
  readonly missing: number;
}

export class CompactBlocks implements PeerLifecycle {
  private readonly pending = new Map<number, Pending[]>();
  /** Our getdata(MSG_CMPCT_BLOCK) requests: block hash (hex) → whom we asked, when. */
  private readonly asked = new Map<string, { readonly peer: Peer; readonly at: number; readonly hash: Uint8Array }>();
  private readonly built = new Map<string, CmpctBlockMessage>();
  private readonly source: RelayCacheTxSource;
  /** The buffer rebuilt blocks are laid out in (see layout). */
  private scratch = new Uint8Array(0);
  /**
   * A rebuilt block is laid out (once its cmpctblock is pushed) after room for its `block` frame's
   * header (the frame is then made in place) in one buffer reused from block to block: 1–4 MB of
   * fresh memory per block cost its page faults (several ms under load), the copy into a resident
   * buffer does not.
   * The relay cache and the block store copy the frame out in the next turn (BlockGate); while a
   * block still waits for that, the next one gets a fresh buffer.
   */
  private readonly layout: BlockLayout = {
    headroom: HEADER_SIZE,
    alloc: (bytes) => {
      if (this.gate.hasWaiting) return new Uint8Array(bytes);
      if (this.scratch.length < bytes) this.scratch = new Uint8Array(Math.max(bytes, 2 * this.scratch.length));
      return this.scratch.subarray(0, bytes);
    },
  };

  constructor(
    private readonly sync: HeaderSync,
    private readonly gate: BlockGate,
    private readonly relay: InventoryRelay<Peer>,
    private readonly store: BlockStore,
    private readonly log: Logger,
    private readonly host: CompactBlocksHost,
    private readonly clock: Clock,
    /** A getblocktxn unanswered this long: the full block is fetched instead (the node's getdata timeout). */
    private readonly blocktxnTimeoutMs: number,
    /** Where a rebuilt block's witness merkle tree is computed (a helper thread in the node). */
    private readonly merkle: MerkleJobs,
  ) {
    this.source = new RelayCacheTxSource(relay.cache);
  }

  closed(peer: Peer): void {
    this.pending.delete(peer.id);
    for (const [k, a] of this.asked) if (a.peer === peer) this.asked.delete(k);
  }

  /** Whether a compact block or its missing transactions are awaited from `peer` (a block in flight). */
  awaits(peerId: number): boolean {
    if ((this.pending.get(peerId)?.length ?? 0) > 0) return true;
    for (const a of this.asked.values()) if (a.peer.id === peerId) return true;
    return false;
  }

  /**
   * Low-bandwidth fetch of one announced block (BIP152, Core for a peer with compact blocks when one
   * block is missing): getdata(MSG_CMPCT_BLOCK). Unanswered for the timeout → the full block.
   */
  requestCompact(peer: Peer, hash: Uint8Array): void {
    const key = Buffer.from(hash).toString('hex');
    if (this.asked.has(key) || this.relay.cache.find(hash, 0) >= 0) return;
    this.asked.set(key, { peer, at: this.clock.now(), hash: hash.slice() });
    peer.sendMessage({ command: 'getdata', inventory: [{ type: MSG_CMPCT_BLOCK, hash }] });
  }

  // ---- receiving -------------------------------------------------------------------------------

  onCmpctBlock(peer: Peer, received: CmpctBlockMessage): void {
    // The hop starts here: the frame is read and verified (wirerelay_block_hop_seconds).
    const readAt = performance.now();
    const hash = hash256(received.header);
    this.asked.delete(Buffer.from(hash).toString('hex'));
    if (this.relay.cache.find(hash, 0) >= 0) return this.relay.settle(peer, hash, 0);
    const entry = this.sync.acceptBlockHeader(peer, received.header, 0, true);
    if (entry < 0) return;
    if (this.gate.relayableHeight(entry) < 0) return;
    const key = Buffer.from(hash).toString('hex');
    if (this.pendingOf(peer).some((p) => p.key === key)) return;
    // The message's views point into the receive buffer, which is reused: the rebuild keeps copies.
    const pb = new PartialBlock(copyOf(received));
    const init = pb.init();
    if (init !== 'ok') pb.release();
    if (init === 'invalid') return this.host.punish(peer, 'INVALID_COMPACT_BLOCK', 'invalid compact block');
    if (init === 'collision') {
      this.host.onDrop(peer, 'cmpct_collision', frameBytes(pb.msg));
      return this.fallBack(peer, hash, 0);
    }
    pb.fill(this.source);
    if (pb.missingCount === 0) return this.finish(peer, pb, entry, 'rebuilt', 0, readAt);
    const list = this.pendingOf(peer);
    if (list.length >= MAX_PENDING_COMPACT_PER_PEER) {
      this.host.onDrop(peer, 'cmpct_pending', frameBytes(list.shift()!.pb.msg));
    }
    list.push({ peer, sentAt: this.clock.now(), pb, key, entry, missing: pb.missingCount });
    peer.sendMessage(pb.missing());
  }

  onBlockTxn(peer: Peer, msg: BlockTxnMessage): void {
    const readAt = performance.now();
    const list = this.pending.get(peer.id);
    const key = Buffer.from(msg.blockHash).toString('hex');
    const i = list?.findIndex((p) => p.key === key) ?? -1;
    // Core ignores a blocktxn it did not ask for.
    if (list === undefined || i < 0) return;
    const [p] = list.splice(i, 1);
    if (!p!.pb.fillBlockTxn({ ...msg, txs: msg.txs.map((t) => t.slice()) })) {
      return this.host.punish(peer, 'INVALID_COMPACT_BLOCK', 'blocktxn does not match the getblocktxn');
    }
    this.finish(peer, p!.pb, p!.entry, 'blocktxn', p!.missing, readAt);
  }

  /** `readAt`: performance.now() when the frame that completed the block was handled. */
  private finish(peer: Peer, pb: PartialBlock, entry: number, outcome: CompactOutcome, missing: number, readAt: number): void {
    const height = this.gate.relayableHeight(entry);
    if (height < 0) return pb.release(); // another peer's copy got there first
    const chain = this.sync.chain;
    const ctx = { params: chain.params, height, prevMedianTimePast: chain.medianTimePast(chain.ancestor(entry, height - 1)) };
    const trees = pb.postTrees(ctx, this.merkle);
    let r: CheckStatus;
    let cmpct: CmpctBlockMessage;
    let frame: Uint8Array;
    try {
      // The cmpctblock we push is built while the helper thread hashes the trees, from what the
      // rebuild holds (wtxids, coinbase): no pass over the block. Our own nonce, not the sender's
      // message forwarded, as Core's NewPoWValidBlock does: no one upstream decides where short
      // ids collide downstream. Wasted only when the block fails its checks.
      cmpct = cmpctBlockOf(pb.header, pb.coinbase, pb.wtxidBytes, pb.txCount, randomU64());
      frame = this.host.frameOf(cmpct);
      r = pb.check(ctx, trees);
    } finally {
      trees.cancel();
    }
    if (r.status !== 'ok') pb.release();
    // The relay cache let a transaction go while the blocktxn was awaited: nobody's fault.
    if (r.status === 'lost') return this.fallBack(peer, pb.hash, missing);
    if (r.status === 'collision') {
      this.host.onDrop(peer, 'cmpct_mutated', frameBytes(pb.msg));
      return this.fallBack(peer, pb.hash, missing);
    }
    if (r.status === 'invalid-block') {
      // Not relayed; BIP152: a block that arrived compact never scores its sender.
      this.sync.invalidateBlock(entry);
      this.log.info('rebuilt compact block invalid, dropped', { peer: peer.addr, height, code: r.check.ok ? null : r.check.code });
      return;
    }
    this.host.onOutcome(outcome, missing);
    this.keep(Buffer.from(pb.hash).toString('hex'), cmpct);
    // Pushed first, laid out after: the block's bytes are not needed for the push.
    this.gate.relayRebuilt(peer, pb.hash, height, frame, readAt, () => pb.layOut(this.layout).buffer);
    // Its transactions leave the next rebuilds' scans, once the pushes are written (the writers'
    // flush was scheduled first: setImmediate runs in order).
    setImmediate(() => {
      this.markConfirmed(pb);
      pb.release();
    });
  }

  /**
   * A full `block` entered the relay (BlockGate): its transactions leave the next rebuilds' scans,
   * as a rebuilt block's do. Read back from the relay cache (the caller runs this in a later turn,
   * off the block's hop): one walk and one batch of wtxid hashes.
   */
  confirmFullBlock(hash: Uint8Array): void {
    const cache = this.relay.cache;
    const slot = cache.find(hash, 0);
    if (slot < 0 || cache.isTx(slot)) return;
    const wtxids = blockWtxids(cache.frame(slot, HEADER_SIZE), MAX_TXS);
    if (wtxids === undefined) return;
    for (let i = 1; i < wtxids.length >>> 5; i++) {
      const s = cache.find(wtxids, 32 * i);
      if (s >= 0) cache.markConfirmed(s, wtxids, 32 * i);
    }
  }

  private markConfirmed(pb: PartialBlock): void {
    const wtxids = pb.wtxidBytes;
    for (let i = 1; i < pb.txCount; i++) {
      const slot = pb.sourceSlot(i);
      if (slot >= 0) this.relay.cache.markConfirmed(slot, wtxids, 32 * i);
    }
  }

  /** Overdue compact requests and rebuilds whose blocktxn is overdue fall back to the full block (ticker). */
  tick(now: number): void {
    for (const [k, a] of this.asked) {
      if (now - a.at < this.blocktxnTimeoutMs) continue;
      this.asked.delete(k);
      this.host.fetchBlock(a.peer, a.hash);
    }
    for (const list of this.pending.values()) {
      while (list.length > 0 && now - list[0]!.sentAt >= this.blocktxnTimeoutMs) {
        const p = list.shift()!;
        if (this.gate.relayableHeight(p.entry) >= 0) this.fallBack(p.peer, p.pb.hash, p.missing);
      }
    }
  }

  private fallBack(peer: Peer, hash: Uint8Array, missing: number): void {
    this.host.onOutcome('full', missing);
    this.host.fetchBlock(peer, hash);
  }

  private pendingOf(peer: Peer): Pending[] {
    let l = this.pending.get(peer.id);
    if (l === undefined) this.pending.set(peer.id, (l = []));
    return l;
  }

  // ---- serving ---------------------------------------------------------------------------------

  /** The cmpctblock for a cached `block` frame (built once per block). */
  cmpctFor(frame: Uint8Array): CmpctBlockMessage {
    const raw = frame.subarray(HEADER_SIZE);
    const key = Buffer.from(hash256(raw.subarray(0, 80))).toString('hex');
    let m = this.built.get(key);
    // Copied: the frame may be a relay-cache slab, reused once the block leaves the cache.
    if (m === undefined) this.keep(key, (m = copyOf(buildCmpctBlock(raw, randomU64()))));
    return m;
  }

  private keep(key: string, m: CmpctBlockMessage): void {
    this.built.set(key, m);
    if (this.built.size > BUILT_KEPT) this.built.delete(this.built.keys().next().value!);
  }

  /**
   * A getdata entry for a block (the relay's serveBlock hook): a cmpctblock for MSG_CMPCT_BLOCK, and
   * full blocks the relay cache no longer has from the block store.
   */
  serveGetdata(peer: Peer, type: number, src: Uint8Array, off: number, cached: Uint8Array | undefined): boolean {
    // A block pushed this turn enters the relay cache and the store in the next: served meanwhile.
    const waiting = cached === undefined ? this.gate.waitingFrame(src, off) : undefined;
    if (type === MSG_CMPCT_BLOCK) {
      const frame = cached ?? waiting ?? this.store.get(src, off);
      if (frame === undefined) return false;
      peer.sendMessage(this.cmpctFor(frame));
      return true;
    }
    if (cached !== undefined) return false;
    // A waiting frame lives in the rebuild buffer, which the next block reuses: the queue gets a copy.
    const frame = waiting?.slice() ?? this.store.get(src, off);
    if (frame === undefined) return false;
    peer.sendRelayed(frame, -1);
    return true;
  }

  /** A peer's getblocktxn, answered for recent blocks (relay cache, a block whose relay waits, the block store); Core ignores others. */
  onGetBlockTxn(peer: Peer, msg: GetBlockTxnMessage): void {
    const slot = this.relay.cache.find(msg.blockHash, 0);
    const frame = slot >= 0 && !this.relay.cache.isTx(slot) ? this.relay.cache.frame(slot) : (this.gate.waitingFrame(msg.blockHash) ?? this.store.get(msg.blockHash, 0));
    if (frame === undefined) return;
    const res = buildBlockTxn(frame.subarray(HEADER_SIZE), msg);
    if (res === 'out-of-bounds') {
      this.host.onDrop(peer, 'blocktxn_index', HEADER_SIZE + getBlockTxnPayloadSize(msg));
      return this.host.punish(peer, 'INVALID_COMPACT_BLOCK', 'getblocktxn with out-of-bounds tx indices');
    }
    peer.sendMessage(res);
  }
}

/** A cmpctblock's frame size (what the flow table counts for it). */
function frameBytes(m: CmpctBlockMessage): number {
  return HEADER_SIZE + cmpctBlockPayloadSize(m);
}

function copyOf(m: CmpctBlockMessage): CmpctBlockMessage {
  return { ...m, header: m.header.slice(), shortIds: m.shortIds.slice(), prefilled: m.prefilled.map((p) => ({ index: p.index, tx: p.tx.slice() })) };
}

