import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../src/wire/codec.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { messageToJson } from '../../src/wire/json.js';
import { concat, cs, hex, le32, le64 } from './helpers.js';

const GENESIS_HEADER = hex(
  '01000000' +
    '00'.repeat(32) +
    '3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a' +
    '29ab5f49' +
    'ffff001d' +
    '1dac2b7c',
);
const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const GENESIS_MERKLE = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';

describe('messageToJson', () => {
  it('headers: display-order hashes, bits as 8 hex digits', () => {
    const m = decodePayload('headers', concat(cs(1), GENESIS_HEADER, cs(0)), 70016);
    expect(messageToJson(m, nodeHash256)).toEqual({
      command: 'headers',
      headers: [
        {
          hash: GENESIS_HASH,
          version: 1,
          prevBlock: '00'.repeat(32),
          merkleRoot: GENESIS_MERKLE,
          timestamp: 1231006505,
          bits: '1d00ffff',
          nonce: 2083236893,
        },
      ],
    });
  });

  it('version: 64-bit fields as decimal strings, addresses as HOST:PORT; the result survives JSON', () => {
    const m = {
      command: 'version',
      protocolVersion: 70016,
      services: (1n << 63n) + 9n,
      timestamp: 1_700_000_000n,
      addrRecv: { services: 0n, ip: hex('00000000000000000000ffff7f000001'), port: 8333 },
      addrFrom: { services: 1n, ip: hex('20010db8000000000000000000000001'), port: 18333 },
      nonce: 0xffffffffffffffffn,
      userAgent: '/x/',
    } as const;
    const j = messageToJson(m, nodeHash256);
    expect(j).toEqual({
      command: 'version',
      protocolVersion: 70016,
      services: '9223372036854775817',
      timestamp: '1700000000',
      addrRecv: { services: '0', address: '127.0.0.1:8333' },
      addrFrom: { services: '1', address: '[2001:db8::1]:18333' },
      nonce: '18446744073709551615',
      userAgent: '/x/',
    });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('inv, feefilter, reject, unknown', () => {
    const h = new Uint8Array(32);
    h[0] = 0xab;
    expect(messageToJson({ command: 'inv', inventory: [{ type: 0x40000001, hash: h }] }, nodeHash256)).toEqual({
      command: 'inv',
      inventory: [{ type: 0x40000001, typeName: 'witness_tx', hash: `${'00'.repeat(31)}ab` }],
    });
    expect(messageToJson({ command: 'feefilter', minFee: 1000n }, nodeHash256)).toEqual({ command: 'feefilter', minFee: '1000' });
    expect(messageToJson({ command: 'reject', message: 'tx', code: 0x42, reason: 'fee', hash: h }, nodeHash256)).toEqual({
      command: 'reject',
      message: 'tx',
      code: 0x42,
      codeName: 'insufficientfee',
      reason: 'fee',
      hash: `${'00'.repeat(31)}ab`,
    });
    expect(messageToJson({ command: 'unknown', name: 'filterload', payload: hex('0001') }, nodeHash256)).toEqual({
      command: 'unknown',
      name: 'filterload',
      size: 2,
      payload: '0001',
    });
  });

  it('block and tx: ids, sizes, tx count', () => {
    const coinbase = concat(le32(1), cs(1), new Uint8Array(32), hex('ffffffff'), cs(0), hex('ffffffff'), cs(1), le64(1n), cs(0), le32(0));
    const block = decodePayload('block', concat(GENESIS_HEADER, cs(1), coinbase), 70016);
    const jb = messageToJson(block, nodeHash256);
    expect(jb).toMatchObject({ command: 'block', hash: GENESIS_HASH, txCount: 1, size: 80 + 1 + coinbase.length, bits: '1d00ffff' });
    const jt = messageToJson(decodePayload('tx', coinbase, 70016), nodeHash256);
    expect(jt).toMatchObject({ command: 'tx', size: coinbase.length, hasWitness: false });
    expect(jt.txid).toBe(jt.wtxid);
  });

  it('addrv2 entries name their network', () => {
    const m = {
      command: 'addrv2',
      addresses: [{ timestamp: 1, services: 1n << 60n, networkId: 1, addr: Uint8Array.of(10, 0, 0, 1), port: 8333 }],
    } as const;
    expect(messageToJson(m, nodeHash256)).toEqual({
      command: 'addrv2',
      addresses: [{ timestamp: 1, services: '1152921504606846976', network: 'ipv4', networkId: 1, address: '10.0.0.1:8333' }],
    });
  });
});
