/**
 * Key → dense-index map for the flow table, keyed by the (source, destination) peer-id pair:
 * open addressing with linear probing in one Int32Array, each slot holding [src, dst, index+1]
 * side by side so a probe reads one cache line. Nothing is allocated per lookup and the GC never
 * scans it. Deletion shifts entries back instead of leaving tombstones, so a table that churns
 * flows for days does not degrade. (A `Map<number, number>` variant, once kept for comparison,
 * was slower at every size and is gone; bench/flows.bench.ts compares against a naive Map table.)
 */

/** Peer ids are below 2^21 (connection ids, see IdAllocator). */
export const PEER_ID_BITS = 21;
export const MAX_PEER_ID = 2 ** PEER_ID_BITS - 1;

export interface FlowIndex {
  /** Dense index of the flow, or -1. */
  find(src: number, dst: number): number;
  /** Adds a key that is not present. */
  insert(src: number, dst: number, index: number): void;
  /** Points an existing key at a new dense index (after a swap-remove moved its flow). */
  update(src: number, dst: number, index: number): void;
  remove(src: number, dst: number): void;
  readonly size: number;
  /** Bytes held in typed arrays; 0 where the memory is hidden inside a Map. */
  readonly byteLength: number;
}

/** Slots are grown before this share is in use: expected probes per hit stay under ~1.8. */
const MAX_LOAD = 0.6;
const STRIDE = 3;

function slotHash(src: number, dst: number): number {
  let h = Math.imul(src, 0x9e3779b1) ^ dst;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

export class OpenFlowIndex implements FlowIndex {
  private slots: Int32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap * MAX_LOAD < initialCapacity) cap *= 2;
    this.slots = new Int32Array(cap * STRIDE);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  get byteLength(): number {
    return this.slots.byteLength;
  }

  find(src: number, dst: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let h = slotHash(src, dst) & mask;
    for (;;) {
      const b = h * STRIDE;
      const v = slots[b + 2]!;
      if (v === 0) return -1;
      if (slots[b] === src && slots[b + 1] === dst) return v - 1;
      h = (h + 1) & mask;
    }
  }

  insert(src: number, dst: number, index: number): void {
    if ((this.used + 1) > (this.mask + 1) * MAX_LOAD) this.grow();
    this.place(src, dst, index + 1);
    this.used++;
  }

  update(src: number, dst: number, index: number): void {
    const h = this.slotOf(src, dst);
    if (h < 0) throw new Error(`flow ${src}>${dst} is not indexed`);
    this.slots[h * STRIDE + 2] = index + 1;
  }

  remove(src: number, dst: number): void {
    let hole = this.slotOf(src, dst);
    if (hole < 0) return;
    const slots = this.slots;
    const mask = this.mask;
    // Backward-shift deletion: pull later entries of the same probe run into the hole unless
    // their home slot lies cyclically in (hole, j], where moving them would hide them from find().
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const jb = j * STRIDE;
      if (slots[jb + 2] === 0) break;
      const home = slotHash(slots[jb]!, slots[jb + 1]!) & mask;
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      const hb = hole * STRIDE;
      slots[hb] = slots[jb]!;
      slots[hb + 1] = slots[jb + 1]!;
      slots[hb + 2] = slots[jb + 2]!;
      hole = j;
    }
    const hb = hole * STRIDE;
    slots[hb] = 0;
    slots[hb + 1] = 0;
    slots[hb + 2] = 0;
    this.used--;
  }

  private slotOf(src: number, dst: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let h = slotHash(src, dst) & mask;
    for (;;) {
      const b = h * STRIDE;
      if (slots[b + 2] === 0) return -1;
      if (slots[b] === src && slots[b + 1] === dst) return h;
      h = (h + 1) & mask;
    }
  }

  private place(src: number, dst: number, stored: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let h = slotHash(src, dst) & mask;
    while (slots[h * STRIDE + 2] !== 0) h = (h + 1) & mask;
    const b = h * STRIDE;
    slots[b] = src;
    slots[b + 1] = dst;
    slots[b + 2] = stored;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Int32Array(cap * STRIDE);
    this.mask = cap - 1;
    for (let b = 0; b < old.length; b += STRIDE) {
      if (old[b + 2] !== 0) this.place(old[b]!, old[b + 1]!, old[b + 2]!);
    }
  }
}
