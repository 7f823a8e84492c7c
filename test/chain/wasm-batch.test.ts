import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHeadersPow, PowStatus, u256le } from '../../src/wasm/header-pow.js';
import { merkleRoot } from '../../src/wasm/merkle.js';
import { readShortId } from '../../src/chain/compact/short-id-keys.js';
import { shortIds, sipHash32 } from '../../src/wasm/short-ids.js';
import { dsha, merkleRootNode } from '../../bench/support/blocks.js';
import { compactToTarget } from '../../src/chain/pow.js';

const require = createRequire(import.meta.url);
const bcoinSiphash = require('bsip') as { siphash: (data: Buffer, key: Buffer) => [number, number] };

const MAIN_LIMIT = (1n << 224n) - 1n;
const asNumber = (h: Uint8Array): bigint => BigInt('0x' + Buffer.from(h).reverse().toString('hex'));

describe('headersPow (WASM batch)', () => {
  it('hashes every header as node:crypto does and checks it against its target', () => {
    const n = 37;
    const headers = randomBytes(80 * n);
    const bitsList = [0x207fffff, 0x1d00ffff, 0x2100ffff, 0x1d80ffff, 0x00000000, 0x1e0377ae, 0x22000001];
    for (let i = 0; i < n; i++) headers.writeUInt32LE(bitsList[i % bitsList.length]!, 80 * i + 72);
    const limit = (1n << 255n) - 1n;
    const r = checkHeadersPow(headers, 0, n, u256le(limit));
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const h = headers.subarray(80 * i, 80 * i + 80);
      expect(Buffer.from(r.hashes.subarray(32 * i, 32 * i + 32))).toEqual(dsha(h));
      const bits = h.readUInt32LE(72);
      const t = compactToTarget(bits);
      const want = t.negative || t.overflow || t.target === 0n || t.target > limit ? PowStatus.BAD_BITS : asNumber(dsha(h)) > t.target ? PowStatus.HIGH_HASH : PowStatus.OK;
      expect(r.status[i], `header ${i} bits ${bits.toString(16)}`).toBe(want);
      if (want !== PowStatus.OK) bad++;
    }
    expect(r.bad).toBe(bad);
  });

  it('refuses bits above the network limit even when the hash would meet them', () => {
    const h = Buffer.alloc(80);
    h.writeUInt32LE(0x207fffff, 72);
    expect(checkHeadersPow(h, 0, 1, u256le(MAIN_LIMIT)).status[0]).toBe(PowStatus.BAD_BITS);
  });
});

describe('merkleRoot (WASM)', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 31, 100, 1001])('%i leaves match a plain implementation', (n) => {
    const leaves = Array.from({ length: n }, () => randomBytes(32));
    const r = merkleRoot(Buffer.concat(leaves), n);
    expect(Buffer.from(r.root)).toEqual(merkleRootNode(leaves));
    expect(r.mutated).toBe(false);
  });

  it('flags CVE-2012-2459: a duplicated tail gives the same root, marked mutated', () => {
    const leaves = Array.from({ length: 5 }, () => randomBytes(32));
    const honest = merkleRoot(Buffer.concat(leaves), 5);
    const dup = [...leaves, leaves[4]!];
    const forged = merkleRoot(Buffer.concat(dup), 6);
    expect(Buffer.from(forged.root)).toEqual(Buffer.from(honest.root));
    expect(honest.mutated).toBe(false);
    expect(forged.mutated).toBe(true);
  });
});

describe('SipHash-2-4 short ids (WASM batch)', () => {
  it('equals the siphash bcoin uses (bsip, required by lib/net/bip152.js) for random keys and hashes', () => {
    for (let k = 0; k < 5; k++) {
      const key = randomBytes(16);
      const n = 50;
      const hashes = randomBytes(32 * n);
      const ids = shortIds(key, hashes, n);
      for (let i = 0; i < n; i++) {
        const h = hashes.subarray(32 * i, 32 * i + 32);
        const [hi, lo] = bcoinSiphash.siphash(h, key);
        expect(sipHash32(key, h)).toBe((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
        expect(readShortId(ids, i)).toBe((hi & 0xffff) * 0x100000000 + (lo >>> 0));
      }
    }
  });
});
