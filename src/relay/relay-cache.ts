/**
 * Items received for relay, kept so peers' getdata can be served: each one as the exact frame it
 * arrived in (header + payload, checksum included), which every destination writes as is. Bounded
 * in bytes and in age, oldest out first.
 *
 * Nothing here stops the world (a doubling ring that re-inserted every entry into both indexes
 * stalled the node for 14–34 ms, docs/performance.md "The two misses"):
 * - slots live in chunks of CHUNK slots that are only ever appended, so a slot number never
 *   changes and growth copies nothing; free slots and the age order are linked lists through the
 *   slots themselves;
 * - the two hash indexes (txid/block hash, and wtxid) read their keys from those chunks and grow
 *   incrementally (hash-index.ts);
 * - frames are packed into reused slabs (frame-slabs.ts), not one Buffer each.
 *
 * Bitcoin Core keeps relayed transactions for RELAY_TX_CACHE_TIME = 15 minutes
 * (src/net_processing.cpp); so does this cache by default, so that when traffic falls, memory
 * falls with it. Once the cache is empty it gives its chunks and spare slabs back.
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { FrameSlabs } from './frame-slabs.js';
import { copyHash, HashIndex, sameHash } from './hash-index.js';

export type ItemKind = 'tx' | 'block';

/** Bitcoin Core RELAY_TX_CACHE_TIME. */
export const DEFAULT_MAX_AGE_MS = 15 * 60_000;
/**
 * Slots per chunk. 4,096 slots = 256 KiB of keys: a chunk costs ~0.1 ms to allocate, against
 * the 8 MB copies (and 256k re-inserts) of the doubling ring at 256k items.
 */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
/** Slots per id chunk, for readers of idChunk/widChunk (the compact-block TxSource). */
export const CACHE_CHUNK_SLOTS = CHUNK;
const LOW = CHUNK - 1;
/**
 * Smallest bytes per item for the slot bound: a frame is a 24-byte header plus a payload, and a
 * transaction is at least 60 bytes. The cache holds at most maxBytes / 64 items, so a flood of
 * tiny frames cannot make the per-slot tables (~100 bytes a slot) outgrow the byte budget.
 */
const MIN_ITEM_BYTES = 64;

// Per-slot integers, META of them: flags, source peer, slab, offset, length, next slot in its list,
// and a transaction's stripped size (BIP141: its serialization without witness, for block weight).
const META = 7;
/** Per-slot table bytes: meta, txid, wtxid, time, scan skip (see addChunk). */
const SLOT_TABLE_BYTES = META * 4 + 32 + 32 + 8 + 1;
const FLAGS = 0;
const FROM = 1;
const SLAB = 2;
const OFFSET = 3;
const LENGTH = 4;
const NEXT = 5;
const STRIPPED = 6;
const IS_BLOCK = 1;
const FROM_MESH = 2;
/** The wtxid differs from the txid and is in the wtxid index. */
const TWO_IDS = 4;
/** End of a linked list. */
const NONE = -1;

export interface RelayCacheOptions {
  /** Items older than this leave (milliseconds; Infinity: never). */
  readonly maxAgeMs?: number;
  readonly clock?: Clock;
}

export class RelayCache {
  readonly maxAgeMs: number;
  private readonly clock: Clock;
  private readonly maxSlots: number;
  private readonly idChunks: Uint8Array[] = [];
  private readonly widChunks: Uint8Array[] = [];
  private readonly metaChunks: Int32Array[] = [];
  private readonly timeChunks: Float64Array[] = [];
  /** Per slot, 1 when a compact-block rebuild need not hash it (scanSkipChunk). */
  private readonly skipChunks: Uint8Array[] = [];
  /** Per chunk, its slots whose skip byte is 0. */
  private readonly scanCounts: number[] = [];
  private byId = new HashIndex(this.idChunks, 1024, CHUNK_BITS);
  /** Transactions with a witness: wtxid → slot (BIP339 peers ask by wtxid). */
  private byWid = new HashIndex(this.widChunks, 256, CHUNK_BITS);
  private readonly slabs = new FrameSlabs();
  /** Oldest and newest item (the age order), and the free slots. */
  private oldest = NONE;
  private newest = NONE;
  private freeHead = NONE;
  private count = 0;
  private bytes = 0;
  evicted = 0;
  /** Of those, items that left because of their age. */
  expired = 0;
  /** Called with an item's slot just before it is evicted (its id and kind still readable); null = nobody. */
  onEvict: ((slot: number) => void) | null = null;

  constructor(
    readonly maxBytes: number,
    options: RelayCacheOptions = {},
  ) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`relay cache size must be a positive integer, got ${maxBytes}`);
    const age = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    if (!(age > 0)) throw new TypeError(`relay cache age limit must be positive, got ${age}`);
    this.maxAgeMs = age;
    this.clock = options.clock ?? systemClock;
    this.maxSlots = Math.max(CHUNK, Math.ceil(maxBytes / MIN_ITEM_BYTES));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of the cached frames. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Slots allocated (CHUNK per chunk): the per-slot tables' size. */
  get capacity(): number {
    return this.metaChunks.length * CHUNK;
  }

  /** Memory held for frames: slabs in use and spare, and blocks' own buffers. */
  get frameReservedBytes(): number {
    return this.slabs.reservedBytes;
  }

  /** All the memory the cache holds: frames (frameReservedBytes), per-slot tables and both indexes. */
  get reservedBytes(): number {
    return this.slabs.reservedBytes + this.capacity * SLOT_TABLE_BYTES + this.byId.tableBytes + this.byWid.tableBytes;
  }

  /** Slot of the item whose txid, wtxid or block hash is at src[off..off+32), or -1. */
  find(src: Uint8Array, off = 0): number {
    const s = this.byId.find(src, off);
    return s >= 0 || this.byWid.size === 0 ? s : this.byWid.find(src, off);
  }

  has(src: Uint8Array, off = 0): boolean {
    return this.find(src, off) >= 0;
  }

  /**
   * Adds an item (the caller checked it is not cached), copying its frame from
   * src[frameOff .. frameOff + frameLength) (a receive buffer may be reused). Returns its slot,
   * which stays the item's until it leaves. `strippedSize`: a transaction's size without witness
   * (0 if unknown; blocks: 0).
   */
  add(kind: ItemKind, idSrc: Uint8Array, idOff: number, widSrc: Uint8Array, widOff: number, src: Uint8Array, frameOff: number, frameLength: number, from: number, fromMesh: boolean, strippedSize = 0): number {
    const now = this.clock.now();
    this.expire(now);
    if (this.freeHead === NONE) {
      if (this.capacity < this.maxSlots) this.addChunk();
      else this.evictOldest();
    }
    const slot = this.freeHead;
    const meta = this.metaChunks[slot >>> CHUNK_BITS]!;
    const m = (slot & LOW) * META;
    this.freeHead = meta[m + NEXT]!;
    const ko = (slot & LOW) << 5;
    const ids = this.idChunks[slot >>> CHUNK_BITS]!;
    const wids = this.widChunks[slot >>> CHUNK_BITS]!;
    copyHash(idSrc, idOff, ids, ko);
    copyHash(widSrc, widOff, wids, ko);
    const twoIds = !sameHash(ids, ko, wids, ko);
    const slab = this.slabs.store(src, frameOff, frameLength);
    meta[m + FLAGS] = (kind === 'block' ? IS_BLOCK : 0) | (fromMesh ? FROM_MESH : 0) | (twoIds ? TWO_IDS : 0);
    meta[m + FROM] = from;
    meta[m + SLAB] = slab;
    meta[m + OFFSET] = this.slabs.lastOffset;
    meta[m + LENGTH] = frameLength;
    meta[m + NEXT] = NONE;
    meta[m + STRIPPED] = strippedSize;
    this.timeChunks[slot >>> CHUNK_BITS]![slot & LOW] = now;
    if (kind === 'tx') this.unskip(slot);
    if (this.newest === NONE) this.oldest = slot;
    else this.setNext(this.newest, slot);
    this.newest = slot;
    this.count++;
    this.bytes += frameLength;
    this.byId.insert(slot);
    if (twoIds) this.byWid.insert(slot);
    while (this.bytes > this.maxBytes && this.count > 1) this.evictOldest();
    return slot;
  }

  /**
   * Lets items older than the age limit leave (oldest first: the first young one ends it). The
   * node's ticker calls this, so an idle cache empties too.
   */
  expire(now = this.clock.now()): void {
    const limit = now - this.maxAgeMs;
    while (this.oldest !== NONE && this.timeChunks[this.oldest >>> CHUNK_BITS]![this.oldest & LOW]! <= limit) {
      this.expired++;
      this.evictOldest();
    }
  }

  /**
   * The frame (header + payload) of a cached item, exactly as it arrived: a view into the cache's
   * memory, to be written (copied) before the item can leave and its slab be refilled; a view kept
   * past that reads as empty (frame-slabs.ts). `skip`: from that byte on (the payload: HEADER_SIZE).
   */
  frame(slot: number, skip = 0): Uint8Array {
    const meta = this.metaChunks[slot >>> CHUNK_BITS]!;
    const m = (slot & LOW) * META;
    return this.slabs.view(meta[m + SLAB]!, meta[m + OFFSET]!, meta[m + LENGTH]!, skip);
  }
  /**
   * The memory the slot's frame is in and, with frameOffset, where: for queueing a frame without a
   * view object per queued copy (a long send queue of views was promoted garbage).
   */
  frameMemory(slot: number): Uint8Array {
    const meta = this.metaChunks[slot >>> CHUNK_BITS]!;
    const m = (slot & LOW) * META;
    return this.slabs.memory(meta[m + SLAB]!, meta[m + OFFSET]!);
  }
  frameOffset(slot: number): number {
    const meta = this.metaChunks[slot >>> CHUNK_BITS]!;
    const m = (slot & LOW) * META;
    return FrameSlabs.offsetIn(meta[m + SLAB]!, meta[m + OFFSET]!);
  }
  /** The slot holds an item (a frame is never empty; free slots have length 0). */
  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.capacity && this.meta(slot, LENGTH) > 0;
  }
  /** The frame's length in bytes. */
  frameLength(slot: number): number {
    return this.meta(slot, LENGTH);
  }
  /** A transaction's size without witness, as given to add() (0: not known). */
  strippedSize(slot: number): number {
    return this.meta(slot, STRIPPED);
  }
  kind(slot: number): ItemKind {
    return (this.meta(slot, FLAGS) & IS_BLOCK) !== 0 ? 'block' : 'tx';
  }
  isTx(slot: number): boolean {
    return (this.meta(slot, FLAGS) & IS_BLOCK) === 0;
  }
  /** Peer id it came from (-1: injected locally). */
  from(slot: number): number {
    return this.meta(slot, FROM);
  }
  fromMesh(slot: number): boolean {
    return (this.meta(slot, FLAGS) & FROM_MESH) !== 0;
  }
  /** The wtxid differs from the txid (a transaction with a witness). */
  hasTwoIds(slot: number): boolean {
    return (this.meta(slot, FLAGS) & TWO_IDS) !== 0;
  }
  /** The chunk holding the slot's id (txid or block hash), at keyOffset(slot). */
  idChunk(slot: number): Uint8Array {
    return this.idChunks[slot >>> CHUNK_BITS]!;
  }
  /** The chunk holding the slot's wtxid (the id for blocks and non-witness txs), at keyOffset(slot). */
  widChunk(slot: number): Uint8Array {
    return this.widChunks[slot >>> CHUNK_BITS]!;
  }
  /**
   * The chunk of scan-skip bytes holding the slot's, at slot mod CACHE_CHUNK_SLOTS: 1 for a free
   * slot, a block, or a transaction marked confirmed; 0 for the transactions a compact block may
   * still need (src/chain/compact/tx-source.ts skipChunk).
   */
  scanSkipChunk(slot: number): Uint8Array {
    return this.skipChunks[slot >>> CHUNK_BITS]!;
  }
  /** How many slots of the slot's chunk have a 0 scan-skip byte (none: the chunk need not be read). */
  scanCount(slot: number): number {
    return this.scanCounts[slot >>> CHUNK_BITS]!;
  }
  /**
   * Marks slot's transaction as in a block, if the slot still holds the one whose wtxid is at
   * src[off..off+32): kept for getdata as before, left out of compact-block scans (it cannot be
   * in the next block; after a reorg it is simply asked for with getblocktxn).
   */
  markConfirmed(slot: number, src: Uint8Array, off: number): void {
    if (this.isLive(slot) && sameHash(this.widChunk(slot), this.keyOffset(slot), src, off)) this.skip(slot);
  }

  private skip(slot: number): void {
    const c = slot >>> CHUNK_BITS;
    const skip = this.skipChunks[c]!;
    if (skip[slot & LOW] === 1) return;
    skip[slot & LOW] = 1;
    this.scanCounts[c]!--;
  }

  private unskip(slot: number): void {
    const c = slot >>> CHUNK_BITS;
    this.skipChunks[c]![slot & LOW] = 0;
    this.scanCounts[c]!++;
  }
  keyOffset(slot: number): number {
    return (slot & LOW) << 5;
  }
  id(slot: number): Uint8Array {
    const o = this.keyOffset(slot);
    return this.idChunk(slot).slice(o, o + 32);
  }
  wid(slot: number): Uint8Array {
    const o = this.keyOffset(slot);
    return this.widChunk(slot).slice(o, o + 32);
  }

  /** Slots of the cached items, oldest first. */
  *slots(): IterableIterator<number> {
    for (let s = this.oldest; s !== NONE; s = this.meta(s, NEXT)) yield s;
  }

  private meta(slot: number, field: number): number {
    return this.metaChunks[slot >>> CHUNK_BITS]![(slot & LOW) * META + field]!;
  }

  private setNext(slot: number, next: number): void {
    this.metaChunks[slot >>> CHUNK_BITS]![(slot & LOW) * META + NEXT] = next;
  }

  /** CHUNK more slots, all free; nothing existing moves. The four tables share one buffer. */
  private addChunk(): void {
    const base = this.metaChunks.length * CHUNK;
    const buf = new ArrayBuffer(CHUNK * SLOT_TABLE_BYTES);
    const meta = new Int32Array(buf, 0, CHUNK * META);
    for (let i = 0; i < CHUNK; i++) meta[i * META + NEXT] = i + 1 < CHUNK ? base + i + 1 : this.freeHead;
    this.metaChunks.push(meta);
    this.idChunks.push(new Uint8Array(buf, CHUNK * META * 4, 32 * CHUNK));
    this.widChunks.push(new Uint8Array(buf, CHUNK * (META * 4 + 32), 32 * CHUNK));
    this.timeChunks.push(new Float64Array(buf, CHUNK * (META * 4 + 64), CHUNK));
    this.skipChunks.push(new Uint8Array(buf, CHUNK * (META * 4 + 72), CHUNK).fill(1));
    this.scanCounts.push(0);
    this.freeHead = base;
  }

  private evictOldest(): void {
    const slot = this.oldest;
    if (this.onEvict !== null) this.onEvict(slot);
    const meta = this.metaChunks[slot >>> CHUNK_BITS]!;
    const m = (slot & LOW) * META;
    this.byId.remove(slot);
    if ((meta[m + FLAGS]! & TWO_IDS) !== 0) this.byWid.remove(slot);
    this.slabs.release(meta[m + SLAB]!, meta[m + OFFSET]!);
    this.bytes -= meta[m + LENGTH]!;
    meta[m + LENGTH] = 0; // free (isLive)
    this.skip(slot);
    this.oldest = meta[m + NEXT]!;
    if (this.oldest === NONE) this.newest = NONE;
    meta[m + NEXT] = this.freeHead;
    this.freeHead = slot;
    this.count--;
    this.evicted++;
    if (this.count === 0) this.giveBack();
  }

  /** Empty: drop the slot chunks, the indexes' tables and the spare slabs (memory falls back). */
  private giveBack(): void {
    this.slabs.dropSpares();
    if (this.metaChunks.length <= 1) return;
    this.metaChunks.length = 0;
    this.idChunks.length = 0;
    this.widChunks.length = 0;
    this.timeChunks.length = 0;
    this.skipChunks.length = 0;
    this.scanCounts.length = 0;
    this.freeHead = NONE;
    this.byId = new HashIndex(this.idChunks, 1024, CHUNK_BITS);
    this.byWid = new HashIndex(this.widChunks, 256, CHUNK_BITS);
  }
}
