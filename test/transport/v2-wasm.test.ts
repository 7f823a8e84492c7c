// The WASM ChaCha20, Poly1305 and BIP324 packet layer against node:crypto (OpenSSL's independent
// implementations) and RFC 8439's published Poly1305 example.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getWasm } from '../../src/wasm/loader.js';
import { PacketCipher } from '../../src/wasm/v2-cipher.js';
import { V2Status } from '../../src/wasm/v2-status.js';
import { openPackets } from '../helpers/v2-messages.js';

const w = getWasm();
const x = w.exports;

function scratch(bytes: Uint8Array): number {
  const p = x.ensureScratch(bytes.length + 64) >>> 0;
  w.mem.u8().set(bytes, p);
  return p;
}

function wasmChacha(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const p = x.ensureInput(data.length + 64) >>> 0;
  const u8 = w.mem.u8();
  u8.set(data, p);
  const s = x.scratchPtr() >>> 0;
  u8.set(key, s);
  u8.set(nonce, s + 32);
  x.chacha20Xor(s, s + 32, counter, p, data.length);
  return w.mem.u8().slice(p, p + data.length);
}

function nativeChacha(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  iv.set(nonce, 4);
  return createCipheriv('chacha20', key, iv).update(data);
}

describe('ChaCha20 (WASM, 4 blocks per SIMD pass)', () => {
  it('matches node:crypto for every length 0..600 and some large ones, at several counters', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const lengths = [...Array.from({ length: 601 }, (_, i) => i), 4095, 65536, 100_003];
    for (const len of lengths) {
      const data = randomBytes(len);
      const counter = len % 7;
      expect(Buffer.from(wasmChacha(key, nonce, counter, data)).equals(nativeChacha(key, nonce, counter, data)), `len ${len}`).toBe(true);
    }
  });
});

describe('Poly1305 (WASM)', () => {
  it('gives the tag of RFC 8439 section 2.5.2', () => {
    const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
    const msg = Buffer.from('Cryptographic Forum Research Group', 'ascii');
    const s = scratch(Buffer.concat([key, msg]));
    x.poly1305Mac(s, s + 32, msg.length, s + 32 + msg.length);
    const tag = Buffer.from(w.mem.u8().slice(s + 32 + msg.length, s + 48 + msg.length));
    expect(tag.toString('hex')).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });
  it('carries correctly on all-ones keys and data (checked through the AEAD against OpenSSL)', () => {
    const key = Buffer.alloc(32, 0xff);
    const tx = new PacketCipher(key, key, { nativeMin: 0xffffffff });
    const plain = new Uint8Array(1000).fill(0xff);
    const wire = tx.seal([{ contents: plain }]);
    // Packet 0: nonce is 12 zero bytes; the AEAD part starts after the 3 length bytes.
    const d = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
    d.setAuthTag(wire.subarray(wire.length - 16));
    const out = Buffer.concat([d.update(wire.subarray(3, wire.length - 16)), d.final()]);
    expect(out[0]).toBe(0);
    expect(out.subarray(1).equals(Buffer.from(plain))).toBe(true);
  });
});

describe('packet layer (WASM) against node:crypto per packet', () => {
  it('seals packets of every size 0..300 that OpenSSL opens, and opens them again in one call', () => {
    const aeadKey = randomBytes(32);
    const lengthKey = randomBytes(32);
    const tx = new PacketCipher(aeadKey, lengthKey, { nativeMin: 0xffffffff });
    const rx = new PacketCipher(aeadKey, lengthKey, { nativeMin: 0xffffffff });
    const aad = randomBytes(37);
    const packets = Array.from({ length: 301 }, (_, i) => ({ contents: randomBytes(i), ignore: i % 5 === 0 }));
    const wire = tx.seal(packets, aad);
    const opened = openPackets(rx, wire, aad);
    expect(opened.failure).toBeUndefined();
    expect(opened.consumed).toBe(wire.length);
    expect(opened.contents.length).toBe(301);
    for (let i = 0; i < 301; i++) {
      expect(Buffer.from(opened.contents[i]!).equals(packets[i]!.contents)).toBe(true);
      expect(opened.headers[i]).toBe(i % 5 === 0 ? 0x80 : 0);
    }
  });

  it('WASM and node:crypto paths give the same bytes (crossover at any size is invisible on the wire)', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const sizes = [0, 1, 100, 191, 192, 193, 1000, 5000, 20_000, 70_000, 3, 9];
    const packets = sizes.map((n) => ({ contents: randomBytes(n) }));
    for (const min of [0, 1, 200, 5000, 0xffffffff]) {
      const a = new PacketCipher(k1, k2, { nativeMin: 0xffffffff }).seal(packets, Buffer.from('garbage'));
      const b = new PacketCipher(k1, k2, { nativeMin: min }).seal(packets, Buffer.from('garbage'));
      expect(Buffer.from(b).equals(Buffer.from(a)), `nativeMin ${min}`).toBe(true);
      const opened = openPackets(new PacketCipher(k1, k2, { nativeMin: min }), a, Buffer.from('garbage'));
      expect(opened.failure).toBeUndefined();
      expect(opened.contents.map((c) => c.length)).toEqual(sizes);
    }
  });

  it('reports a flipped bit anywhere as bad-tag and a huge length as oversize, without throwing', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const wire = new PacketCipher(k1, k2).seal([{ contents: randomBytes(50) }]);
    for (let bit = 24; bit < wire.length * 8; bit += 7) {
      const bad = Uint8Array.from(wire);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(openPackets(new PacketCipher(k1, k2), bad).failure).toBe('bad-tag');
    }
    const big = Uint8Array.from(wire);
    big[2]! ^= 0x80; // contents length + 2^23
    const r = openPackets(new PacketCipher(k1, k2), big);
    expect(r.failure).toBe('oversize');
    expect(r.contents).toHaveLength(0);
  });

  it('mirrors assembly/v2status.ts', () => {
    const text = readFileSync(new URL('../../assembly/v2status.ts', import.meta.url), 'utf8');
    const found = Object.fromEntries([...text.matchAll(/export const (\w+): u32 = (\d+);/g)].map((m) => [m[1], Number(m[2])]));
    expect(found).toEqual({ ...V2Status });
  });
});
