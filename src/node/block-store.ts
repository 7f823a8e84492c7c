/**
 * The recent blocks we relayed, as their `block` frames, kept within a byte budget
 * (`blockStoreMaxBytes`) so peers can still fetch them — as `block`, `cmpctblock` or `blocktxn`
 * (Core answers getblocktxn within MAX_BLOCKTXN_DEPTH of the tip) — after the relay cache, which
 * transactions churn through, has evicted them. Oldest first out; the newest block always stays.
 * Each frame is copied in: the relay cache's frames live in slabs that are reused after eviction.
 */
export class BlockStore {
  private readonly frames = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.frames.size;
  }
  get byteLength(): number {
    return this.bytes;
  }

  add(hash: Uint8Array, frame: Uint8Array): void {
    if (this.maxBytes === 0) return;
    const key = keyOf(hash, 0);
    if (this.frames.has(key)) return;
    this.frames.set(key, Uint8Array.prototype.slice.call(frame));
    this.bytes += frame.length;
    while (this.bytes > this.maxBytes && this.frames.size > 1) {
      const [oldest, f] = this.frames.entries().next().value!;
      this.frames.delete(oldest);
      this.bytes -= f.length;
    }
  }

  /** The frame of the block whose hash is at src[off..off+32), if kept. */
  get(src: Uint8Array, off = 0): Uint8Array | undefined {
    return this.frames.get(keyOf(src, off));
  }
}

function keyOf(src: Uint8Array, off: number): string {
  return Buffer.from(src.buffer, src.byteOffset + off, 32).toString('hex');
}
