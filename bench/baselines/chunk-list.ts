/**
 * Input buffering of the plain baselines (v1 framer, v2 packet reader): chunks wait in a list until
 * the next whole frame or packet can be cut, so a 1 MiB frame arriving in 64 KiB pieces is joined
 * once, not re-copied per chunk: the baselines are plain, not careless.
 */
export class ChunkList {
  private chunks: Buffer[] = [];
  private pending = 0;

  /** @param need bytes the first unit needs before push() hands anything out. */
  constructor(public need: number) {}

  /** Adds `chunk`; all buffered bytes as one Buffer once at least `need` are there, else undefined. */
  push(chunk: Buffer): Buffer | undefined {
    this.chunks.push(chunk);
    this.pending += chunk.length;
    if (this.pending < this.need) return undefined;
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pending);
  }

  /** Keeps `b` from `off` on (the bytes not cut yet) for the next push. */
  keep(b: Buffer, off: number): void {
    this.chunks = off === b.length ? [] : [b.subarray(off)];
    this.pending = b.length - off;
  }
}
