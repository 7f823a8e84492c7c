import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { checkBlock, heightScript, type BlockContext } from '../../src/chain/block-check.js';
import { CHAIN_PARAMS } from '../../src/chain/params.js';
import { buildBlock, makeTx, mixedShape, rng, type BuiltBlock } from '../../bench/support/blocks.js';
import { bigTx } from '../helpers/raw-tx.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bcoin = require('bcoin') as any;

const R = CHAIN_PARAMS.regtest;
const HEIGHT = 200;
const TIME = 1_700_000_000;
const ctx: BlockContext = { params: R, height: HEIGHT, prevMedianTimePast: TIME - 3000 };
const PREV = new Uint8Array(32).fill(3);

function txsOf(n: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => makeTx(mixedShape(r), r));
}
const block = (txs: Uint8Array[], extra: Partial<Parameters<typeof buildBlock>[0]> = {}): BuiltBlock =>
  buildBlock({ prev: PREV, height: HEIGHT, time: TIME, txs, ...extra });

describe('checkBlock', () => {
  it('accepts a well-formed segwit block, and bcoin agrees on its merkle root and commitment', () => {
    const b = block(txsOf(40, 1));
    const r = checkBlock(b.raw, ctx);
    expect(r).toMatchObject({ ok: true, txCount: 41 });
    const bb = bcoin.Block.fromRaw(Buffer.from(b.raw));
    expect(Buffer.from(bb.createMerkleRoot())).toEqual(Buffer.from(b.raw.subarray(36, 68)));
    expect(bb.getCommitmentHash()).toEqual(bb.createCommitmentHash());
    expect(r.ok && r.weight).toBe(bb.getWeight());
  });

  it('a changed transaction is a merkle mismatch, marked mutated', () => {
    const b = block(txsOf(10, 2));
    const raw = b.raw.slice();
    raw[raw.length - 1] ^= 1; // the last tx's lock time: its txid changes
    expect(checkBlock(raw, ctx)).toEqual({ ok: false, code: 'bad-txnmrklroot', mutated: true });
  });

  it('a changed witness leaves the txids alone and breaks the witness commitment', () => {
    const b = block(txsOf(10, 2));
    const raw = b.raw.slice();
    raw[raw.length - 10] ^= 1; // inside the last tx's witness
    expect(checkBlock(raw, ctx)).toEqual({ ok: false, code: 'bad-witness-merkle-match', mutated: true, index: 0 });
  });

  it('CVE-2012-2459: the last transaction repeated keeps the root but is mutated', () => {
    const txs = txsOf(2, 3);
    const honest = block(txs);
    const forged = block([...txs, txs[1]!], { merkleRoot: honest.raw.subarray(36, 68), mine: false });
    // Same header fields, same root: only the duplicated tail differs.
    expect(Buffer.from(forged.raw.subarray(36, 68))).toEqual(Buffer.from(honest.raw.subarray(36, 68)));
    expect(checkBlock(forged.raw, ctx)).toEqual({ ok: false, code: 'bad-txns-duplicate', mutated: true });
    const bb = bcoin.Block.fromRaw(Buffer.from(forged.raw));
    expect(bb.createMerkleRoot()).toBeNull(); // bcoin's own malleation flag
  });

  it('a duplicate elsewhere is invalid but not mutated', () => {
    const txs = txsOf(3, 4);
    const b = block([txs[0]!, txs[1]!, txs[0]!]);
    expect(checkBlock(b.raw, ctx)).toMatchObject({ ok: false, code: 'bad-txns-duplicate', mutated: false });
  });

  it('a witness commitment that does not match is mutated', () => {
    const b = block(txsOf(10, 5), { commitment: new Uint8Array(32).fill(0xee) });
    expect(checkBlock(b.raw, ctx)).toEqual({ ok: false, code: 'bad-witness-merkle-match', mutated: true, index: 0 });
  });

  it('witness data without a commitment is mutated; a legacy-only block needs none', () => {
    const r = rng(6);
    const segwit = block([makeTx({ inputs: 1, outputs: 1, segwit: true }, r)], { noCommitment: true });
    expect(checkBlock(segwit.raw, ctx)).toMatchObject({ ok: false, code: 'unexpected-witness', mutated: true });
    const legacy = block([makeTx({ inputs: 1, outputs: 1, segwit: false }, r)], { noCommitment: true });
    expect(checkBlock(legacy.raw, ctx)).toMatchObject({ ok: true });
  });

  it('before segwit activation any witness is unexpected', () => {
    const b = block(txsOf(5, 7));
    const early: BlockContext = { params: CHAIN_PARAMS.mainnet, height: HEIGHT, prevMedianTimePast: TIME - 3000 };
    expect(checkBlock(b.raw, early)).toMatchObject({ ok: false, code: 'unexpected-witness', mutated: true });
  });

  it('BIP34: the coinbase must start with the block height', () => {
    const b = block(txsOf(3, 8));
    expect(checkBlock(b.raw, { ...ctx, height: HEIGHT + 1 })).toMatchObject({ ok: false, code: 'bad-cb-height', mutated: false });
    expect(Array.from(heightScript(0))).toEqual([0]);
    expect(Array.from(heightScript(16))).toEqual([0x60]);
    expect(Array.from(heightScript(128))).toEqual([2, 0x80, 0]);
    expect(Array.from(heightScript(227931))).toEqual([3, 0x5b, 0x7a, 0x03]);
  });

  it.each([
    ['height lock not reached', HEIGHT, 0xfffffffd, false],
    ['height lock reached', HEIGHT - 1, 0xfffffffd, true],
    ['height lock not reached, every sequence final', HEIGHT + 5, 0xffffffff, true],
    ['time lock at the median time past (BIP113)', TIME - 3000, 0xfffffffd, false],
    ['time lock below the median time past', TIME - 3001, 0xfffffffd, true],
  ])('finality: %s', (_name, lockTime, sequence, ok) => {
    const r = rng(9);
    const b = block([makeTx({ inputs: 2, outputs: 1, segwit: true, lockTime, sequence }, r)]);
    expect(checkBlock(b.raw, ctx).ok).toBe(ok);
    if (!ok) expect(checkBlock(b.raw, ctx)).toMatchObject({ code: 'bad-txns-nonfinal', mutated: false });
  });

  it('weight above 4,000,000 is refused', () => {
    // 150 txs of 100 segwit inputs: stripped size ×4 stays under the limit, the weight does not.
    const r = rng(12);
    const heavy = Array.from({ length: 150 }, () => makeTx({ inputs: 100, outputs: 1, segwit: true }, r));
    const b = block(heavy);
    expect(checkBlock(b.raw, ctx)).toMatchObject({ ok: false, code: 'bad-blk-weight', mutated: false });
    // Legacy bytes over a million fail the cheaper size check first, as in Core.
    const big = Array.from({ length: 11 }, (_, i) => bigTx(i + 1, 95_000));
    expect(checkBlock(block(big, { noCommitment: true }).raw, ctx)).toMatchObject({ ok: false, code: 'bad-blk-length' });
  });

  it('a second coinbase, or none first, is refused', () => {
    const b = block(txsOf(2, 10));
    const cbOnly = block([], {});
    const twice = block([b.txs[0]!]);
    expect(checkBlock(twice.raw, ctx)).toMatchObject({ ok: false, code: 'bad-cb-multiple' });
    expect(checkBlock(cbOnly.raw, ctx)).toMatchObject({ ok: true, txCount: 1 });
  });

  it('bytes that do not parse never throw', () => {
    const b = block(txsOf(3, 11));
    for (const cut of [0, 79, 81, 120, b.raw.length - 1]) expect(checkBlock(b.raw.subarray(0, cut), ctx)).toMatchObject({ ok: false, code: 'bad-blk-length' });
  });
});
