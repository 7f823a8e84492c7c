/**
 * A list of inventory entries kept as their 36 wire bytes (type u32 LE + 32-byte hash) in one
 * growing buffer, turned into complete inv / getdata / notfound frames without an intermediate
 * payload copy: no per-item objects anywhere on the way.
 */
import { checksum } from '../wasm/hasher.js';
import { COMMAND_SIZE, HEADER_SIZE, MAX_INV_PER_MSG } from '../wire/constants.js';
import { copyHash } from './hash-index.js';

export const INV_ENTRY_SIZE = 36;

export class InvEntries {
  buf = new Uint8Array(INV_ENTRY_SIZE * 16);
  n = 0;

  push(type: number, src: Uint8Array, off: number): void {
    const at = INV_ENTRY_SIZE * this.n;
    if (at + INV_ENTRY_SIZE > this.buf.length) {
      const g = new Uint8Array(this.buf.length * 2);
      g.set(this.buf);
      this.buf = g;
    }
    const b = this.buf;
    b[at] = type & 0xff;
    b[at + 1] = (type >>> 8) & 0xff;
    b[at + 2] = (type >>> 16) & 0xff;
    b[at + 3] = (type >>> 24) & 0xff;
    copyHash(src, off, b, at + 4);
    this.n++;
  }

  clear(): void {
    this.n = 0;
    if (this.buf.length > INV_ENTRY_SIZE * 4096) this.buf = new Uint8Array(INV_ENTRY_SIZE * 16);
  }

  /**
   * Frames of at most `max` entries each for `command`, built from the entries `keep` accepts
   * (by entry offset in `buf`); the list is cleared afterwards.
   */
  drain(magic: number, command: 'inv' | 'getdata' | 'notfound', max: number, emit: (frame: Uint8Array) => void, keep?: (at: number) => boolean): void {
    this.drainRange(magic, command, max, emit, keep, 0, Infinity);
    this.clear();
  }

  /**
   * As drain, for the entries from index `from` until index `to` or the end (entries pushed while
   * frames are emitted included); the list is left as it is. Returns the index it stopped at.
   */
  drainRange(magic: number, command: 'inv' | 'getdata' | 'notfound', max: number, emit: (frame: Uint8Array) => void, keep: ((at: number) => boolean) | undefined, from: number, to: number): number {
    const limit = Math.min(max, MAX_INV_PER_MSG);
    let i = from;
    while (i < Math.min(to, this.n)) {
      // Pick the next run of up to `limit` kept entries.
      const picked: number[] | undefined = keep === undefined ? undefined : [];
      let count = 0;
      const start = i;
      for (; i < Math.min(to, this.n) && count < limit; i++) {
        if (picked !== undefined) {
          if (!keep!(INV_ENTRY_SIZE * i)) continue;
          picked.push(INV_ENTRY_SIZE * i);
        }
        count++;
      }
      if (count === 0) continue;
      emit(this.frame(magic, command, count, picked, start));
    }
    return i;
  }

  /** Drops the first `k` entries, moving the rest to the front. */
  shift(k: number): void {
    if (k <= 0) return;
    if (k >= this.n) return this.clear();
    this.buf.copyWithin(0, INV_ENTRY_SIZE * k, INV_ENTRY_SIZE * this.n);
    this.n -= k;
  }

  private frame(magic: number, command: string, count: number, picked: number[] | undefined, from: number): Uint8Array {
    const head = count < 0xfd ? 1 : 3;
    const len = head + INV_ENTRY_SIZE * count;
    const f = Buffer.allocUnsafe(HEADER_SIZE + len);
    f.writeUInt32LE(magic >>> 0, 0);
    f.fill(0, 4, 4 + COMMAND_SIZE);
    f.write(command, 4, 'latin1');
    f.writeUInt32LE(len, 16);
    const p = HEADER_SIZE;
    if (head === 1) f[p] = count;
    else {
      f[p] = 0xfd;
      f[p + 1] = count & 0xff;
      f[p + 2] = count >>> 8;
    }
    if (picked === undefined) {
      f.set(this.buf.subarray(INV_ENTRY_SIZE * from, INV_ENTRY_SIZE * (from + count)), p + head);
    } else {
      for (let k = 0; k < count; k++) f.set(this.buf.subarray(picked[k]!, picked[k]! + INV_ENTRY_SIZE), p + head + INV_ENTRY_SIZE * k);
    }
    f.writeUInt32LE(checksum(f.subarray(p)), 20);
    return f;
  }
}
