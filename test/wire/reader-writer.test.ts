import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError, hasErrorCode } from '../../src/errors.js';
import { WireReader } from '../../src/wire/reader.js';
import { compactSizeLen, WireWriter } from '../../src/wire/writer.js';
import { codeOf, cs, hex, toHex } from './helpers.js';


function writeCs(n: number): Uint8Array {
  const w = new WireWriter(compactSizeLen(n));
  w.compactSize(n);
  return w.finish();
}

describe('CompactSize', () => {
  const table: [name: string, value: number, wire: string][] = [
    ['zero', 0, '00'],
    ['largest 1-byte (0xFC)', 0xfc, 'fc'],
    ['smallest 3-byte (0xFD)', 0xfd, 'fdfd00'],
    ['largest 3-byte (0xFFFF)', 0xffff, 'fdffff'],
    ['smallest 5-byte (0x10000)', 0x10000, 'fe00000100'],
    ['largest 5-byte (0xFFFFFFFF)', 0xffffffff, 'feffffffff'],
    ['smallest 9-byte (0x100000000)', 0x100000000, 'ff0000000001000000'],
    ['2^53-1', Number.MAX_SAFE_INTEGER, 'ffffffffffffff1f00'],
  ];
  it.each(table)('%s encodes and decodes minimally', (_n, value, wire) => {
    expect(toHex(writeCs(value))).toBe(wire);
    const r = new WireReader(hex(wire));
    expect(r.compactSize()).toBe(value);
    expect(r.remaining).toBe(0);
    expect(new WireReader(hex(wire)).compactSizeBig()).toBe(BigInt(value));
  });

  const nonMinimal: [name: string, wire: string][] = [
    ['0 as 3 bytes', 'fd0000'],
    ['0xFC as 3 bytes', 'fdfc00'],
    ['0xFFFF as 5 bytes', 'feffff0000'],
    ['0 as 5 bytes', 'fe00000000'],
    ['0xFFFFFFFF as 9 bytes', 'ffffffffff00000000'],
    ['0 as 9 bytes', 'ff0000000000000000'],
  ];
  it.each(nonMinimal)('%s is ERR_PAYLOAD_NON_MINIMAL_VARINT', (_n, wire) => {
    expect(codeOf(() => new WireReader(hex(wire)).compactSize())).toBe('ERR_PAYLOAD_NON_MINIMAL_VARINT');
    expect(codeOf(() => new WireReader(hex(wire)).compactSizeBig())).toBe('ERR_PAYLOAD_NON_MINIMAL_VARINT');
  });

  it.each(['fd', 'fdff', 'fe', 'feffffff', 'ff', 'ff00000000000001', ''])('truncated %s is ERR_PAYLOAD_TRUNCATED', (wire) => {
    expect(codeOf(() => new WireReader(hex(wire)).compactSize())).toBe('ERR_PAYLOAD_TRUNCATED');
  });

  it('values above 2^53-1 are FIELD_TOO_LARGE as a number but exact as a bigint', () => {
    const wire = hex('ffffffffffffffffff');
    expect(codeOf(() => new WireReader(wire).compactSize())).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
    expect(new WireReader(wire).compactSizeBig()).toBe((1n << 64n) - 1n);
  });

  it('round-trips any safe integer and agrees with the test-side encoder', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(0x1ffff), fc.nat(), fc.maxSafeNat()), (n) => {
        const wire = writeCs(n);
        expect(toHex(wire)).toBe(toHex(cs(n)));
        expect(new WireReader(wire).compactSize()).toBe(n);
      }),
    );
  });
});

describe('WireReader fixed-width reads', () => {
  const bytes = hex('0102030405060708');
  it('reads little-endian integers, big-endian port', () => {
    expect(new WireReader(bytes).u16le()).toBe(0x0201);
    expect(new WireReader(bytes).u16be()).toBe(0x0102);
    expect(new WireReader(bytes).u32le()).toBe(0x04030201);
    expect(new WireReader(bytes).u64le()).toBe(0x0807060504030201n);
    expect(new WireReader(hex('ffffffff')).u32le()).toBe(0xffffffff);
    expect(new WireReader(hex('ffffffff')).i32le()).toBe(-1);
    expect(new WireReader(hex('ffffffffffffffff')).u64le()).toBe(0xffffffffffffffffn);
    expect(new WireReader(hex('ffffffffffffffff')).i64le()).toBe(-1n);
    expect(new WireReader(hex('0000000000000080')).i64le()).toBe(-(1n << 63n));
  });

  it.each([
    ['u8', (r: WireReader) => r.u8(), 0],
    ['u16le', (r: WireReader) => r.u16le(), 1],
    ['u16be', (r: WireReader) => r.u16be(), 1],
    ['u32le', (r: WireReader) => r.u32le(), 3],
    ['i32le', (r: WireReader) => r.i32le(), 3],
    ['u64le', (r: WireReader) => r.u64le(), 7],
    ['i64le', (r: WireReader) => r.i64le(), 7],
    ['hash32', (r: WireReader) => r.hash32(), 31],
  ] as const)('%s on one byte too few is ERR_PAYLOAD_TRUNCATED and does not move', (_n, read, have) => {
    const r = new WireReader(new Uint8Array(have));
    expect(codeOf(() => read(r))).toBe('ERR_PAYLOAD_TRUNCATED');
    expect(r.pos).toBe(0);
  });

  it('bytes() is a zero-copy view and a plain Uint8Array even from a Buffer', () => {
    const buf = Buffer.from('00112233', 'hex');
    const r = new WireReader(buf);
    r.u8();
    const v = r.bytes(2);
    expect(v.constructor).toBe(Uint8Array);
    buf[1] = 0xaa;
    expect(toHex(v)).toBe('aa22');
  });

  it('a reader over a window of a larger buffer stops at its end', () => {
    const r = new WireReader(hex('0102030405'), 1, 3);
    expect(r.u16le()).toBe(0x0302);
    expect(codeOf(() => r.u8())).toBe('ERR_PAYLOAD_TRUNCATED');
  });

  it('bool accepts only 0 and 1', () => {
    expect(new WireReader(hex('00')).bool()).toBe(false);
    expect(new WireReader(hex('01')).bool()).toBe(true);
    expect(codeOf(() => new WireReader(hex('02')).bool())).toBe('ERR_PAYLOAD_INVALID');
  });

  it('finish() reports trailing bytes with their offset', () => {
    const r = new WireReader(hex('0102'));
    r.u8();
    try {
      r.finish('test');
      expect.unreachable();
    } catch (e) {
      expect(hasErrorCode(e, 'ERR_PAYLOAD_TRAILING_BYTES')).toBe(true);
      expect((e as WireError).details).toMatchObject({ offset: 1, trailing: 1 });
    }
  });
});

describe('var_bytes, var_str and counts', () => {
  it('varBytes over its max is FIELD_TOO_LARGE before the bytes are needed', () => {
    expect(codeOf(() => new WireReader(hex('fd0102')).varBytes(256))).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
    expect(codeOf(() => new WireReader(hex('05aabb')).varBytes(256))).toBe('ERR_PAYLOAD_TRUNCATED');
  });

  it('varStr decodes UTF-8 exactly, keeps a BOM, refuses invalid UTF-8', () => {
    const s = '\ufeff/Satoshi:27.0.0/ é 𝄞';
    const b = new TextEncoder().encode(s);
    const r = new WireReader(new Uint8Array([b.length, ...b]));
    expect(r.varStr()).toBe(s);
    expect(codeOf(() => new WireReader(hex('02c328')).varStr())).toBe('ERR_PAYLOAD_INVALID');
    expect(codeOf(() => new WireReader(hex('03eda080')).varStr())).toBe('ERR_PAYLOAD_INVALID'); // encoded lone surrogate
  });

  it('count() checks the cap, then the bytes needed, and reports the count offset', () => {
    const over = new WireReader(hex('51'));
    try {
      over.count(80, 1, 'c');
      expect.unreachable();
    } catch (e) {
      expect((e as WireError).code).toBe('ERR_PAYLOAD_COUNT_TOO_LARGE');
      expect((e as WireError).details).toMatchObject({ offset: 0, count: 81, max: 80 });
    }
    const short = new WireReader(new Uint8Array([3, 0, 0, 0, 0, 0]));
    expect(codeOf(() => short.count(10, 2, 'c'))).toBe('ERR_PAYLOAD_TRUNCATED');
    expect(new WireReader(new Uint8Array([3, 0, 0, 0, 0, 0, 0])).count(10, 2, 'c')).toBe(3);
  });
});

describe('WireWriter', () => {
  it('writes every width and round-trips through the reader', () => {
    fc.assert(
      fc.property(
        fc.nat(255),
        fc.nat(0xffff),
        fc.nat(0xffffffff),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        (a, b, c, d, e, f) => {
          const w = new WireWriter(1 + 2 + 2 + 4 + 4 + 8 + 8);
          w.u8(a);
          w.u16le(b);
          w.u16be(b);
          w.u32le(c);
          w.i32le(d);
          w.u64le(e);
          w.i64le(f);
          const r = new WireReader(w.finish());
          expect([r.u8(), r.u16le(), r.u16be(), r.u32le(), r.i32le(), r.u64le(), r.i64le()]).toEqual([a, b, b, c, d, e, f]);
          r.finish('w');
        },
      ),
    );
  });

  it.each([
    ['u8 256', (w: WireWriter) => w.u8(256)],
    ['u16 -1', (w: WireWriter) => w.u16le(-1)],
    ['u32 2^32', (w: WireWriter) => w.u32le(2 ** 32)],
    ['u32 1.5', (w: WireWriter) => w.u32le(1.5)],
    ['i32 2^31', (w: WireWriter) => w.i32le(2 ** 31)],
    ['u64 -1', (w: WireWriter) => w.u64le(-1n)],
    ['u64 2^64', (w: WireWriter) => w.u64le(1n << 64n)],
    ['i64 2^63', (w: WireWriter) => w.i64le(1n << 63n)],
    ['hash of 31 bytes', (w: WireWriter) => w.hash32(new Uint8Array(31))],
    ['compactSize -1', (w: WireWriter) => w.compactSize(-1)],
    ['compactSize 2^53', (w: WireWriter) => w.compactSize(2 ** 53)],
  ] as const)('rejects %s with RangeError', (_n, write) => {
    expect(() => write(new WireWriter(64))).toThrow(RangeError);
  });

  it('finish() catches a wrong size pass', () => {
    const w = new WireWriter(4);
    w.u8(1);
    expect(() => w.finish()).toThrow(/size mismatch/);
  });
});
