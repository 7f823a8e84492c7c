/**
 * An index from 32-byte hashes to small integer slots, with no strings and no per-entry objects:
 * open addressing with linear probing over typed arrays. The keys themselves live in the owner's
 * slab (`keys`, 32 bytes per slot), so a lookup can take the hash straight from a receive buffer
 * (`find(bytes, offset)`) and an insert costs no allocation once the table has grown.
 *
 * Inventory hashes can be chosen by a peer (an `inv` names any 32 bytes), so the bucket comes from
 * a per-process random salt mixed into two words of the hash: a peer cannot aim its entries at
 * one bucket chain without knowing the salt (Bitcoin Core salts its maps with SipHash for the same
 * reason). Deletion shifts the following entries back, so no tombstones pile up.
 *
 * Growing never stops the world: the doubled table is filled incrementally, a few old buckets per
 * insert or removal, while lookups consult both tables (the old one frozen, with tombstones for
 * what moved or left, so its probe chains stay intact). The keys may live in one slab, or in
 * chunks of 2^chunkBits slots that the owner appends to (slot numbers never move).
 */
import { randomBytes } from 'node:crypto';

const salt = randomBytes(12);
const S0 = salt.readUInt32LE(0);
const S1 = salt.readUInt32LE(4);
const S2 = salt.readUInt32LE(8) | 1;

/** The salted bucket hash of the 32 bytes at `src[off..]`. */
function hashOf(src: Uint8Array, off: number): number {
  const a = (src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16) | (src[off + 3]! << 24)) ^ S0;
  const b = (src[off + 8]! | (src[off + 9]! << 8) | (src[off + 10]! << 16) | (src[off + 11]! << 24)) ^ S1;
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ (a >>> 15), S2);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** True when the 32 bytes at a[ao..] equal those at b[bo..]. */
export function sameHash(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** Copies the 32 bytes at src[so..] to dst[do_..] (no subarray object). */
export function copyHash(src: Uint8Array, so: number, dst: Uint8Array, do_: number): void {
  for (let i = 0; i < 32; i++) dst[do_ + i] = src[so + i]!;
}

/** Old buckets moved to the new table per insert or removal while a growth is under way. */
const MIGRATE_STEP = 8;
/** A frozen old table's bucket whose entry moved or was removed (lookups go past it). */
const GONE = -1;

export class HashIndex {
  /** slot + 1 per bucket; 0 = empty. */
  private buckets: Int32Array;
  /** Bucket hash of the entry in each bucket (saves touching the key slab on a miss). */
  private tags: Uint32Array;
  private mask: number;
  private count = 0;
  /** The table being emptied into `buckets` (null when no growth is under way), and how far. */
  private oldBuckets: Int32Array | null = null;
  private oldTags: Uint32Array | null = null;
  private moved = 0;
  /** Key chunks: slot s at chunks[s >>> shift][32 (s & low) ..]. */
  private readonly chunks: Uint8Array[];
  private readonly shift: number;
  private readonly low: number;

  /**
   * `keys`: the owner's slab, the key of slot s at keys[32 s .. 32 s + 32); or an array of chunks
   * of 2^chunkBits slots each, shared with the owner, which appends chunks as it grows.
   */
  constructor(keys: Uint8Array | Uint8Array[], initialBuckets = 64, chunkBits = 26) {
    let cap = 16;
    while (cap < initialBuckets) cap *= 2;
    this.buckets = new Int32Array(cap);
    this.tags = new Uint32Array(cap);
    this.mask = cap - 1;
    this.chunks = Array.isArray(keys) ? keys : [keys];
    this.shift = chunkBits;
    this.low = 2 ** chunkBits - 1;
  }

  /** Bytes of the tables (both while growing). */
  get tableBytes(): number {
    const old = this.oldBuckets === null ? 0 : this.oldBuckets.byteLength + this.oldTags!.byteLength;
    return this.buckets.byteLength + this.tags.byteLength + old;
  }

  get size(): number {
    return this.count;
  }

  /** The owner moved its keys to a new slab (slot numbers unchanged; one-slab indexes only). */
  setKeys(keys: Uint8Array): void {
    this.chunks[0] = keys;
  }

  private hashOfSlot(slot: number): number {
    return hashOf(this.chunks[slot >>> this.shift]!, (slot & this.low) << 5);
  }

  private keyIs(slot: number, src: Uint8Array, off: number): boolean {
    return sameHash(this.chunks[slot >>> this.shift]!, (slot & this.low) << 5, src, off);
  }

  /** Slot of the key at src[off..off+32), or -1. */
  find(src: Uint8Array, off: number): number {
    const h = hashOf(src, off);
    const s = this.lookup(this.buckets, this.tags, this.mask, h, src, off);
    return s >= 0 || this.oldBuckets === null ? s : this.lookup(this.oldBuckets, this.oldTags!, this.oldBuckets.length - 1, h, src, off);
  }

  /** Probes one table for the key at src[off..] with bucket hash h (GONE buckets are passed). */
  private lookup(buckets: Int32Array, tags: Uint32Array, mask: number, h: number, src: Uint8Array, off: number): number {
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = buckets[i]!;
      if (v === 0) return -1;
      if (v > 0 && tags[i] === h && this.keyIs(v - 1, src, off)) return v - 1;
    }
  }

  /** Indexes `slot`, whose key is already in the slab. The caller makes sure it is not there yet. */
  insert(slot: number): void {
    if (this.oldBuckets !== null) this.migrate();
    if ((this.count + 1) * 2 > this.buckets.length) this.grow();
    this.place(slot, this.hashOfSlot(slot));
    this.count++;
  }

  /** Removes `slot` from the index (its key must still be in the slab); false if absent. */
  remove(slot: number): boolean {
    const h = this.hashOfSlot(slot);
    let gone = removeFrom(this.buckets, this.tags, this.mask, h, slot);
    if (!gone && this.oldBuckets !== null) {
      const old = this.oldBuckets;
      const mask = old.length - 1;
      for (let i = h & mask; old[i] !== 0; i = (i + 1) & mask) {
        if (old[i] === slot + 1) {
          old[i] = GONE;
          gone = true;
          break;
        }
      }
    }
    if (!gone) return false;
    this.count--;
    if (this.oldBuckets !== null) this.migrate();
    return true;
  }

  clear(): void {
    this.buckets.fill(0);
    this.oldBuckets = null;
    this.oldTags = null;
    this.count = 0;
  }

  private place(slot: number, h: number): void {
    const mask = this.mask;
    let i = h & mask;
    while (this.buckets[i] !== 0) i = (i + 1) & mask;
    this.buckets[i] = slot + 1;
    this.tags[i] = h;
  }

  /** Starts filling a table twice the size (finishing a growth still under way first). */
  private grow(): void {
    while (this.oldBuckets !== null) this.migrate();
    this.oldBuckets = this.buckets;
    this.oldTags = this.tags;
    this.moved = 0;
    this.buckets = new Int32Array(this.oldBuckets.length * 2);
    this.tags = new Uint32Array(this.oldBuckets.length * 2);
    this.mask = this.buckets.length - 1;
  }

  /** Moves the next MIGRATE_STEP buckets of the old table; drops it when all are moved. */
  private migrate(): void {
    const old = this.oldBuckets!;
    const oldTags = this.oldTags!;
    const end = Math.min(old.length, this.moved + MIGRATE_STEP);
    for (let i = this.moved; i < end; i++) {
      const v = old[i]!;
      if (v > 0) {
        this.place(v - 1, oldTags[i]!);
        old[i] = GONE;
      }
    }
    this.moved = end;
    if (end === old.length) {
      this.oldBuckets = null;
      this.oldTags = null;
    }
  }
}

/** Backward-shift deletion of `slot` (bucket hash h) from a live table; false if absent. */
function removeFrom(buckets: Int32Array, tags: Uint32Array, mask: number, h: number, slot: number): boolean {
  let i = h & mask;
  for (;; i = (i + 1) & mask) {
    const v = buckets[i]!;
    if (v === 0) return false;
    if (v === slot + 1) break;
  }
  // Move later entries of the run into the hole when their home bucket allows it, so lookups
  // never need tombstones.
  let hole = i;
  for (let j = (i + 1) & mask; buckets[j] !== 0; j = (j + 1) & mask) {
    const home = tags[j]! & mask;
    const dist = (j - home) & mask;
    const gap = (j - hole) & mask;
    if (dist >= gap) {
      buckets[hole] = buckets[j]!;
      tags[hole] = tags[j]!;
      hole = j;
    }
  }
  buckets[hole] = 0;
  return true;
}
