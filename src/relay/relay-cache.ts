/**
 * Items received for relay, kept so peers' getdata can be served: each one as the exact frame it
 * arrived in (header + payload, checksum included), which every destination writes as is. Bounded
 * in bytes, oldest out first.
 *
 * A ring of slots in arrival order with two hash indexes (txid/block hash, and wtxid): add, lookup
 * and eviction are O(1), with binary keys and no per-item objects (an eviction used to take the
 * first key of a Map, which walks past every deleted entry until the map rehashes).
 */
import { copyHash, HashIndex } from './hash-index.js';

export type ItemKind = 'tx' | 'block';
const TX = 0;
const BLOCK = 1;

export class RelayCache {
  /** Ring capacity in slots (power of two); grows when full (16k slots ≈ 1.4 MB to start). */
  private cap = 16384;
  private head = 0;
  private count = 0;
  private ids = new Uint8Array(32 * this.cap);
  private wids = new Uint8Array(32 * this.cap);
  private frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(this.cap);
  private kinds = new Uint8Array(this.cap);
  private froms = new Int32Array(this.cap);
  private meshes = new Uint8Array(this.cap);
  private readonly byId = new HashIndex(this.ids, 32768);
  /** Transactions with a witness: wtxid → slot (BIP339 peers ask by wtxid). */
  private readonly byWid = new HashIndex(this.wids, 256);
  private bytes = 0;
  evicted = 0;
  /** Called with an item's slot just before it is evicted (its id and kind still readable); null = nobody. */
  onEvict: ((slot: number) => void) | null = null;

  constructor(readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`relay cache size must be a positive integer, got ${maxBytes}`);
  }

  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.bytes;
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
   * Adds an item (the caller checked it is not cached). `frame` must be memory the cache may keep
   * (not a view into a reused receive buffer). Returns its slot.
   */
  add(kind: ItemKind, idSrc: Uint8Array, idOff: number, widSrc: Uint8Array, widOff: number, frame: Uint8Array, from: number, fromMesh: boolean): number {
    if (this.count === this.cap) this.grow();
    const slot = (this.head + this.count) & (this.cap - 1);
    this.count++;
    copyHash(idSrc, idOff, this.ids, slot * 32);
    copyHash(widSrc, widOff, this.wids, slot * 32);
    this.frames[slot] = frame;
    this.kinds[slot] = kind === 'tx' ? TX : BLOCK;
    this.froms[slot] = from;
    this.meshes[slot] = fromMesh ? 1 : 0;
    this.byId.insert(slot);
    if (!this.sameIds(slot)) this.byWid.insert(slot);
    this.bytes += frame.byteLength;
    while (this.bytes > this.maxBytes && this.count > 1) this.evictOldest();
    return slot;
  }

  /** The frame (header + payload) of a cached item, exactly as it arrived. */
  frame(slot: number): Uint8Array {
    return this.frames[slot]!;
  }
  kind(slot: number): ItemKind {
    return this.kinds[slot] === TX ? 'tx' : 'block';
  }
  isTx(slot: number): boolean {
    return this.kinds[slot] === TX;
  }
  /** Peer id it came from (-1: injected locally). */
  from(slot: number): number {
    return this.froms[slot]!;
  }
  fromMesh(slot: number): boolean {
    return this.meshes[slot] === 1;
  }
  /** The id (txid or block hash) is at idBytes[32 slot ..]. */
  get idBytes(): Uint8Array {
    return this.ids;
  }
  /** The wtxid (the id for blocks and non-witness txs) is at widBytes[32 slot ..]. */
  get widBytes(): Uint8Array {
    return this.wids;
  }
  id(slot: number): Uint8Array {
    return this.ids.slice(slot * 32, slot * 32 + 32);
  }
  wid(slot: number): Uint8Array {
    return this.wids.slice(slot * 32, slot * 32 + 32);
  }

  /** Slots of the cached items, oldest first. */
  *slots(): IterableIterator<number> {
    for (let i = 0; i < this.count; i++) yield (this.head + i) & (this.cap - 1);
  }

  private sameIds(slot: number): boolean {
    const o = slot * 32;
    for (let i = 0; i < 32; i++) if (this.ids[o + i] !== this.wids[o + i]) return false;
    return true;
  }

  private evictOldest(): void {
    const slot = this.head;
    if (this.onEvict !== null) this.onEvict(slot);
    this.byId.remove(slot);
    if (!this.sameIds(slot)) this.byWid.remove(slot);
    this.bytes -= this.frames[slot]!.byteLength;
    this.frames[slot] = undefined;
    this.head = (this.head + 1) & (this.cap - 1);
    this.count--;
    this.evicted++;
  }

  /** Doubles the ring, laying the items out oldest first from slot 0, and re-indexes them. */
  private grow(): void {
    const cap = this.cap * 2;
    const ids = new Uint8Array(32 * cap);
    const wids = new Uint8Array(32 * cap);
    const frames = new Array<Uint8Array | undefined>(cap);
    const kinds = new Uint8Array(cap);
    const froms = new Int32Array(cap);
    const meshes = new Uint8Array(cap);
    for (let i = 0; i < this.count; i++) {
      const s = (this.head + i) & (this.cap - 1);
      copyHash(this.ids, s * 32, ids, i * 32);
      copyHash(this.wids, s * 32, wids, i * 32);
      frames[i] = this.frames[s];
      kinds[i] = this.kinds[s]!;
      froms[i] = this.froms[s]!;
      meshes[i] = this.meshes[s]!;
    }
    this.cap = cap;
    this.head = 0;
    this.ids = ids;
    this.wids = wids;
    this.frames = frames;
    this.kinds = kinds;
    this.froms = froms;
    this.meshes = meshes;
    this.byId.setKeys(ids);
    this.byWid.setKeys(wids);
    this.byId.clear();
    this.byWid.clear();
    for (let i = 0; i < this.count; i++) {
      this.byId.insert(i);
      if (!this.sameIds(i)) this.byWid.insert(i);
    }
  }
}
