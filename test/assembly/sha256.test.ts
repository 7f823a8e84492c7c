// SHA-256 / double SHA-256 in WASM (scalar and 4-lane multi-buffer) against NIST vectors and
// node:crypto, for every input length 0..10,000.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadWasm, type WasmInstance } from '../../src/wasm/loader.js';

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const dsha = (b: Uint8Array): Buffer => sha(sha(b));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Deterministic bytes (xorshift32) so a failing length can be reproduced. */
function bytesOf(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

function scalar(w: WasmInstance, fn: 'sha256' | 'hash256', data: Uint8Array): string {
  const x = w.exports;
  const p = x.ensureInput(data.length) >>> 0;
  w.mem.u8().set(data, p);
  const out = x.scratchPtr() >>> 0;
  x[fn](p, data.length, out);
  return hex(w.mem.u8().subarray(out, out + 32));
}

function batch(w: WasmInstance, fn: 'sha256Batch' | 'hash256Batch', list: Uint8Array[]): string[] {
  const x = w.exports;
  const total = list.reduce((n, m) => n + m.length, 0);
  const input = x.ensureInput(Math.max(total, 1)) >>> 0;
  const desc = x.ensureScratch(list.length * 40 + 16) >>> 0;
  const out = desc + list.length * 8;
  const u8 = w.mem.u8();
  const dv = w.mem.dv();
  let at = input;
  list.forEach((m, i) => {
    u8.set(m, at);
    dv.setUint32(desc + 8 * i, at, true);
    dv.setUint32(desc + 8 * i + 4, m.length, true);
    at += m.length;
  });
  x[fn](desc, list.length, out);
  return list.map((_, i) => hex(w.mem.u8().subarray(out + 32 * i, out + 32 * i + 32)));
}

const NIST: { name: string; input: Uint8Array; sha256: string }[] = [
  { name: 'empty', input: new Uint8Array(0), sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  { name: 'abc', input: Buffer.from('abc'), sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  {
    name: '448-bit message',
    input: Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    sha256: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
  {
    name: '896-bit message',
    input: Buffer.from(
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    ),
    sha256: 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  },
  { name: 'one million a', input: new Uint8Array(1_000_000).fill(0x61), sha256: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0' },
];

for (const debug of [false, true]) {
  describe(`${debug ? 'debug' : 'release'} build`, () => {
    const w = loadWasm({ debug });

    describe('NIST vectors', () => {
      for (const v of NIST) {
        it(`sha256 ${v.name}`, () => {
          expect(scalar(w, 'sha256', v.input)).toBe(v.sha256);
          expect(batch(w, 'sha256Batch', [v.input])).toEqual([v.sha256]);
        });
        it(`hash256 ${v.name}`, () => {
          const want = hex(sha(Buffer.from(v.sha256, 'hex')));
          expect(scalar(w, 'hash256', v.input)).toBe(want);
          expect(batch(w, 'hash256Batch', [v.input, v.input, v.input])).toEqual([want, want, want]);
        });
      }
    });

    it('checksum of the empty payload is 5d f6 e0 e2 (read little-endian)', () => {
      expect(w.exports.checksum4(w.exports.inputPtr(), 0) >>> 0).toBe(0xe2e0f65d);
    });

    it('checksum4 equals the first 4 digest bytes read little-endian', () => {
      for (const len of [1, 55, 56, 63, 64, 65, 1000]) {
        const data = bytesOf(len, len);
        const p = w.exports.ensureInput(len) >>> 0;
        w.mem.u8().set(data, p);
        expect(w.exports.checksum4(p, len) >>> 0).toBe(dsha(data).readUInt32LE(0));
      }
    });

    // The debug build is slower: a shorter sweep covers every padding case (0..2 blocks + 1).
    const maxLen = debug ? 300 : 10_000;

    it(`scalar sha256 and hash256 match node:crypto for every length 0..${maxLen}`, () => {
      const bad: number[] = [];
      for (let len = 0; len <= maxLen; len++) {
        const data = bytesOf(len, len + 1);
        if (scalar(w, 'sha256', data) !== hex(sha(data))) bad.push(len);
        if (scalar(w, 'hash256', data) !== hex(dsha(data))) bad.push(-len - 1);
      }
      expect(bad).toEqual([]);
    });

    it(`SIMD batches of mixed lengths match node:crypto for every length 0..${maxLen}`, () => {
      // Every length once, shuffled, cut into batches of 0..9 messages (n = 0, 1 and
      // non-multiples of 4 included), so lanes finish at different blocks and get refilled.
      const lengths = Array.from({ length: maxLen + 1 }, (_, i) => i);
      let s = 12345;
      const rnd = (n: number): number => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return (s >>> 8) % n;
      };
      for (let i = lengths.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [lengths[i], lengths[j]] = [lengths[j]!, lengths[i]!];
      }
      const bad: number[] = [];
      let at = 0;
      let sizes = 0;
      while (at < lengths.length) {
        const n = sizes++ % 10 === 0 ? 0 : 1 + rnd(9);
        const msgs = lengths.slice(at, at + n).map((len) => bytesOf(len, len * 7 + 3));
        at += n;
        const got2 = batch(w, 'hash256Batch', msgs);
        const got1 = batch(w, 'sha256Batch', msgs);
        msgs.forEach((m, i) => {
          if (got2[i] !== hex(dsha(m))) bad.push(m.length);
          if (got1[i] !== hex(sha(m))) bad.push(-m.length - 1);
        });
      }
      expect(bad).toEqual([]);
    });

    it('a batch of one long and many short messages refills the short lanes', () => {
      const msgs = [randomBytes(100_000), ...Array.from({ length: 50 }, (_, i) => randomBytes(i * 3))];
      expect(batch(w, 'hash256Batch', msgs)).toEqual(msgs.map((m) => hex(dsha(m))));
    });

    it('a message ending exactly at the top of the input arena hashes correctly', () => {
      const cap = w.exports.inputCapacity() >>> 0;
      const len = 100;
      const p = (w.exports.inputPtr() >>> 0) + cap - len;
      const data = bytesOf(len, 99);
      w.mem.u8().set(data, p);
      const out = w.exports.scratchPtr() >>> 0;
      w.exports.hash256(p, len, out);
      expect(hex(w.mem.u8().subarray(out, out + 32))).toBe(hex(dsha(data)));
    });
  });
}
