/**
 * Rebuilding a block from a `cmpctblock` (BIP152; Core src/blockencodings.cpp
 * PartiallyDownloadedBlock, whose rules this follows):
 *
 * 1. init: the short ids go into a WASM table (no object per id). Two equal short ids in the block, or
 *    a probe run over MAX_SHORT_ID_PROBE, mean we cannot tell its transactions apart: 'collision',
 *    fetch the full block. An empty block, or a prefilled index beyond the short ids, is 'invalid'
 *    (a malformed message: Core's READ_STATUS_INVALID, a peer fault).
 * 2. fill: every TxSource slot is hashed into its short id, looked up in the table and claimed in
 *    one WASM call (slots the source marks as skipped are not hashed), which also copies each
 *    claimed index's wtxid and txid; JS then only takes the claimed slots' transactions. Two
 *    different transactions matching one id leave that index missing (it is requested).
 * 3. missing(): the `getblocktxn` for what is left; fillBlockTxn() takes the answer, which must
 *    have exactly as many transactions ('invalid' otherwise, as Core).
 * 4. postTrees() hands the merkle trees to another thread (they need only the ids); finish() lays
 *    the block out and runs the UTXO-free block checks (src/chain/block-check.ts).
 *    A mutated result (merkle root or witness commitment) is treated as a short-id collision:
 *    'collision', fetch the full block, and never score the sender (BIP152); other invalidity is
 *    'invalid-block' (not relayed; Core does not punish a compact block's sender for it either).
 *    A transaction whose source let it go between fill and finish (the relay cache evicted it
 *    while a `blocktxn` was awaited; its view then reads empty) makes it 'lost': fetch the full
 *    block, nothing is checked or scored.
 */
import { hash256, hash256Many } from '../../wasm/hasher.js';
import { claimShortIds, shortIdTableOk, type ShortIdBlock } from '../../wasm/short-ids.js';
import type { CmpctBlockMessage } from '../../wire/messages/cmpctblock.js';
import type { GetBlockTxnMessage } from '../../wire/messages/getblocktxn.js';
import type { BlockTxnMessage } from '../../wire/messages/blocktxn.js';
import { compactSizeLen } from '../../wire/writer.js';
import type { MerkleJobs } from '../../wasm/merkle-offload.js';
import { checkBlock, postTrees, type BlockCheckResult, type BlockContext, type KnownIds, type PostedTrees } from '../block-check.js';
import { MAX_SHORT_ID_PROBE, MAX_SHORT_IDS } from './bounds.js';
import { readShortId, shortIdKeys } from './short-id-keys.js';
import type { TxSource } from './tx-source.js';

export type InitStatus = 'ok' | 'invalid' | 'collision';

export type FinishResult =
  /** `block` is a view at the layout's headroom into `buffer` (room for a frame header, say). */
  | { readonly status: 'rebuilt'; readonly block: Uint8Array; readonly buffer: Uint8Array; readonly check: BlockCheckResult & { ok: true } }
  /** Mutated after the fill: a short-id collision as far as we can tell. Fetch the full block. */
  | { readonly status: 'collision'; readonly check: BlockCheckResult }
  /** The block is invalid (not mutated): do not relay it. */
  | { readonly status: 'invalid-block'; readonly check: BlockCheckResult }
  /** A transaction taken from a source is gone from it (its view reads empty). Fetch the full block. */
  | { readonly status: 'lost' };

/** Where finish() lays the block out: `headroom` free bytes first, in a buffer from `alloc`. */
export interface BlockLayout {
  readonly headroom: number;
  /** A buffer of exactly `bytes` bytes whose contents may be overwritten. */
  alloc(bytes: number): Uint8Array;
}

/** A fresh buffer per block, no headroom. */
const FRESH: BlockLayout = { headroom: 0, alloc: (bytes) => Buffer.allocUnsafe(bytes) };

const MISSING = 0;
const PREFILLED = 1;
const FOUND = 2;
/** Two different source transactions matched: request it. */
const AMBIGUOUS = 3;

/** Reused across rebuilds: the scan's (slot, index) changes. */
let matches = new Uint32Array(0);

export class PartialBlock {
  /** The block hash (internal order). */
  readonly hash: Uint8Array;
  readonly header: Uint8Array;
  private readonly keys: Uint8Array;
  private n = 0;
  private txs: (Uint8Array | undefined)[] = [];
  private state = new Uint8Array(0);
  /** wtxid of each filled index (from its source), for the witness commitment without rehashing. */
  private wtxids = new Uint8Array(0);
  /** txid of each index whose source knew it, and which those are. */
  private txids = new Uint8Array(0);
  private txidKnown = new Uint8Array(0);
  /** Source slot that filled each index, -1 for the others. */
  private slots = new Int32Array(0);
  /** What the WASM scan reads and updates (state, wtxids, txids are the arrays above). */
  private block: ShortIdBlock | undefined;
  private filled = 0;
  /** Transactions that came from sources (not prefilled, not blocktxn). */
  fromSources = 0;

  constructor(readonly msg: CmpctBlockMessage) {
    this.header = msg.header;
    this.hash = hash256(msg.header);
    this.keys = shortIdKeys(msg.header, msg.nonce);
  }

  get txCount(): number {
    return this.n;
  }
  get missingCount(): number {
    return this.n - this.filled;
  }
  /** The coinbase (index 0; prefilled by every sender we know, else from the source or blocktxn). */
  get coinbase(): Uint8Array {
    return this.txs[0]!;
  }
  /** wtxid of every index, 32 bytes each in block order (complete once nothing is missing): a cmpctblock for the rebuilt block needs no rehash. */
  get wtxidBytes(): Uint8Array {
    return this.wtxids;
  }

  /** Step 1. Must be called once, first. */
  init(): InitStatus {
    const nIds = this.msg.shortIds.length / 6;
    const pre = this.msg.prefilled;
    const n = nIds + pre.length;
    if (n === 0 || n > MAX_SHORT_IDS) return 'invalid';
    this.n = n;
    this.txs = new Array<Uint8Array | undefined>(n);
    this.state = new Uint8Array(n);
    this.wtxids = new Uint8Array(32 * n);
    this.txids = new Uint8Array(32 * n);
    this.txidKnown = new Uint8Array(n);
    this.slots = new Int32Array(n).fill(-1);
    for (let i = 0; i < pre.length; i++) {
      const idx = pre[i]!.index;
      // Core: an index past (short ids + prefilled so far) would leave a slot with neither.
      if (idx > nIds + i || idx >= n) return 'invalid';
      this.txs[idx] = pre[i]!.tx;
      this.state[idx] = PREFILLED;
      this.filled++;
    }
    if (pre.length > 0) {
      const ids = hash256Many(pre.map((p) => p.tx));
      for (let i = 0; i < pre.length; i++) this.wtxids.set(ids[i]!, 32 * pre[i]!.index);
    }
    this.block = { ids: this.msg.shortIds, state: this.state, wtxids: this.wtxids, txids: this.txids, maxProbe: MAX_SHORT_ID_PROBE };
    return shortIdTableOk(this.block) ? 'ok' : 'collision';
  }

  /** Step 2: claims what `source` holds. Returns how many indexes it filled. */
  fill(source: TxSource): number {
    const m = source.slotCount;
    if (m === 0 || this.filled === this.n || this.block === undefined) return 0;
    if (matches.length < 2 * m) matches = new Uint32Array(Math.max(2 * m, 2 * matches.length));
    // WASM has updated state, wtxids and txids; each change comes back as (slot, index).
    return this.take(source, claimShortIds(this.keys, this.block, source, matches));
  }

  /**
   * fill() with the source's short ids given (`ids48[slot]`): the scan's rules (assembly/siphash.ts
   * shortIdMatch) done here, for tests that give two different transactions one id (a real 48-bit
   * collision cannot be made); what follows the scan is fill()'s own.
   */
  fillMatched(source: TxSource, ids48: Float64Array): number {
    const indexOf = new Map<number, number>();
    for (let i = 0, idx = 0; i < this.msg.shortIds.length / 6; i++, idx++) {
      while (this.state[idx] === PREFILLED) idx++;
      indexOf.set(readShortId(this.msg.shortIds, i), idx);
    }
    if (matches.length < 2 * source.slotCount) matches = new Uint32Array(2 * source.slotCount);
    const cs = source.chunkSlots;
    let changes = 0;
    for (let slot = 0; slot < source.slotCount; slot++) {
      const idx = indexOf.get(ids48[slot]!);
      if (idx === undefined) continue;
      const c = Math.floor(slot / cs);
      const at = 32 * (slot - c * cs);
      const st = this.state[idx]!;
      if (st === MISSING) {
        this.state[idx] = FOUND;
        copy32(source.wtxidChunk(c), at, this.wtxids, 32 * idx);
        if (source.txidChunk !== undefined) copy32(source.txidChunk(c), at, this.txids, 32 * idx);
      } else if (st === FOUND && !sameBytes(this.wtxids, 32 * idx, source.wtxidChunk(c), at)) {
        this.state[idx] = AMBIGUOUS;
      } else continue;
      matches[2 * changes] = slot;
      matches[2 * changes++ + 1] = idx;
    }
    return this.take(source, changes);
  }

  /**
   * The scan's `changes` (slot, index) pairs in `matches`, state already updated: a found index
   * takes its slot's transaction, an ambiguous one is emptied (it is requested). Returns the net
   * number of indexes filled.
   */
  private take(source: TxSource, changes: number): number {
    const txidKnown = source.txidChunk !== undefined ? 1 : 0;
    let got = 0;
    for (let k = 0; k < changes; k++) {
      const slot = matches[2 * k]!;
      const idx = matches[2 * k + 1]!;
      if (this.state[idx] === AMBIGUOUS) {
        // Core: "If we find two mempool txn that match the short id, just request it."
        if (this.txs[idx] !== undefined) {
          this.filled--;
          got--;
        }
        this.txs[idx] = undefined;
        this.slots[idx] = -1;
        this.txidKnown[idx] = 0;
        continue;
      }
      const tx = source.tx(slot);
      if (tx === undefined) {
        this.state[idx] = MISSING;
        continue;
      }
      this.txs[idx] = tx;
      this.slots[idx] = slot;
      this.txidKnown[idx] = txidKnown;
      this.filled++;
      got++;
    }
    this.fromSources += got;
    return got;
  }

  /** The source slot index i was filled from, or -1 (prefilled, from a blocktxn, or ambiguous). */
  sourceSlot(i: number): number {
    return this.slots[i]!;
  }

  /** Step 3: the request for every index still missing (empty list when complete). */
  missing(): GetBlockTxnMessage {
    const indexes: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.txs[i] === undefined) indexes.push(i);
    return { command: 'getblocktxn', blockHash: this.hash, indexes };
  }

  /** Fills the missing indexes in order from a `blocktxn`; false ('invalid') when the count differs. */
  fillBlockTxn(msg: BlockTxnMessage): boolean {
    if (this.n - this.filled !== msg.txs.length) return false;
    const ids = hash256Many(msg.txs);
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.txs[i] !== undefined) continue;
      this.txs[i] = msg.txs[k];
      this.wtxids.set(ids[k]!, 32 * i);
      this.state[i] = FOUND;
      k++;
    }
    this.filled = this.n;
    return true;
  }

  private get known(): KnownIds {
    return { wtxids: this.wtxids, txids: this.txids, txidKnown: this.txidKnown };
  }

  private requireComplete(): void {
    if (this.filled !== this.n) throw new Error(`PartialBlock: ${this.n - this.filled} transactions missing`);
  }

  /**
   * Step 4a, once nothing is missing: posts the block's merkle trees to `jobs` (another thread):
   * they need only the ids, so they are hashed while finish() lays the bytes out. The caller
   * passes them to finish() and cancels them when it is done with the block.
   */
  postTrees(ctx: BlockContext, jobs: MerkleJobs): PostedTrees {
    this.requireComplete();
    return postTrees(this.known, ctx, jobs);
  }

  /**
   * Step 4: the block's bytes, checked, laid out as `layout` says. Only once nothing is missing.
   * `trees` (postTrees) are joined instead of hashed here.
   */
  finish(ctx: BlockContext, layout: BlockLayout = FRESH, trees?: PostedTrees): FinishResult {
    this.requireComplete();
    let size = 80 + compactSizeLen(this.n);
    for (let i = 0; i < this.n; i++) {
      const len = this.txs[i]!.length;
      // No transaction is empty: a source's view reads so once the source dropped it.
      if (len === 0) return { status: 'lost' };
      size += len;
    }
    // Every byte of the block is written below, so the buffer need not be zeroed first (1–4 MB per block).
    const buffer = layout.alloc(layout.headroom + size);
    const block = buffer.subarray(layout.headroom);
    block.set(this.header, 0);
    let at = 80;
    // CompactSize of the tx count, written by hand to avoid a writer for 1–3 bytes.
    if (this.n < 0xfd) block[at++] = this.n;
    else if (this.n <= 0xffff) {
      block[at++] = 0xfd;
      block[at++] = this.n & 0xff;
      block[at++] = this.n >>> 8;
    } else {
      block[at++] = 0xfe;
      new DataView(block.buffer, block.byteOffset).setUint32(at, this.n, true);
      at += 4;
    }
    for (let i = 0; i < this.n; i++) {
      const t = this.txs[i]!;
      block.set(t, at);
      at += t.length;
    }
    const check = checkBlock(block, ctx, this.known, trees);
    if (check.ok) return { status: 'rebuilt', block, buffer, check };
    return check.mutated ? { status: 'collision', check } : { status: 'invalid-block', check };
  }
}

function copy32(src: Uint8Array, so: number, dst: Uint8Array, d: number): void {
  for (let i = 0; i < 32; i++) dst[d + i] = src[so + i]!;
}

function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
