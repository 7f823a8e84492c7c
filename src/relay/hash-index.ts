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

export class HashIndex {
  /** slot + 1 per bucket; 0 = empty. */
  private buckets: Int32Array;
  /** Bucket hash of the entry in each bucket (saves touching the key slab on a miss). */
  private tags: Uint32Array;
  private mask: number;
  private count = 0;

  /** `keys`: the owner's slab, the key of slot s at keys[32 s .. 32 s + 32). */
  constructor(
    private keys: Uint8Array,
    initialBuckets = 64,
  ) {
    let cap = 16;
    while (cap < initialBuckets) cap *= 2;
    this.buckets = new Int32Array(cap);
    this.tags = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The owner moved its keys to a new slab (slot numbers unchanged). */
  setKeys(keys: Uint8Array): void {
    this.keys = keys;
  }

  /** Slot of the key at src[off..off+32), or -1. */
  find(src: Uint8Array, off: number): number {
    const h = hashOf(src, off);
    const mask = this.mask;
    const buckets = this.buckets;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = buckets[i]!;
      if (v === 0) return -1;
      if (this.tags[i] === h && sameHash(this.keys, (v - 1) * 32, src, off)) return v - 1;
    }
  }

  /** Indexes `slot`, whose key is already in the slab. The caller makes sure it is not there yet. */
  insert(slot: number): void {
    if ((this.count + 1) * 2 > this.buckets.length) this.grow();
    this.place(slot, hashOf(this.keys, slot * 32));
    this.count++;
  }

  /** Removes `slot` from the index (its key must still be in the slab); false if absent. */
  remove(slot: number): boolean {
    const h = hashOf(this.keys, slot * 32);
    const mask = this.mask;
    const buckets = this.buckets;
    let i = h & mask;
    for (;; i = (i + 1) & mask) {
      const v = buckets[i]!;
      if (v === 0) return false;
      if (v === slot + 1) break;
    }
    // Backward-shift deletion: move later entries of the run into the hole when their home
    // bucket allows it, so lookups never need tombstones.
    let hole = i;
    for (let j = (i + 1) & mask; buckets[j] !== 0; j = (j + 1) & mask) {
      const home = this.tags[j]! & mask;
      const dist = (j - home) & mask;
      const gap = (j - hole) & mask;
      if (dist >= gap) {
        buckets[hole] = buckets[j]!;
        this.tags[hole] = this.tags[j]!;
        hole = j;
      }
    }
    buckets[hole] = 0;
    this.count--;
    return true;
  }

  clear(): void {
    this.buckets.fill(0);
    this.count = 0;
  }

  private place(slot: number, h: number): void {
    const mask = this.mask;
    let i = h & mask;
    while (this.buckets[i] !== 0) i = (i + 1) & mask;
    this.buckets[i] = slot + 1;
    this.tags[i] = h;
  }

  private grow(): void {
    const oldB = this.buckets;
    const oldT = this.tags;
    this.buckets = new Int32Array(oldB.length * 2);
    this.tags = new Uint32Array(oldB.length * 2);
    this.mask = this.buckets.length - 1;
    for (let i = 0; i < oldB.length; i++) if (oldB[i] !== 0) this.place(oldB[i]! - 1, oldT[i]!);
  }
}
