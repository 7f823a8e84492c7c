/**
 * Exact-size writer: encoders compute the payload size first (fixed fields plus compactSizeLen of
 * each length), allocate once and fill. No growth, no copy at the end.
 *
 * Encoders take values from our own code, so a value that does not fit its field is a bug in the
 * caller and throws RangeError (WireError is kept for peer input).
 */

const MAX_U64 = 0xffff_ffff_ffff_ffffn;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

const utf8 = new TextEncoder();

function bad(field: string, value: unknown): never {
  throw new RangeError(`${field}: value ${String(value)} does not fit`);
}

/** Encoded size of a CompactSize. */
export function compactSizeLen(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffff_ffff ? 5 : 9;
}

export function compactSizeLenBig(n: bigint): number {
  return n <= 0xffff_ffffn ? compactSizeLen(Number(n)) : 9;
}

/** var_bytes size of a byte string of length n. */
export function varBytesLen(n: number): number {
  return compactSizeLen(n) + n;
}

/** UTF-8 bytes of a string field; encoders call it once and use the result for both passes. */
export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

export class WireWriter {
  readonly buf: Uint8Array;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  u8(v: number, field = 'u8'): void {
    if ((v & 0xff) !== v) bad(field, v);
    this.buf[this.pos++] = v;
  }

  u16le(v: number, field = 'u16'): void {
    if ((v & 0xffff) !== v) bad(field, v);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  u16be(v: number, field = 'port'): void {
    if ((v & 0xffff) !== v) bad(field, v);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  u32le(v: number, field = 'u32'): void {
    if (v >>> 0 !== v) bad(field, v);
    this.raw32(v);
  }

  i32le(v: number, field = 'i32'): void {
    if ((v | 0) !== v) bad(field, v);
    this.raw32(v);
  }

  u64le(v: bigint, field = 'u64'): void {
    if (typeof v !== 'bigint' || v < 0n || v > MAX_U64) bad(field, v);
    this.raw32(Number(v & 0xffff_ffffn));
    this.raw32(Number(v >> 32n));
  }

  i64le(v: bigint, field = 'i64'): void {
    if (typeof v !== 'bigint' || v < MIN_I64 || v > MAX_I64) bad(field, v);
    this.u64le(BigInt.asUintN(64, v), field);
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0;
  }

  bytes(data: Uint8Array): void {
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A 32-byte hash; any other length is a caller bug. */
  hash32(h: Uint8Array, field = 'hash'): void {
    if (h.length !== 32) bad(`${field} length`, h.length);
    this.bytes(h);
  }

  /** Minimal CompactSize (the only form our decoder accepts). */
  compactSize(n: number, field = 'compactSize'): void {
    if (!Number.isSafeInteger(n) || n < 0) bad(field, n);
    if (n < 0xfd) {
      this.buf[this.pos++] = n;
    } else if (n <= 0xffff) {
      this.buf[this.pos++] = 0xfd;
      this.u16le(n);
    } else if (n <= 0xffff_ffff) {
      this.buf[this.pos++] = 0xfe;
      this.raw32(n);
    } else {
      this.buf[this.pos++] = 0xff;
      this.raw32(n % 0x1_0000_0000);
      this.raw32(Math.floor(n / 0x1_0000_0000));
    }
  }

  compactSizeBig(n: bigint, field = 'compactSize'): void {
    if (typeof n !== 'bigint' || n < 0n || n > MAX_U64) bad(field, n);
    if (n <= 0xffff_ffffn) {
      this.compactSize(Number(n), field);
    } else {
      this.buf[this.pos++] = 0xff;
      this.u64le(n, field);
    }
  }

  varBytes(data: Uint8Array): void {
    this.compactSize(data.length);
    this.bytes(data);
  }

  /** Returns the buffer; a size mismatch means the encoder's size pass is wrong. */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length) {
      throw new Error(`encoder size mismatch: wrote ${this.pos} bytes into ${this.buf.length}`);
    }
    return this.buf;
  }

  private raw32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }
}
