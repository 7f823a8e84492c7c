/**
 * What a peer is known to have (it announced or sent it, or we announced it to it): a rolling set
 * of the last `capacity` hashes (btcd keeps 1,000, maxKnownInventory). Binary keys in one slab,
 * oldest out first, O(1) per operation; memory grows with use up to capacity × 40 bytes.
 */
import { copyHash, HashIndex } from './hash-index.js';

/** Known-inventory entries per peer (btcd maxKnownInventory). */
export const MAX_KNOWN_INVENTORY = 1000;

export class KnownInventory {
  private keys: Uint8Array;
  private readonly index: HashIndex;
  /** Next slot to write; slots fill in ring order. */
  private next = 0;
  private count = 0;

  constructor(readonly capacity = MAX_KNOWN_INVENTORY) {
    this.keys = new Uint8Array(32 * Math.min(capacity, 64));
    this.index = new HashIndex(this.keys, 128);
  }

  get size(): number {
    return this.count;
  }

  has(src: Uint8Array, off = 0): boolean {
    return this.index.find(src, off) >= 0;
  }

  /** Adds the hash at src[off..]; the oldest entry leaves when full. */
  add(src: Uint8Array, off = 0): void {
    if (this.index.find(src, off) >= 0) return;
    const slots = this.keys.length >>> 5;
    if (this.count === slots && slots < this.capacity) {
      // Still growing: slots are in insertion order 0..count-1, so the ring simply gets longer.
      const grown = new Uint8Array(32 * Math.min(this.capacity, slots * 2));
      grown.set(this.keys);
      this.keys = grown;
      this.index.setKeys(grown);
      this.next = slots;
    }
    const slot = this.next;
    if (this.count === this.capacity) this.index.remove(slot);
    else this.count++;
    copyHash(src, off, this.keys, slot * 32);
    this.index.insert(slot);
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
  }
}
