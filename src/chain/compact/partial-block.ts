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
 *    claimed index's wtxid and txid; JS then only notes where the claimed slots' bytes are (no
 *    view per transaction). Two different transactions matching one id leave that index missing
 *    (it is requested).
 * 3. missing(): the `getblocktxn` for what is left; fillBlockTxn() takes the answer, which must
 *    have exactly as many transactions ('invalid' otherwise, as Core).
 * 4. postTrees() hands the merkle trees to another thread (they need only the ids); check() runs
 *    the UTXO-free block checks (src/chain/block-check.ts checkParts) on the transactions where
 *    they lie, and layOut() then writes the block's bytes: a caller relays a block that passed
 *    before it lays it out. A mutated result (merkle root or witness commitment) is treated as a
 *    short-id collision: 'collision', fetch the full block, and never score the sender (BIP152);
 *    other invalidity is 'invalid-block' (not relayed; Core does not punish a compact block's
 *    sender for it either). A transaction whose source let it go between fill and check (the
 *    relay cache evicted it while a `blocktxn` was awaited; its memory then reads empty) makes it
 *    'lost': fetch the full block, nothing is checked or scored.
 *
 * Every txid is known before the checks: the source's for its transactions, hashed on arrival
 * for the prefilled ones and those from `blocktxn` (a handful per block).
 */
import { WireError } from '../../errors.js';
import { hash256 } from '../../wasm/hasher.js';
import { claimShortIds, shortIdTableOk, type ShortIdBlock } from '../../wasm/short-ids.js';
import type { CmpctBlockMessage } from '../../wire/messages/cmpctblock.js';
import type { GetBlockTxnMessage } from '../../wire/messages/getblocktxn.js';
import type { BlockTxnMessage } from '../../wire/messages/blocktxn.js';
import { parseTxBoundaries, strippedSize, txIds } from '../../wire/tx-id.js';
import { compactSizeLen } from '../../wire/writer.js';
import type { MerkleJobs } from '../../wasm/merkle-offload.js';
import { checkParts, postTrees, type BlockCheckResult, type BlockContext, type PostedTrees } from '../block-check.js';
import { MAX_SHORT_ID_PROBE, MAX_SHORT_IDS } from './bounds.js';
import { readShortId, shortIdKeys } from './short-id-keys.js';
import type { TxSource } from './tx-source.js';

export type InitStatus = 'ok' | 'invalid' | 'collision';

export type CheckStatus =
  /** The checks passed: relay it, then layOut(). */
  | { readonly status: 'ok'; readonly check: BlockCheckResult & { ok: true } }
  /** Mutated after the fill: a short-id collision as far as we can tell. Fetch the full block. */
  | { readonly status: 'collision'; readonly check: BlockCheckResult }
  /** The block is invalid (not mutated): do not relay it. */
  | { readonly status: 'invalid-block'; readonly check: BlockCheckResult }
  /** A transaction taken from a source is gone from it (its memory reads empty). Fetch the full block. */
  | { readonly status: 'lost' };

/** A block laid out: `block` is a view at the layout's headroom into `buffer` (room for a frame header, say). */
export interface LaidOut {
  readonly block: Uint8Array;
  readonly buffer: Uint8Array;
}

export type FinishResult = Exclude<CheckStatus, { status: 'ok' }> | ({ readonly status: 'rebuilt'; readonly check: BlockCheckResult & { ok: true } } & LaidOut);

/** Where layOut() writes the block: `headroom` free bytes first, in a buffer from `alloc`. */
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

/**
 * A rebuild's per-index arrays, handed back by release() for the next rebuild: fresh ones are
 * ~270 KB for 3,000 transactions, and their page faults landed in the relay hop (~50 µs).
 */
interface IndexArrays {
  readonly cap: number;
  readonly offsets: Int32Array;
  readonly stripped: Int32Array;
  readonly state: Uint8Array;
  readonly wtxids: Uint8Array;
  readonly txids: Uint8Array;
  readonly slots: Int32Array;
}
/** At most this many sets wait for reuse (a second block may be rebuilt while one awaits its blocktxn). */
const MAX_SPARE = 2;
const spare: IndexArrays[] = [];

/** Arrays for n indexes, zeroed (slots: -1): a spare set large enough, else a new one. */
function takeArrays(n: number): IndexArrays {
  const i = spare.findIndex((a) => a.cap >= n);
  let a: IndexArrays;
  if (i >= 0) {
    a = spare.splice(i, 1)[0]!;
    a.offsets.fill(0, 0, 4 * n);
    a.stripped.fill(0, 0, n);
    a.state.fill(0, 0, n);
  } else {
    // Rounded up so that the next, slightly larger block still fits.
    const cap = Math.max(1024, Math.ceil(n / 1024) * 1024);
    a = { cap, offsets: new Int32Array(4 * cap), stripped: new Int32Array(cap), state: new Uint8Array(cap), wtxids: new Uint8Array(32 * cap), txids: new Uint8Array(32 * cap), slots: new Int32Array(cap) };
  }
  a.slots.fill(-1, 0, n);
  return a;
}

export class PartialBlock {
  /** The block hash (internal order). */
  readonly hash: Uint8Array;
  readonly header: Uint8Array;
  private readonly keys: Uint8Array;
  private n = 0;
  /** The memory transaction i is in (a source's, or its own bytes), undefined while missing. */
  private mem: (Uint8Array | undefined)[] = [];
  /** Per index i at 4 i, as the checks read them (BlockParts.offsets): start and end in mem[i]; the inputs start is set by check(). */
  private offsets: Int32Array = new Int32Array(0);
  /** Size without witness of each index (0: not known yet, computed by check()). */
  private stripped: Int32Array = new Int32Array(0);
  private state: Uint8Array = new Uint8Array(0);
  /** wtxid and txid of each filled index, for the merkle trees and the checks without rehashing. */
  private wtxids: Uint8Array = new Uint8Array(0);
  private txids: Uint8Array = new Uint8Array(0);
  /** Source slot that filled each index, -1 for the others. */
  private slots: Int32Array = new Int32Array(0);
  /** What the WASM scan reads and updates (state, wtxids, txids are the arrays above). */
  private block: ShortIdBlock | undefined;
  /** Where the arrays above come from; undefined before init() and after release(). */
  private arrays: IndexArrays | undefined;
  private released = false;
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
    const at = this.offsets[0]!;
    return this.mem[0]!.subarray(at, this.offsets[1]!);
  }
  /** wtxid of every index, 32 bytes each in block order (complete once nothing is missing): a cmpctblock for the rebuilt block needs no rehash. */
  get wtxidBytes(): Uint8Array {
    this.requireLive();
    return this.wtxids;
  }

  /** Step 1. Must be called once, first. */
  init(): InitStatus {
    const nIds = this.msg.shortIds.length / 6;
    const pre = this.msg.prefilled;
    const n = nIds + pre.length;
    if (n === 0 || n > MAX_SHORT_IDS) return 'invalid';
    this.n = n;
    this.mem = new Array<Uint8Array | undefined>(n);
    const a = (this.arrays = takeArrays(n));
    this.offsets = a.offsets.subarray(0, 4 * n);
    this.stripped = a.stripped.subarray(0, n);
    this.state = a.state.subarray(0, n);
    this.wtxids = a.wtxids.subarray(0, 32 * n);
    this.txids = a.txids.subarray(0, 32 * n);
    this.slots = a.slots.subarray(0, n);
    for (let i = 0; i < pre.length; i++) {
      const idx = pre[i]!.index;
      // Core: an index past (short ids + prefilled so far) would leave a slot with neither.
      if (idx > nIds + i || idx >= n) return 'invalid';
      if (!this.own(idx, pre[i]!.tx)) return 'invalid';
      this.state[idx] = PREFILLED;
      this.filled++;
    }
    this.block = { ids: this.msg.shortIds, state: this.state, wtxids: this.wtxids, txids: this.txids, maxProbe: MAX_SHORT_ID_PROBE };
    return shortIdTableOk(this.block) ? 'ok' : 'collision';
  }

  /** Index `idx` holds `tx`, bytes of its own (prefilled, or from a blocktxn): its ids hashed here. False if it is not one transaction. */
  private own(idx: number, tx: Uint8Array): boolean {
    let ids: ReturnType<typeof txIds>;
    try {
      ids = txIds(tx, hash256);
    } catch (err) {
      if (err instanceof WireError) return false;
      throw err;
    }
    this.mem[idx] = tx;
    this.offsets[4 * idx] = 0;
    this.offsets[4 * idx + 1] = tx.length;
    this.stripped[idx] = ids.strippedSize;
    this.txids.set(ids.txid, 32 * idx);
    this.wtxids.set(ids.wtxid, 32 * idx);
    return true;
  }

  /**
   * Done with this rebuild: its per-index arrays go back for the next one. Nothing of it may be
   * used afterwards (the caller's last use is after the relay: the confirmed-slot marking).
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const a = this.arrays;
    this.arrays = undefined;
    this.block = undefined;
    this.mem = [];
    if (a !== undefined && spare.length < MAX_SPARE) spare.push(a);
  }

  /** Step 2: claims what `source` holds. Returns how many indexes it filled. */
  fill(source: TxSource): number {
    this.requireLive();
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
        copy32(source.txidChunk(c), at, this.txids, 32 * idx);
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
   * notes where its slot's transaction lies, an ambiguous one is emptied (it is requested).
   * Returns the net number of indexes filled.
   */
  private take(source: TxSource, changes: number): number {
    let got = 0;
    for (let k = 0; k < changes; k++) {
      const slot = matches[2 * k]!;
      const idx = matches[2 * k + 1]!;
      if (this.state[idx] === AMBIGUOUS) {
        // Core: "If we find two mempool txn that match the short id, just request it."
        if (this.mem[idx] !== undefined) {
          this.filled--;
          got--;
        }
        this.mem[idx] = undefined;
        this.slots[idx] = -1;
        continue;
      }
      const mem = source.txMemory(slot);
      if (mem === undefined) {
        this.state[idx] = MISSING;
        continue;
      }
      const at = source.txOffset(slot);
      this.mem[idx] = mem;
      this.offsets[4 * idx] = at;
      this.offsets[4 * idx + 1] = at + source.txLength(slot);
      this.stripped[idx] = source.strippedSize(slot);
      this.slots[idx] = slot;
      this.filled++;
      got++;
    }
    this.fromSources += got;
    return got;
  }

  /** The source slot index i was filled from, or -1 (prefilled, from a blocktxn, or ambiguous). */
  sourceSlot(i: number): number {
    this.requireLive();
    return this.slots[i]!;
  }

  /** Step 3: the request for every index still missing (empty list when complete). */
  missing(): GetBlockTxnMessage {
    this.requireLive();
    const indexes: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.mem[i] === undefined) indexes.push(i);
    return { command: 'getblocktxn', blockHash: this.hash, indexes };
  }

  /** Fills the missing indexes in order from a `blocktxn`; false ('invalid') when the count differs or one is not a transaction. */
  fillBlockTxn(msg: BlockTxnMessage): boolean {
    this.requireLive();
    if (this.n - this.filled !== msg.txs.length) return false;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.mem[i] !== undefined) continue;
      if (!this.own(i, msg.txs[k]!)) return false;
      this.state[i] = FOUND;
      k++;
    }
    this.filled = this.n;
    return true;
  }

  private requireLive(): void {
    if (this.released) throw new Error('PartialBlock: used after release()');
  }

  private requireComplete(): void {
    this.requireLive();
    if (this.filled !== this.n) throw new Error(`PartialBlock: ${this.n - this.filled} transactions missing`);
  }

  /**
   * Step 4a, once nothing is missing: posts the block's merkle trees to `jobs` (another thread):
   * they need only the ids, so they are hashed while check() reads the transactions. The caller
   * passes them to check() and cancels them when it is done with the block.
   */
  postTrees(ctx: BlockContext, jobs: MerkleJobs): PostedTrees {
    this.requireComplete();
    return postTrees(this.txids, this.wtxids, this.n, ctx, jobs);
  }

  /**
   * Step 4b, once nothing is missing: the block checks, on the transactions where they lie (no
   * bytes are copied). `trees` (postTrees) are joined instead of hashed here.
   */
  check(ctx: BlockContext, trees?: PostedTrees): CheckStatus {
    this.requireComplete();
    const n = this.n;
    const offs = this.offsets;
    const witness = new Uint8Array(n);
    let size = 80 + compactSizeLen(n);
    let stripped = size;
    for (let i = 0; i < n; i++) {
      const mem = this.mem[i]!;
      const start = offs[4 * i]!;
      const end = offs[4 * i + 1]!;
      // A source's memory reads empty once it let the bytes go (no transaction is empty).
      if (mem.length < end || end === start) return { status: 'lost' };
      // BIP144: a marker byte 0 where the input count would be means witnesses (every transaction
      // here was walked once already: by its source on arrival, or as a message's).
      const segwit = mem[start + 4] === 0 ? 1 : 0;
      witness[i] = segwit;
      offs[4 * i + 2] = start + 4 + 2 * segwit;
      let s = this.stripped[i]!;
      if (s === 0) s = this.stripped[i] = strippedSize(parseTxBoundaries(mem.subarray(start, end)));
      size += end - start;
      stripped += s;
    }
    const check = checkParts(
      {
        n,
        header: this.header,
        mem: this.mem as Uint8Array[],
        offsets: offs,
        witness,
        txids: this.txids,
        wtxids: () => this.wtxids,
        size,
        strippedSize: stripped,
      },
      ctx,
      trees,
    );
    if (check.ok) return { status: 'ok', check };
    return check.mutated ? { status: 'collision', check } : { status: 'invalid-block', check };
  }

  /** Step 5, after check() passed (and in the same turn): the block's bytes, laid out as `layout` says. */
  layOut(layout: BlockLayout = FRESH): LaidOut {
    this.requireComplete();
    const n = this.n;
    const offs = this.offsets;
    let size = 80 + compactSizeLen(n);
    for (let i = 0; i < n; i++) size += offs[4 * i + 1]! - offs[4 * i]!;
    // Every byte of the block is written below, so the buffer need not be zeroed first (1–4 MB per block).
    const buffer = layout.alloc(layout.headroom + size);
    const block = buffer.subarray(layout.headroom);
    block.set(this.header, 0);
    let at = 80;
    // CompactSize of the tx count, written by hand to avoid a writer for 1–3 bytes.
    if (n < 0xfd) block[at++] = n;
    else if (n <= 0xffff) {
      block[at++] = 0xfd;
      block[at++] = n & 0xff;
      block[at++] = n >>> 8;
    } else {
      block[at++] = 0xfe;
      new DataView(block.buffer, block.byteOffset).setUint32(at, n, true);
      at += 4;
    }
    for (let i = 0; i < n; i++) {
      const start = offs[4 * i]!;
      const end = offs[4 * i + 1]!;
      block.set(this.mem[i]!.subarray(start, end), at);
      at += end - start;
    }
    return { block, buffer };
  }

  /** check() and, if it passed, layOut(): for callers that do not relay in between. */
  finish(ctx: BlockContext, layout: BlockLayout = FRESH, trees?: PostedTrees): FinishResult {
    const r = this.check(ctx, trees);
    return r.status === 'ok' ? { status: 'rebuilt', check: r.check, ...this.layOut(layout) } : r;
  }
}

function copy32(src: Uint8Array, so: number, dst: Uint8Array, d: number): void {
  for (let i = 0; i < 32; i++) dst[d + i] = src[so + i]!;
}

function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
