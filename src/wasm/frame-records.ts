/**
 * The one typed view of scan result records (docs/wasm-abi.md "Result record"). A record is 12
 * u32 words: offset, payload length, command id, status, then the payload's 32-byte double
 * SHA-256 (present when the checksum was verified, i.e. status OK).
 */

/** u32 words per record. */
export const RECORD_WORDS = 12;
/** Bytes per record (assembly/constants.ts RECORD_SIZE). */
export const RECORD_BYTES = 4 * RECORD_WORDS;
/** Byte offset of the digest inside a record. */
export const RECORD_DIGEST = 16;

export class FrameRecords {
  /** Record words; the first `RECORD_WORDS * count` are meaningful. */
  words: Uint32Array;
  /** Byte view of the same memory, for digests (`digestAt`). */
  bytes: Uint8Array;
  count = 0;

  constructor(words: Uint32Array = new Uint32Array(0)) {
    this.words = words;
    this.bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  }

  /** Points the accessor at new memory (a grown WASM memory, or a pool reply). */
  attach(words: Uint32Array, count: number): void {
    if (words !== this.words) {
      this.words = words;
      this.bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    }
    this.count = count;
  }

  /** Header offset of frame `i` within the scanned bytes. */
  offset(i: number): number {
    return this.words[i * RECORD_WORDS]!;
  }
  payloadLength(i: number): number {
    return this.words[i * RECORD_WORDS + 1]!;
  }
  commandId(i: number): number {
    return this.words[i * RECORD_WORDS + 2]!;
  }
  status(i: number): number {
    return this.words[i * RECORD_WORDS + 3]!;
  }
  setStatus(i: number, status: number): void {
    this.words[i * RECORD_WORDS + 3] = status;
  }
  /** Offset in `bytes` of frame `i`'s 32-byte payload digest (internal byte order). */
  digestAt(i: number): number {
    return i * RECORD_BYTES + RECORD_DIGEST;
  }
  /** A copy of frame `i`'s digest (tests, cold paths). */
  digest(i: number): Uint8Array {
    const at = this.digestAt(i);
    return this.bytes.slice(at, at + 32);
  }
  /** The first `count` records as a fresh array (a pool reply transfers it). */
  copy(): Uint32Array {
    return this.words.slice(0, this.count * RECORD_WORDS);
  }
  /** [offset, length, commandId, status] of each record (tests and tools). */
  toArray(): [number, number, number, number][] {
    const out: [number, number, number, number][] = [];
    for (let i = 0; i < this.count; i++) out.push([this.offset(i), this.payloadLength(i), this.commandId(i), this.status(i)]);
    return out;
  }
}
