// JS hashing API: WASM below the native crossover, node:crypto above, same answers either way.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  NATIVE_BATCH_HASH_MIN,
  NATIVE_HASH_MIN,
  checksum,
  hash256,
  hash256Into,
  nativeChecksum,
  nativeHash256,
  sha256,
} from '../../src/wasm/hasher.js';

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const dsha = (b: Uint8Array): Buffer => sha(sha(b));
const bytes = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 0xff);

// Lengths around both crossovers, block boundaries, and one large message.
const LENGTHS = [0, 1, 8, 55, 56, 63, 64, 65, 119, 120, 128, 255, 256, 1000,
  NATIVE_HASH_MIN - 1, NATIVE_HASH_MIN, NATIVE_HASH_MIN + 1,
  NATIVE_BATCH_HASH_MIN - 1, NATIVE_BATCH_HASH_MIN, NATIVE_BATCH_HASH_MIN + 1, 300_000];

describe('hasher', () => {
  it('crossovers are sane', () => {
    expect(NATIVE_HASH_MIN).toBeGreaterThan(0);
    expect(NATIVE_BATCH_HASH_MIN).toBeGreaterThanOrEqual(NATIVE_HASH_MIN);
  });

  for (const len of LENGTHS) {
    it(`length ${len}: sha256, hash256, hash256Into, checksum match node:crypto`, () => {
      const data = bytes(len, len);
      expect(Buffer.from(sha256(data))).toEqual(sha(data));
      expect(Buffer.from(hash256(data))).toEqual(dsha(data));
      const out = new Uint8Array(40).fill(0xaa);
      hash256Into(data, out, 5);
      expect(Buffer.from(out.subarray(5, 37))).toEqual(dsha(data));
      expect(out[4]).toBe(0xaa);
      expect(out[37]).toBe(0xaa);
      expect(checksum(data)).toBe(dsha(data).readUInt32LE(0));
      expect(nativeChecksum(data)).toBe(checksum(data));
      expect(Buffer.from(nativeHash256(data))).toEqual(dsha(data));
    });
  }

  it('the empty payload checksum is 0xe2e0f65d (bytes 5d f6 e0 e2)', () => {
    expect(checksum(new Uint8Array(0))).toBe(0xe2e0f65d);
  });

  it('hash256Into rejects an output without room', () => {
    expect(() => hash256Into(new Uint8Array(1), new Uint8Array(40), 9)).toThrow(RangeError);
  });

  it('results do not alias WASM memory', () => {
    const a = hash256(bytes(10));
    hash256(bytes(11));
    expect(Buffer.from(a)).toEqual(dsha(bytes(10)));
  });
});
