/**
 * The relay cache's frame bytes, packed in arrival order into a few large ArrayBuffers (slabs)
 * instead of one Buffer per frame. A full collection then marks a few dozen objects, not one per
 * cached frame (~245k Buffers in a full 64 MiB cache: GC pauses of 4–20 ms per step in the load
 * harness, docs/performance.md "The two misses"), and the memory is reused, not re-allocated.
 *
 * Frames leave in arrival order (the cache evicts oldest first), so slabs empty in order too. An
 * empty slab is kept as a spare (at most SPARE_SLABS; the rest are dropped, so memory falls back
 * after a flood) and refilled later. A view handed out earlier may still sit in a writer's queue
 * when its slab is refilled, so an emptied slab is detached before it is kept: its memory moves to a new
 * ArrayBuffer (a transfer, no copy) and every old view reads as empty (byteLength 0), which the
 * writer drops, instead of silently showing another frame's bytes. Writers never hand a slab view
 * to a socket (they copy it into their write), so no kernel write can see a refilled slab.
 *
 * Slabs are plain ArrayBuffers. Resizable ones (ES2024 `maxByteLength`, shrunk to 0 when dropped)
 * gave a dropped slab's pages back at once, without waiting for a collection, but every view of one
 * is slower to make and to copy from, and the relay core's CPU per delivery rose 20–40 %
 * (docs/performance.md, issue 21); a dropped slab's memory goes back when a collection finds it.
 *
 * Frames of OWN_BUFFER_MIN bytes or more (blocks) get their own buffer, never reused.
 */
/** Bytes per slab: large enough that a full 64 MiB cache is 64 objects, small enough to free in steps. */
export const SLAB_BYTES = 1 << 20;
/** Frames this large get their own buffer; writers may hand those to a socket as they are. */
export const OWN_BUFFER_MIN = SLAB_BYTES / 4;
/** Empty slabs kept for reuse. */
const SPARE_SLABS = 2;
/** The slab of a frame that has its own buffer. */
export const OWN_BUFFER = -1;

export class FrameSlabs {
  private buffers: (ArrayBuffer | undefined)[] = [];
  private bytes: (Uint8Array | undefined)[] = [];
  /** Frames stored and not yet released, per slab. */
  private live: number[] = [];
  /** Slab indexes not in use. */
  private freeIndexes: number[] = [];
  private spares: ArrayBuffer[] = [];
  /** The slab being filled, and its fill level. */
  private current = -1;
  private fill = SLAB_BYTES;
  private own = new Map<number, Uint8Array>();
  private ownSeq = 0;
  /** Slabs in use. */
  inUse = 0;
  /** Slabs refilled after they had emptied (detached first). */
  reused = 0;
  /** Slabs dropped (beyond the spares), left to the collector. */
  dropped = 0;

  /** Bytes held: slabs in use and spare, and frames with their own buffer. */
  get reservedBytes(): number {
    let own = 0;
    for (const b of this.own.values()) own += b.byteLength;
    return (this.inUse + this.spares.length) * SLAB_BYTES + own;
  }

  /**
   * Copies src[off .. off + len) in. Returns where it went: a slab index (the offset is then in
   * `lastOffset`), or OWN_BUFFER with `lastOffset` as the key of its own buffer.
   */
  store(src: Uint8Array, off: number, len: number): number {
    if (len >= OWN_BUFFER_MIN) {
      const b = new Uint8Array(len);
      b.set(src.subarray(off, off + len));
      this.lastOffset = this.ownSeq++;
      this.own.set(this.lastOffset, b);
      return OWN_BUFFER;
    }
    if (this.fill + len > SLAB_BYTES) this.openSlab();
    const s = this.current;
    this.bytes[s]!.set(src.subarray(off, off + len), this.fill);
    this.lastOffset = this.fill;
    this.fill += len;
    this.live[s]!++;
    return s;
  }

  /** Offset of the frame last stored (or the key of its own buffer). */
  lastOffset = 0;

  /**
   * The memory a stored frame is in, without making a view of it: the slab's own Uint8Array (the
   * frame at its offset; it reads as empty once the slab empties, like every view of it) or a
   * block's own buffer (offset 0). For queues that hold many frames (src/peer/writer.ts).
   */
  memory(slab: number, off: number): Uint8Array {
    return slab === OWN_BUFFER ? this.own.get(off)! : this.bytes[slab]!;
  }

  /** Where a stored frame starts in memory(slab, off). */
  static offsetIn(slab: number, off: number): number {
    return slab === OWN_BUFFER ? 0 : off;
  }

  /**
   * A view of a stored frame, from its byte `skip` on (valid until its slab is refilled; then it
   * reads as empty).
   */
  view(slab: number, off: number, len: number, skip = 0): Uint8Array {
    if (slab === OWN_BUFFER) {
      const b = this.own.get(off)!;
      return skip === 0 ? b : b.subarray(skip);
    }
    return new Uint8Array(this.buffers[slab]!, off + skip, len - skip);
  }

  /** The frame is no longer cached. */
  release(slab: number, off: number): void {
    if (slab === OWN_BUFFER) {
      this.own.delete(off);
      return;
    }
    if (--this.live[slab]! === 0 && slab !== this.current) this.retire(slab);
  }

  /** Drops every spare, and the current slab if it is empty (the cache emptied: give the memory back). */
  dropSpares(): void {
    if (this.current >= 0 && this.live[this.current] === 0) {
      this.retire(this.current);
      this.current = -1;
      this.fill = SLAB_BYTES;
    }
    this.dropped += this.spares.length;
    this.spares.length = 0;
  }

  private openSlab(): void {
    const prev = this.current;
    if (prev >= 0 && this.live[prev] === 0) this.retire(prev);
    let buf = this.spares.pop();
    if (buf === undefined) buf = new ArrayBuffer(SLAB_BYTES);
    else this.reused++;
    const s = this.freeIndexes.pop() ?? this.buffers.length;
    this.buffers[s] = buf;
    this.bytes[s] = new Uint8Array(buf);
    this.live[s] = 0;
    this.current = s;
    this.fill = 0;
    this.inUse++;
  }

  /** An empty slab leaves: detached (old views read as empty), kept as a spare or dropped. */
  private retire(s: number): void {
    const buf = this.buffers[s]!;
    this.buffers[s] = undefined;
    this.bytes[s] = undefined;
    this.freeIndexes.push(s);
    this.inUse--;
    const moved = structuredClone(buf, { transfer: [buf] });
    if (this.spares.length < SPARE_SLABS) this.spares.push(moved);
    else this.dropped++;
  }
}

