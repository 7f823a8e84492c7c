import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { txIds } from '../../src/wire/tx-id.js';
import { hash256 } from '../../src/wasm/hasher.js';
import { LiteFramer, TX_MAX_BYTES, TX_MIN_BYTES, doubleSha256, frame, invPayload, nowMs, readStamp, stampedTx, writeHeader } from '../../bench/load/wire-lite.js';
import { NaiveDecoder } from '../../bench/baselines/naive-decoder.js';
import { MAGIC } from '../../bench/load/wire-lite.js';

describe('load generator wire helpers', () => {
  it('stamps with the system-wide monotonic clock (what process.hrtime reads in every process), not a per-process origin', () => {
    for (let i = 0; i < 5; i++) {
      const before = Number(process.hrtime.bigint()) / 1e6;
      const t = nowMs();
      const after = Number(process.hrtime.bigint()) / 1e6;
      // Within 50 µs of the reads around it: a timeOrigin-based clock is off by the epoch, and even
      // an offset taken from one unpaired read was off by ~0.5 ms.
      expect(t).toBeGreaterThan(before - 0.05);
      expect(t).toBeLessThan(after + 0.05);
    }
  });

  for (const size of [TX_MIN_BYTES, 250, TX_MAX_BYTES]) {
    it(`a stamped ${size}-byte transaction decodes with our codec and carries its stamp`, () => {
      const raw = stampedTx(size, { sourceId: 7, seq: 42, epoch: 3, atMs: 1_700_000_000_123.456, measured: true });
      expect(raw.byteLength).toBe(size);
      const tx = decodePayload('tx', raw, PROTOCOL_VERSION);
      expect(tx.command).toBe('tx');
      expect(readStamp(raw, 0, raw.byteLength)).toEqual({ atMs: 1_700_000_000_123.456, epoch: 3, measured: true });
      // Legacy transaction: the txid is the double SHA-256 of the bytes, as the sources announce it.
      expect(Buffer.from(txIds(raw, hash256).txid).equals(doubleSha256(raw))).toBe(true);
    });
  }

  it('stamps make transactions unique', () => {
    const st = { sourceId: 1, seq: 1, epoch: 1, atMs: 5, measured: false };
    const hashes = [st, { ...st, seq: 2 }, { ...st, sourceId: 2 }, { ...st, epoch: 2 }].map((x) => doubleSha256(stampedTx(250, x)).toString('hex'));
    expect(new Set(hashes).size).toBe(4);
  });

  it("a frame built from the payload's double SHA-256 is the frame frame() builds", () => {
    const tx = stampedTx(250, { sourceId: 1, seq: 9, epoch: 1, atMs: 1, measured: true });
    const b = Buffer.alloc(24 + tx.byteLength);
    writeHeader(b, 0, 'tx', tx.byteLength, doubleSha256(tx));
    b.set(tx, 24);
    expect(b.equals(frame('tx', tx))).toBe(true);
  });

  it('frames pass a checksum-verifying decoder and split back byte by byte', () => {
    const frames = [frame('tx', stampedTx(200, { sourceId: 1, seq: 1, epoch: 1, atMs: 1, measured: false })), frame('inv', invPayload([doubleSha256(Buffer.from('x'))])), frame('verack', new Uint8Array(0))];
    const stream = Buffer.concat(frames);
    const naive = new NaiveDecoder(MAGIC);
    naive.push(stream);
    expect(naive.frames).toBe(3);
    expect(naive.errors).toBe(0);
    const seen: string[] = [];
    const lite = new LiteFramer((f) => seen.push(`${f.command}:${f.payload.byteLength}`));
    for (const byte of stream) lite.push(Buffer.from([byte]));
    expect(seen).toEqual(['tx:200', 'inv:37', 'verack:0']);
    // Names sharing a known command's first four bytes are not taken for it.
    const odd: string[] = [];
    new LiteFramer((f) => odd.push(f.command)).push(Buffer.concat([frame('vers', new Uint8Array(0)), frame('txx', new Uint8Array(0)), frame('getdata', new Uint8Array(0))]));
    expect(odd).toEqual(['vers', 'txx', 'getdata']);
    const inv = decodePayload('inv', invPayload([Buffer.alloc(32, 1)]), PROTOCOL_VERSION);
    expect(inv.inventory).toHaveLength(1);
  });
});
