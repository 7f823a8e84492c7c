import { grown } from '../util/typed-arrays.js';

/**
 * The announcers of each request slot beyond the one asked, with the inventory type each used: a
 * FIFO list per slot, at most `limit` long, each peer on it once. Allocation-free: the lists are
 * chained through one shared pool of entries in typed arrays (grown by doubling, entries reused
 * through a free list), so an item announced by many peers costs no per-item array.
 */
export class AnnouncerLists {
  /** Per slot: first and last entry (-1: empty) and the length. */
  private first: Int32Array;
  private last: Int32Array;
  private count: Uint8Array;
  /** The entry pool: peer, type and the next entry of the same list (or of the free list). */
  private peers = new Int32Array(256);
  private types = new Uint32Array(256);
  private next = new Int32Array(256);
  private freeHead = -1;
  /** Entries below this index have been handed out at least once. */
  private used = 0;

  constructor(
    slots: number,
    private readonly limit: number,
  ) {
    this.first = new Int32Array(slots).fill(-1);
    this.last = new Int32Array(slots).fill(-1);
    this.count = new Uint8Array(slots);
  }

  /** Slot `slot`'s list is not empty. */
  has(slot: number): boolean {
    return this.count[slot]! > 0;
  }

  /** Appends `peer` (announced with `type`) unless it is on the list already or the list is full. */
  add(slot: number, peer: number, type: number): void {
    const n = this.count[slot]!;
    if (n >= this.limit) return;
    for (let e = this.first[slot]!; e >= 0; e = this.next[e]!) if (this.peers[e] === peer) return;
    const e = this.take();
    this.peers[e] = peer;
    this.types[e] = type;
    this.next[e] = -1;
    if (n === 0) this.first[slot] = e;
    else this.next[this.last[slot]!] = e;
    this.last[slot] = e;
    this.count[slot] = n + 1;
  }

  /** The first peer on the list (the list must not be empty). */
  firstPeer(slot: number): number {
    return this.peers[this.first[slot]!]!;
  }

  /** The type the first peer on the list announced with. */
  firstType(slot: number): number {
    return this.types[this.first[slot]!]!;
  }

  /** Removes the first entry of a non-empty list. */
  shift(slot: number): void {
    const e = this.first[slot]!;
    this.first[slot] = this.next[e]!;
    const n = this.count[slot]! - 1;
    this.count[slot] = n;
    if (n === 0) this.last[slot] = -1;
    this.next[e] = this.freeHead;
    this.freeHead = e;
  }

  /** Empties the list of `slot` (its entries go back to the pool). */
  clear(slot: number): void {
    if (this.count[slot] === 0) return;
    this.next[this.last[slot]!] = this.freeHead;
    this.freeHead = this.first[slot]!;
    this.first[slot] = -1;
    this.last[slot] = -1;
    this.count[slot] = 0;
  }

  /** Room for `slots` slots (more than now), all empty beyond the old ones. */
  growSlots(slots: number): void {
    const old = this.first.length;
    this.first = grown(this.first, slots).fill(-1, old);
    this.last = grown(this.last, slots).fill(-1, old);
    this.count = grown(this.count, slots);
  }

  private take(): number {
    if (this.freeHead >= 0) {
      const e = this.freeHead;
      this.freeHead = this.next[e]!;
      return e;
    }
    if (this.used === this.peers.length) {
      const size = 2 * this.used;
      this.peers = grown(this.peers, size);
      this.types = grown(this.types, size);
      this.next = grown(this.next, size);
    }
    return this.used++;
  }
}
