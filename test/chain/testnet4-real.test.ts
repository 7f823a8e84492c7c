import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkBlock } from '../../src/chain/block-check.js';
import { HeaderChain } from '../../src/chain/header-chain.js';
import { CHAIN_PARAMS } from '../../src/chain/params.js';
import { calculateNextWork, compactToTarget, targetToCompact } from '../../src/chain/pow.js';
import { dsha } from '../../bench/support/blocks.js';

// Real testnet4 blocks from Bitcoin Core's test/functional/data/testnet4.hex (see fixtures/README.md).
const lines = (f: string): Buffer[] =>
  readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Buffer.from(l, 'hex'));
const blocks = lines('testnet4-blocks.hex');
const [last] = lines('testnet4-2015.hex');
const P = CHAIN_PARAMS.testnet4;

describe('real testnet4 blocks', () => {
  it('the first line is the genesis block Core builds', () => {
    expect(blocks[0]!.subarray(0, 80)).toEqual(Buffer.from(P.genesisHeader));
  });

  it('heights 1–8 connect, meet their proof of work and the difficulty rule, as one headers batch', () => {
    const chain = new HeaderChain(P);
    const headers = Buffer.concat(blocks.slice(1).map((b) => b.subarray(0, 80)));
    const now = blocks[8]!.readUInt32LE(68) + 60;
    const r = chain.acceptHeaders(1, headers, 0, 8, now);
    expect(r.reject).toBeUndefined();
    expect(chain.tipHeight).toBe(8);
    // Block 1 came three days after genesis: the 20-minute rule gives min difficulty (0x1d00ffff).
    expect(blocks[1]!.readUInt32LE(68) - blocks[0]!.readUInt32LE(68)).toBeGreaterThan(1200);
    // A wrong bits value on the real block 1 is refused (re-mining is not needed to see that).
    const bad = Buffer.from(blocks[1]!.subarray(0, 80));
    bad.writeUInt32LE(0x1c3fffc0, 72);
    expect(new HeaderChain(P).acceptHeaders(1, bad, 0, 1, now).reject?.code).toBe('bad-pow');
  });

  it('the real blocks pass the block checks (BIP34 height, witness commitment, merkle root)', () => {
    for (let h = 1; h <= 8; h++) {
      const mtp = blocks[h - 1]!.readUInt32LE(68); // any time below the block's: MTP is only the finality cutoff
      expect(checkBlock(blocks[h]!, { params: P, height: h, prevMedianTimePast: mtp }), `height ${h}`).toMatchObject({ ok: true });
    }
    expect(checkBlock(last!, { params: P, height: 2015, prevMedianTimePast: 0 })).toMatchObject({ ok: true });
    // At the wrong height the BIP34 push does not match.
    expect(checkBlock(blocks[3]!, { params: P, height: 4, prevMedianTimePast: 0 })).toMatchObject({ ok: false, code: 'bad-cb-height' });
  });

  it('BIP94 retarget at 2016 from the period\'s first block: difficulty 4, as mining_testnet.py asserts', () => {
    const first = blocks[0]!;
    const lastHeader = last!.subarray(0, 80);
    expect(Buffer.from(dsha(lastHeader)).reverse().toString('hex')).toMatch(/^00000000/);
    const next = calculateNextWork(P, lastHeader.readUInt32LE(72), lastHeader.readUInt32LE(68), first.readUInt32LE(68), first.readUInt32LE(72));
    expect(next).toBe(targetToCompact(compactToTarget(0x1d00ffff).target / 4n));
    expect(next).toBe(0x1c3fffc0);
  });
});
