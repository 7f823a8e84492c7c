import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from '../../src/wire/codec.js';
import { MAX_PAYLOAD, PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { MAX_CMPCT_TXS } from '../../src/wire/messages/cmpctblock.js';
import { codeOf, concat, cs, hex, toHex } from './helpers.js';
import { rawTx } from '../helpers/raw-tx.js';

const PVER = PROTOCOL_VERSION;
const HASH = new Uint8Array(32).fill(0xab);

describe('sendcmpct', () => {
  it('is a flag byte and a u64 version (Core sends 01 0200000000000000 for HB version 2)', () => {
    const m = decodePayload('sendcmpct', hex('01 0200000000000000'), PVER);
    expect(m).toEqual({ command: 'sendcmpct', announce: 1, version: 2n });
    expect(toHex(encodePayload(m, PVER))).toBe('010200000000000000');
  });
  it('keeps a non-zero flag other than 1 as sent (Core reads it as true)', () => {
    expect(decodePayload('sendcmpct', hex('07 0100000000000000'), PVER).announce).toBe(7);
  });
  it.each([
    ['truncated', '01 02000000000000', 'ERR_PAYLOAD_TRUNCATED'],
    ['over the 9-byte cap', '01 0200000000000000 00', 'ERR_PAYLOAD_FIELD_TOO_LARGE'],
  ])('%s', (_n, h, code) => {
    expect(codeOf(() => decodePayload('sendcmpct', hex(h), PVER))).toBe(code);
  });
});

describe('getblocktxn', () => {
  it('decodes differential indexes to absolute ones and back', () => {
    // indexes 0, 1, 5, 300: diffs 0, 0, 3, 294 (0xfd 2601)
    const p = concat(HASH, cs(4), hex('00 00 03 fd2601'));
    const m = decodePayload('getblocktxn', p, PVER);
    expect(m.indexes).toEqual([0, 1, 5, 300]);
    expect(toHex(encodePayload(m, PVER))).toBe(toHex(p));
  });
  it('an index past 65,535 overflows 16 bits (Core DifferenceFormatter)', () => {
    expect(codeOf(() => decodePayload('getblocktxn', concat(HASH, cs(2), hex('fdffff 00')), PVER))).toBe('ERR_PAYLOAD_INVALID');
    expect(codeOf(() => decodePayload('getblocktxn', concat(HASH, cs(1), hex('fdffff')), PVER))).toBe('none');
  });
  it('refuses to encode indexes that do not increase', () => {
    expect(() => encodePayload({ command: 'getblocktxn', blockHash: HASH, indexes: [3, 3] }, PVER)).toThrow(RangeError);
  });
  it('the cap holds the largest valid request', () => {
    const indexes = Array.from({ length: 65_536 }, (_, i) => i);
    expect(encodePayload({ command: 'getblocktxn', blockHash: HASH, indexes }, PVER).length).toBeLessThanOrEqual(MAX_PAYLOAD.getblocktxn);
  });
});

describe('cmpctblock', () => {
  const header = new Uint8Array(80).fill(1);
  it('prefilled indexes are differential; short ids stay one contiguous view', () => {
    const tx = rawTx(1);
    const p = concat(header, hex('0807060504030201'), cs(2), new Uint8Array(12).fill(9), cs(2), cs(0), tx, cs(4), tx);
    const m = decodePayload('cmpctblock', p, PVER);
    expect(m.nonce).toBe(0x0102030405060708n);
    expect(m.shortIds.length).toBe(12);
    expect(m.prefilled.map((x) => x.index)).toEqual([0, 5]);
    expect(toHex(encodePayload(m, PVER))).toBe(toHex(p));
  });
  it('more than 100,000 transactions in all is refused before anything is read', () => {
    const p = concat(header, new Uint8Array(8), cs(MAX_CMPCT_TXS + 1));
    expect(codeOf(() => decodePayload('cmpctblock', p, PVER))).toBe('ERR_PAYLOAD_COUNT_TOO_LARGE');
  });
  it('a prefilled index past 65,535 overflows', () => {
    const p = concat(header, new Uint8Array(8), cs(0), cs(1), hex('fe00000100'), rawTx(2));
    expect(codeOf(() => decodePayload('cmpctblock', p, PVER))).toBe('ERR_PAYLOAD_INVALID');
  });
  it('a malformed prefilled transaction is a WireError', () => {
    const p = concat(header, new Uint8Array(8), cs(0), cs(1), cs(0), hex('0100'));
    expect(codeOf(() => decodePayload('cmpctblock', p, PVER))).toMatch(/^ERR_PAYLOAD_/);
  });
});

describe('blocktxn', () => {
  it('carries whole transactions after the block hash', () => {
    const p = concat(HASH, cs(2), rawTx(1), rawTx(2));
    const m = decodePayload('blocktxn', p, PVER);
    expect(m.txs.length).toBe(2);
    expect(toHex(encodePayload(m, PVER))).toBe(toHex(p));
    expect(codeOf(() => decodePayload('blocktxn', concat(p, hex('00')), PVER))).toBe('ERR_PAYLOAD_TRAILING_BYTES');
  });
});
