// The BIP324 packet layer's keystream windows (assembly/bip324.ts): the blocks of consecutive
// packets share 4-lane ChaCha20 calls with per-lane counters and packet numbers. Checked against
// node:crypto sealing one packet at a time (bench/v2-baseline.ts), over random batch compositions
// that cross the 224-packet rekeys, and through the AEAD's Poly1305 input written out by hand.
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NaiveV2Encoder } from '../../bench/v2-baseline.js';
import { getWasm } from '../../src/wasm/loader.js';
import { PacketCipher } from '../../src/wasm/v2-cipher.js';
import { openPackets } from '../helpers/v2-messages.js';
import { rng } from '../helpers/rng.mjs';

const NO_NATIVE = 0xffffffff;

/** Contents sizes: mostly 0..2000, some past the window's 4 KiB per-packet limit. */
function sizes(next: () => number, count: number): number[] {
  return Array.from({ length: count }, () => (next() < 0.9 ? Math.floor(next() * 2001) : 4000 + Math.floor(next() * 2000)));
}

/** Splits `n` items into batches of 1..maxBatch. */
function batches(next: () => number, n: number, maxBatch: number): number[] {
  const out: number[] = [];
  for (let left = n; left > 0; ) {
    const b = Math.min(left, 1 + Math.floor(next() * maxBatch));
    out.push(b);
    left -= b;
  }
  return out;
}

describe('BIP324 keystream windows', () => {
  for (const seed of [1, 2, 3]) {
    it(`seal matches node:crypto per packet byte for byte over random batches and two rekeys (seed ${seed})`, () => {
      const next = rng(seed);
      const aeadKey = randomBytes(32);
      const lengthKey = randomBytes(32);
      const contents = sizes(next, 520).map((n) => randomBytes(n));
      const reference = new NaiveV2Encoder(aeadKey, lengthKey);
      const expected = Buffer.concat(contents.map((c) => reference.seal(c)));
      for (const nativeMin of [NO_NATIVE, 1000]) {
        const tx = new PacketCipher(aeadKey, lengthKey, { nativeMin });
        const parts: Uint8Array[] = [];
        let at = 0;
        for (const b of batches(next, contents.length, seed === 1 ? 3 : 40)) {
          parts.push(tx.seal(contents.slice(at, at + b).map((c) => ({ contents: c }))));
          at += b;
        }
        expect(Buffer.concat(parts).equals(expected)).toBe(true);
      }
    });

    it(`open returns every packet of a node:crypto stream read in random pieces (seed ${seed})`, () => {
      const next = rng(seed + 100);
      const aeadKey = randomBytes(32);
      const lengthKey = randomBytes(32);
      const contents = sizes(next, 480).map((n) => randomBytes(n));
      const reference = new NaiveV2Encoder(aeadKey, lengthKey);
      const stream = Buffer.concat(contents.map((c) => reference.seal(c)));
      for (const nativeMin of [NO_NATIVE, 1000]) {
        const rx = new PacketCipher(aeadKey, lengthKey, { nativeMin });
        const got: Uint8Array[] = [];
        let pending = Buffer.alloc(0);
        for (let at = 0; at < stream.length; ) {
          const piece = 1 + Math.floor(next() * 20000);
          pending = Buffer.concat([pending, stream.subarray(at, at + piece)]);
          at += piece;
          const r = openPackets(rx, pending);
          expect(r.failure).toBeUndefined();
          for (const c of r.contents) got.push(c);
          pending = pending.subarray(r.consumed);
        }
        expect(pending.length).toBe(0);
        expect(got.length).toBe(contents.length);
        for (let i = 0; i < contents.length; i++) expect(Buffer.from(got[i]!).equals(contents[i]!)).toBe(true);
      }
    });
  }

  it('stops at a bad tag inside a window: the packets before it open, none after it', () => {
    const aeadKey = randomBytes(32);
    const lengthKey = randomBytes(32);
    const contents = Array.from({ length: 12 }, (_, i) => randomBytes(40 + i * 30));
    const wire = Buffer.from(new PacketCipher(aeadKey, lengthKey, { nativeMin: NO_NATIVE }).seal(contents.map((c) => ({ contents: c }))));
    const ends: number[] = [];
    for (let i = 0, at = 0; i < contents.length; i++) ends.push((at += 20 + contents[i]!.length));
    wire[ends[4]! + 10]! ^= 1; // inside packet 5's contents
    const r = openPackets(new PacketCipher(aeadKey, lengthKey, { nativeMin: NO_NATIVE }), wire);
    expect(r.failure).toBe('bad-tag');
    expect(r.contents.length).toBe(5);
    for (let i = 0; i < 5; i++) expect(Buffer.from(r.contents[i]!).equals(contents[i]!)).toBe(true);
    expect(r.consumed).toBe(ends[5]);
  });

  it('poly1305Mac equals the AEAD tag over its input written out (aad, padding, lengths)', () => {
    const w = getWasm();
    const x = w.exports;
    const next = rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(next() < 0.3 ? Math.floor(next() * 70) : 0);
      const plain = randomBytes(Math.floor(next() * 2001));
      const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      if (aad.length > 0) c.setAAD(aad, { plaintextLength: plain.length });
      const ct = Buffer.concat([c.update(plain), c.final()]);
      const iv = Buffer.alloc(16);
      iv.set(nonce, 4);
      const otk = createCipheriv('chacha20', key, iv).update(Buffer.alloc(32));
      const pad = (n: number) => Buffer.alloc((16 - (n % 16)) % 16);
      const lens = Buffer.alloc(16);
      lens.writeUInt32LE(aad.length, 0);
      lens.writeUInt32LE(ct.length, 8);
      const msg = Buffer.concat([aad, pad(aad.length), ct, pad(ct.length), lens]);
      const p = x.ensureScratch(msg.length + 64) >>> 0;
      const u8 = w.mem.u8();
      u8.set(otk, p);
      u8.set(msg, p + 32);
      x.poly1305Mac(p, p + 32, msg.length, p + 32 + msg.length);
      const tag = Buffer.from(w.mem.u8().subarray(p + 32 + msg.length, p + 48 + msg.length));
      expect(tag.equals(c.getAuthTag())).toBe(true);
    }
  });
});
