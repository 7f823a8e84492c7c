import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { txIds } from '../../src/wire/tx-id.js';
import { hash256 } from '../../src/wasm/hasher.js';
import { LiteFramer, TX_MAX_BYTES, TX_MIN_BYTES, doubleSha256, frame, invPayload, stampedTx, txSentMs } from '../../bench/load/wire-lite.js';
import { NaiveDecoder } from '../../bench/baselines/naive-decoder.js';
import { MAGIC } from '../../bench/load/wire-lite.js';

describe('load generator wire helpers', () => {
  for (const size of [TX_MIN_BYTES, 250, TX_MAX_BYTES]) {
    it(`a stamped ${size}-byte transaction decodes with our codec and carries its send time`, () => {
      const raw = stampedTx(size, 7, 42, 1_700_000_000_123.456);
      expect(raw.byteLength).toBe(size);
      const tx = decodePayload('tx', raw, PROTOCOL_VERSION);
      expect(tx.command).toBe('tx');
      expect(txSentMs(raw)).toBe(1_700_000_000_123.456);
      // Legacy transaction: the txid is the double SHA-256 of the bytes, as the sources announce it.
      expect(Buffer.from(txIds(raw, hash256).txid).equals(doubleSha256(raw))).toBe(true);
    });
  }

  it('stamps make transactions unique', () => {
    const a = doubleSha256(stampedTx(250, 1, 1, 5));
    const b = doubleSha256(stampedTx(250, 1, 2, 5));
    const c = doubleSha256(stampedTx(250, 2, 1, 5));
    expect(new Set([a, b, c].map((h) => h.toString('hex'))).size).toBe(3);
  });

  it('frames pass a checksum-verifying decoder and split back byte by byte', () => {
    const frames = [frame('tx', stampedTx(200, 1, 1, 1)), frame('inv', invPayload([doubleSha256(Buffer.from('x'))])), frame('verack', new Uint8Array(0))];
    const stream = Buffer.concat(frames);
    const naive = new NaiveDecoder(MAGIC);
    naive.push(stream);
    expect(naive.frames).toBe(3);
    expect(naive.errors).toBe(0);
    const seen: string[] = [];
    const lite = new LiteFramer((f) => seen.push(`${f.command}:${f.payload.byteLength}`));
    for (const byte of stream) lite.push(Buffer.from([byte]));
    expect(seen).toEqual(['tx:200', 'inv:37', 'verack:0']);
    const inv = decodePayload('inv', invPayload([Buffer.alloc(32, 1)]), PROTOCOL_VERSION);
    expect(inv.inventory).toHaveLength(1);
  });
});
