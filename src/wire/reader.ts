import { WireError, type ErrorCode } from '../errors.js';
import { MAX_VAR_STR_LEN } from './constants.js';

/**
 * Fatal so that a string field maps one-to-one to its bytes (a decoded message re-encodes to the
 * same payload); ignoreBOM so a leading U+FEFF is kept as a character, not silently dropped.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** 2^53 - 1 split as the high u32 word: a CompactSize above this cannot be a JS number exactly. */
const MAX_SAFE_HI = 0x1f_ffff;

function fail(code: ErrorCode, field: string, message: string, details: Record<string, unknown>): never {
  throw new WireError(code, `${field}: ${message}`, { field, ...details });
}

/**
 * Bounds-checked little-endian cursor over a peer's payload. Every read checks the bytes left
 * first and throws WireError: peer input never causes a RangeError or a silently short value.
 *
 * bytes() and hash32() return subarrays that share memory with the input (no copy): whoever keeps a
 * decoded message must not reuse the payload buffer for later data.
 */
export class WireReader {
  /** Always a plain Uint8Array view, so subarrays are plain too even when given a Buffer. */
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(data: Uint8Array, start = 0, end = data.length) {
    this.buf = data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws ERR_PAYLOAD_TRUNCATED unless n more bytes are present. */
  need(n: number, field: string): void {
    if (this.end - this.pos < n) {
      fail('ERR_PAYLOAD_TRUNCATED', field, `needs ${n} bytes, ${this.end - this.pos} remain`, {
        offset: this.pos,
        need: n,
        remaining: this.end - this.pos,
      });
    }
  }

  u8(field = 'u8'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16le(field = 'u16'): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  /** Big-endian: only the NetAddress / addrv2 port uses it. */
  u16be(field = 'port'): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32le(field = 'u32'): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  i32le(field = 'i32'): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  u64le(field = 'u64'): bigint {
    this.need(8, field);
    const lo = this.u32le(field);
    const hi = this.u32le(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  i64le(field = 'i64'): bigint {
    return BigInt.asIntN(64, this.u64le(field));
  }

  /**
   * A strict bool: 0 or 1. Bitcoin Core and btcd read any non-zero byte as true, but then 0x02 would
   * decode to the same message as 0x01 and re-encode differently; honest peers only send 0/1.
   */
  bool(field = 'bool'): boolean {
    const v = this.u8(field);
    if (v > 1) fail('ERR_PAYLOAD_INVALID', field, `bool byte must be 0 or 1, got ${v}`, { offset: this.pos - 1, value: v });
    return v === 1;
  }

  /** n bytes as a zero-copy subarray. */
  bytes(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  hash32(field = 'hash'): Uint8Array {
    return this.bytes(32, field);
  }

  skip(n: number, field = 'bytes'): void {
    this.need(n, field);
    this.pos += n;
  }

  /**
   * CompactSize as a number. Non-minimal forms are rejected (Bitcoin Core serialize.h, btcd
   * ReadVarIntBuf): otherwise one message would have many encodings and a relay could not forward
   * bytes it re-encodes. Values above 2^53-1 exceed every limit we check, so they are
   * ERR_PAYLOAD_FIELD_TOO_LARGE rather than an imprecise number.
   */
  compactSize(field = 'compactSize'): number {
    this.need(1, field);
    const b = this.buf;
    const start = this.pos;
    const first = b[start]!;
    if (first < 0xfd) {
      this.pos = start + 1;
      return first;
    }
    if (first === 0xfd) {
      this.need(3, field);
      const v = b[start + 1]! | (b[start + 2]! << 8);
      if (v < 0xfd) nonMinimal(field, start, v);
      this.pos = start + 3;
      return v;
    }
    if (first === 0xfe) {
      this.need(5, field);
      this.pos = start + 1;
      const v = this.u32le(field);
      if (v < 0x1_0000) nonMinimal(field, start, v);
      return v;
    }
    this.need(9, field);
    this.pos = start + 1;
    const lo = this.u32le(field);
    const hi = this.u32le(field);
    if (hi === 0) nonMinimal(field, start, lo);
    if (hi > MAX_SAFE_HI) {
      fail('ERR_PAYLOAD_FIELD_TOO_LARGE', field, 'CompactSize exceeds 2^53-1', { offset: start });
    }
    return hi * 0x1_0000_0000 + lo;
  }

  /** CompactSize as a bigint, for the one field that may use all 64 bits (addrv2 services). */
  compactSizeBig(field = 'compactSize'): bigint {
    this.need(1, field);
    const start = this.pos;
    if (this.buf[start]! !== 0xff) return BigInt(this.compactSize(field));
    this.need(9, field);
    this.pos = start + 1;
    const v = this.u64le(field);
    if (v < 0x1_0000_0000n) nonMinimal(field, start, v);
    return v;
  }

  /**
   * An item count, checked against the message's cap and then against the bytes left at
   * minItemSize bytes per item — both before the caller reserves anything, so a 9-byte claim of
   * 50,000 items costs nothing (btcd decode_budget_test).
   */
  count(max: number, minItemSize: number, field: string): number {
    const start = this.pos;
    const n = this.compactSize(field);
    if (n > max) {
      fail('ERR_PAYLOAD_COUNT_TOO_LARGE', field, `count ${n} exceeds ${max}`, { offset: start, count: n, max });
    }
    const remaining = this.end - this.pos;
    if (n * minItemSize > remaining) {
      fail('ERR_PAYLOAD_TRUNCATED', field, `count ${n} needs at least ${n * minItemSize} bytes, ${remaining} remain`, {
        offset: start,
        count: n,
        need: n * minItemSize,
        remaining,
      });
    }
    return n;
  }

  /** CompactSize length (≤ max) + that many bytes, zero-copy. */
  varBytes(max: number, field = 'varBytes'): Uint8Array {
    const start = this.pos;
    const n = this.compactSize(field);
    if (n > max) fail('ERR_PAYLOAD_FIELD_TOO_LARGE', field, `length ${n} exceeds ${max}`, { offset: start, length: n, max });
    return this.bytes(n, field);
  }

  /**
   * var_str as UTF-8 text. Bytes that are not UTF-8 are ERR_PAYLOAD_INVALID: a JS string cannot
   * hold them losslessly, and lossy decoding would break the decode→encode fixed point. (btcd and
   * Core accept any bytes here; real user agents are ASCII per BIP14.)
   */
  varStr(max = MAX_VAR_STR_LEN, field = 'varStr'): string {
    const start = this.pos;
    const bytes = this.varBytes(max, field);
    if (bytes.length === 0) return '';
    try {
      return utf8.decode(bytes);
    } catch {
      return fail('ERR_PAYLOAD_INVALID', field, 'string is not valid UTF-8', { offset: start });
    }
  }

  /** Leftover bytes after a complete payload are an error (btcd 2026-03, c13dec24). */
  finish(what: string): void {
    if (this.pos !== this.end) {
      fail('ERR_PAYLOAD_TRAILING_BYTES', what, `${this.end - this.pos} bytes after the end of the payload`, {
        offset: this.pos,
        trailing: this.end - this.pos,
      });
    }
  }
}

function nonMinimal(field: string, offset: number, value: number | bigint): never {
  return fail('ERR_PAYLOAD_NON_MINIMAL_VARINT', field, `non-minimal CompactSize for ${value}`, {
    offset,
    value: typeof value === 'bigint' ? value.toString() : value,
  });
}

/** For the messages without a payload (verack, getaddr, …): any byte is trailing. */
export function expectEmpty(payload: Uint8Array, command: string): void {
  if (payload.length !== 0) {
    fail('ERR_PAYLOAD_TRAILING_BYTES', command, `${payload.length} bytes in an empty message`, {
      offset: 0,
      trailing: payload.length,
    });
  }
}
