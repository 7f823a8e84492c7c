import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from '../../src/errors.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { hashToHex } from '../../src/wire/hex.js';
import { blockHash, parseTxBoundaries, splitBlockTransactions, strippedSize, txid, txIds, wtxid } from '../../src/wire/tx-id.js';
import { buildTx, concat, cs, dsha, hex, le32, le64, rawTx, toHex, txSpec, type TxSpec } from './helpers.js';

/**
 * The mainnet genesis block, written field by field from its well-known contents: coinbase with
 * "The Times 03/Jan/2009 …" and the 50 BTC output to Satoshi's key; header version 1, zero
 * prev hash, time 1231006505 (0x495fab29), bits 0x1d00ffff, nonce 2083236893 (0x7c2bac1d).
 * Its txid must be the published merkle root 4a5e1e4b…a33b and its hash 000000000019d6…e26f.
 */
const GENESIS_COINBASE = concat(
  le32(1),
  cs(1),
  new Uint8Array(32),
  hex('ffffffff'),
  cs(77),
  hex('04ffff001d010445'),
  new TextEncoder().encode('The Times 03/Jan/2009 Chancellor on brink of second bailout for banks'),
  hex('ffffffff'),
  cs(1),
  le64(5_000_000_000n),
  cs(67),
  hex(
    '41 04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f ac',
  ),
  le32(0),
);
const GENESIS_MERKLE = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const GENESIS_HEADER = concat(
  le32(1),
  new Uint8Array(32),
  hex(GENESIS_MERKLE).reverse(),
  le32(1231006505),
  le32(0x1d00ffff),
  le32(2083236893),
);

/**
 * Segwit vector from btcd wire/msgtx_test.go (TestTxHashAndWitnessHash, "block 23157 in a past
 * version of segnet"): one P2WPKH spend, published txid and wtxid below.
 */
const SEGWIT_SPEC: TxSpec = {
  version: 1,
  inputs: [
    {
      prevout: concat(hex('a53352d5135766f03076597418263da2d9c958315968fea823529467481ff9cd'), le32(19)),
      script: new Uint8Array(0),
      sequence: 0xffffffff,
    },
  ],
  outputs: [{ value: 395019n, script: hex('0014 9ddac6f39d51e0398e532a22c41ba189406a8523') }],
  witnesses: [
    [
      hex(
        '3043021f4d2381dc97f182abd8185f51753018523212f5ddc07cc4e63a8dc03658da190220608b5c4d92b86b6de7d78ef23a2fa735bcb59b914a48b0e187c5e7569a18197001',
      ),
      hex('0307ead084807eb76346df6977000c89392f45c76425b26181f521d7f370066a8f'),
    ],
  ],
  lockTime: 0,
};
const SEGWIT_TXID = '0f167d1385a84d1518cfee208b653fc9163b605ccf1b75347e2850b3e2eb19f3';
const SEGWIT_WTXID = '0858eab78e77b6b033da30f46699996396cf48fcf625a783c85a51403e175e74';

describe('known vectors', () => {
  it('genesis coinbase txid is the genesis merkle root; wtxid equals txid (no witness)', () => {
    expect(GENESIS_COINBASE.length).toBe(204);
    expect(hashToHex(txid(GENESIS_COINBASE, nodeHash256))).toBe(GENESIS_MERKLE);
    expect(hashToHex(wtxid(GENESIS_COINBASE, nodeHash256))).toBe(GENESIS_MERKLE);
    const ids = txIds(GENESIS_COINBASE, nodeHash256);
    expect(ids.hasWitness).toBe(false);
    expect(ids.wtxid).toBe(ids.txid);
  });

  it('genesis header hashes to the mainnet genesis block hash', () => {
    expect(GENESIS_HEADER.length).toBe(80);
    expect(hashToHex(blockHash(GENESIS_HEADER, nodeHash256))).toBe(GENESIS_HASH);
    const block = concat(GENESIS_HEADER, cs(1), GENESIS_COINBASE);
    expect(block.length).toBe(285);
    expect(hashToHex(blockHash(block, nodeHash256))).toBe(GENESIS_HASH);
    const txs = splitBlockTransactions(block);
    expect(txs.map(toHex)).toEqual([toHex(GENESIS_COINBASE)]);
  });

  it('btcd segwit vector: published txid and wtxid, sizes 190 / 82', () => {
    const raw = buildTx(SEGWIT_SPEC);
    expect(raw.length).toBe(190);
    const b = parseTxBoundaries(raw);
    expect(b).toMatchObject({ start: 0, end: 190, hasWitness: true, inputsStart: 6 });
    expect(strippedSize(b)).toBe(82);
    expect(hashToHex(txid(raw, nodeHash256))).toBe(SEGWIT_TXID);
    expect(hashToHex(wtxid(raw, nodeHash256))).toBe(SEGWIT_WTXID);
    // txid is the hash of the stripped serialization, built independently.
    expect(hashToHex(dsha(buildTx(SEGWIT_SPEC, false)))).toBe(SEGWIT_TXID);
  });
});

describe('properties', () => {
  it('txid = dSHA256(stripped), wtxid = dSHA256(all), equal without witness', () => {
    fc.assert(
      fc.property(txSpec, (spec) => {
        const raw = buildTx(spec);
        const ids = txIds(raw, nodeHash256);
        expect(toHex(ids.txid)).toBe(toHex(dsha(buildTx(spec, false))));
        expect(toHex(ids.wtxid)).toBe(toHex(dsha(raw)));
        expect(ids.hasWitness).toBe(spec.witnesses !== undefined);
        if (spec.witnesses === undefined) expect(toHex(ids.wtxid)).toBe(toHex(ids.txid));
        expect(strippedSize(parseTxBoundaries(raw))).toBe(buildTx(spec, false).length);
      }),
    );
  });

  it('splits a concatenation of transactions at the right places', () => {
    fc.assert(
      fc.property(fc.array(rawTx, { maxLength: 6 }), (txs) => {
        const block = concat(new Uint8Array(80), cs(txs.length), ...txs);
        expect(splitBlockTransactions(block).map(toHex)).toEqual(txs.map(toHex));
      }),
    );
  });

  it('the hasher is injected: txid uses whatever Hash256 it is given', () => {
    const calls: number[] = [];
    const fake = (d: Uint8Array): Uint8Array => {
      calls.push(d.length);
      return new Uint8Array(32).fill(7);
    };
    const raw = buildTx(SEGWIT_SPEC);
    expect(txIds(raw, fake).txid).toEqual(new Uint8Array(32).fill(7));
    expect(calls).toEqual([82, 190]);
  });
});

describe('malformed transactions', () => {
  const legacy = buildTx({ ...SEGWIT_SPEC, witnesses: undefined });
  const cases: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'ERR_PAYLOAD_TRUNCATED'],
    ['cut in the lock time', legacy.subarray(0, legacy.length - 1), 'ERR_PAYLOAD_TRUNCATED'],
    ['trailing byte', concat(legacy, hex('00')), 'ERR_PAYLOAD_TRAILING_BYTES'],
    ['segwit flag 0x02', concat(le32(1), hex('0002'), legacy.subarray(4)), 'ERR_PAYLOAD_INVALID'],
    ['superfluous witness (marker, all stacks empty)', concat(le32(1), hex('0001'), legacy.subarray(4, legacy.length - 4), cs(0), le32(0)), 'ERR_PAYLOAD_INVALID'],
    ['input count 2^32-1 with no inputs (budget)', concat(le32(1), hex('feffffffff'), le32(0)), 'ERR_PAYLOAD_COUNT_TOO_LARGE'],
    ['input count 1000 with one input (budget)', concat(le32(1), cs(1000), legacy.subarray(5)), 'ERR_PAYLOAD_TRUNCATED'],
    ['script length 2^53-1', concat(le32(1), cs(1), new Uint8Array(36), hex('ffffffffffffff1f00')), 'ERR_PAYLOAD_TRUNCATED'],
    ['non-minimal input count', concat(le32(1), hex('fd0100'), legacy.subarray(5)), 'ERR_PAYLOAD_NON_MINIMAL_VARINT'],
  ];
  it.each(cases)('%s → %s', (_n, raw, code) => {
    let err: unknown;
    try {
      txid(raw, nodeHash256);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe(code);
  });
});
