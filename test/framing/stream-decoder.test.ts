import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamDecoder } from '../../src/framing/stream-decoder.js';
import type { Frame } from '../../src/framing/frame.js';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { NETWORKS } from '../../src/wire/constants.js';
import type { WireError } from '../../src/errors.js';

const magic = NETWORKS.regtest.magic;
const scanner = new FrameScanner();

interface Collected {
  frames: Array<{ command: string; payload: string; offset: number }>;
  errors: Array<{ code: string; fatal: boolean }>;
}

function collector(): { sink: { onFrame(f: Frame): void; onFrameError(e: WireError, fatal: boolean): void }; out: Collected } {
  const out: Collected = { frames: [], errors: [] };
  return {
    out,
    sink: {
      onFrame: (f) => out.frames.push({ command: f.rawCommand(), payload: Buffer.from(f.payload).toString('hex'), offset: f.streamOffset }),
      onFrameError: (e, fatal) => out.errors.push({ code: e.code, fatal }),
    },
  };
}

function frame(command: string, payload: Uint8Array, m = magic): Uint8Array {
  return scanner.encodeFrame(m, command, payload);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const sample = concat([
  frame('verack', new Uint8Array(0)),
  frame('ping', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
  frame('tx', new Uint8Array(700).fill(7)),
  frame('foo', new Uint8Array([9, 9])),
  frame('pong', new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1])),
]);

/**
 * Feeds `stream` cut at `cuts`. With `reuse`, every chunk is a view of that one buffer, scribbled
 * over after each push, as a socket's onread buffer is reused by the next read.
 */
function decodeInChunks(stream: Uint8Array, cuts: number[], reuse?: Uint8Array): Collected {
  const { sink, out } = collector();
  const d = new StreamDecoder(magic, new FrameVerifier(undefined, {}, scanner), sink);
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    if (reuse === undefined) d.push(stream.slice(prev, c));
    else {
      reuse.set(stream.subarray(prev, c));
      d.push(reuse.subarray(0, c - prev));
      reuse.fill(0xee);
    }
    prev = c;
  }
  return out;
}

describe('StreamDecoder', () => {
  it('decodes several frames from one chunk in order, reporting unknown commands', () => {
    const out = decodeInChunks(sample, []);
    expect(out.errors).toEqual([]);
    expect(out.frames.map((f) => f.command)).toEqual(['verack', 'ping', 'tx', 'foo', 'pong']);
    expect(out.frames[1]!.payload).toBe('0102030405060708');
    expect(out.frames[1]!.offset).toBe(24);
  });

  it('yields the same frames when the stream is split at every byte offset', () => {
    const whole = decodeInChunks(sample, []);
    for (let cut = 1; cut < sample.length; cut++) {
      expect(decodeInChunks(sample, [cut])).toEqual(whole);
    }
  });

  it('yields the same frames byte by byte and for random chunkings', () => {
    const whole = decodeInChunks(sample, []);
    const every = Array.from({ length: sample.length - 1 }, (_, i) => i + 1);
    expect(decodeInChunks(sample, every)).toEqual(whole);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: sample.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(decodeInChunks(sample, [...cuts].sort((a, b) => a - b))).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps no view of a chunk: the same frames when every chunk is one reused buffer, at every cut', () => {
    const whole = decodeInChunks(sample, []);
    const reuse = new Uint8Array(sample.length);
    for (let cut = 1; cut < sample.length; cut++) expect(decodeInChunks(sample, [cut], reuse)).toEqual(whole);
    const every = Array.from({ length: sample.length - 1 }, (_, i) => i + 1);
    expect(decodeInChunks(sample, every, reuse)).toEqual(whole);
    // Frames larger than a chunk, whose pieces wait across several pushes.
    const large = concat([sample, frame('tx', new Uint8Array(70_000).fill(3)), sample, frame('block', new Uint8Array(40_000).fill(5))]);
    const all = decodeInChunks(large, []);
    const big = new Uint8Array(large.length);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: large.length - 1 }), { minLength: 1, maxLength: 12 }), (cuts) => {
        expect(decodeInChunks(large, [...cuts].sort((a, b) => a - b), big)).toEqual(all);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a bad checksum and keeps decoding the frames after it', () => {
    const bad = frame('ping', new Uint8Array(8));
    bad[20] ^= 0xff;
    const out = decodeInChunks(concat([bad, frame('verack', new Uint8Array(0))]), []);
    expect(out.errors).toEqual([{ code: 'ERR_FRAME_BAD_CHECKSUM', fatal: false }]);
    expect(out.frames.map((f) => f.command)).toEqual(['verack']);
  });

  it('stops for good after a wrong magic', () => {
    const out = decodeInChunks(concat([frame('verack', new Uint8Array(0)), frame('verack', new Uint8Array(0), NETWORKS.mainnet.magic), frame('verack', new Uint8Array(0))]), []);
    expect(out.frames.length).toBe(1);
    expect(out.errors).toEqual([{ code: 'ERR_FRAME_BAD_MAGIC', fatal: true }]);
  });

  it('holds only the header of a frame that claims 4 MB until its bytes arrive', () => {
    const { sink, out } = collector();
    const d = new StreamDecoder(magic, new FrameVerifier(undefined, {}, scanner), sink);
    const header = frame('tx', new Uint8Array(0)).slice();
    new DataView(header.buffer).setUint32(16, 4_000_000, true);
    for (let i = 0; i < 100; i++) d.push(new Uint8Array(0));
    d.push(header);
    expect(d.pendingBytes).toBe(24);
    // More bytes that still do not complete the frame do not trigger a rescan or an error.
    d.push(new Uint8Array(1000));
    expect(d.pendingBytes).toBe(1024);
    expect(out.frames).toEqual([]);
    expect(out.errors).toEqual([]);
  });

  it('rejects an oversize header at once, without waiting for the payload', () => {
    const header = frame('tx', new Uint8Array(0)).slice();
    new DataView(header.buffer).setUint32(16, 4_000_001, true);
    const out = decodeInChunks(header, []);
    expect(out.errors).toEqual([{ code: 'ERR_FRAME_OVERSIZE', fatal: true }]);
  });
});

describe('StreamDecoder with the worker pool', () => {
  it('delivers large frames whose bytes arrive while a batch is in the pool', async () => {
    const { WorkerPool } = await import('../../src/pool/pool.js');
    const pool = new WorkerPool({ threads: 1 });
    try {
      const frames = Array.from({ length: 4 }, (_, i) => ({ command: 'block', payload: new Uint8Array(1 << 20).fill(i) }));
      const stream = scanner.encodeFrames(magic, frames);
      const got: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const d = new StreamDecoder(magic, new FrameVerifier(pool, { poolMinBytes: 0 }, scanner), {
          onFrame: (f) => {
            got.push(f.payload[0]!);
            if (got.length === 4) resolve();
          },
          onFrameError: (e) => reject(e),
        });
        for (let off = 0; off < stream.length; off += 65536) d.push(stream.slice(off, off + 65536));
      });
      expect(got).toEqual([0, 1, 2, 3]);
    } finally {
      await pool.close();
    }
  });
});

describe('StreamDecoder batches and partial frames', () => {
  it('hands all complete frames of one read downstream as one batch, with their digests', () => {
    const batches: number[] = [];
    const d = new StreamDecoder(magic, new FrameVerifier(undefined, {}, scanner), {
      onBatch: (b) => {
        batches.push(b.end - b.first);
        // The record's digest is the payload's double SHA-256: its first 4 bytes are the checksum.
        for (let i = b.first; i < b.end; i++) {
          const off = b.records.offset(i);
          expect(Buffer.from(b.records.digest(i).subarray(0, 4)).equals(Buffer.from(b.bytes.subarray(off + 20, off + 24))) || b.records.commandId(i) === 0).toBe(true);
        }
      },
      onFrameError: () => {},
    });
    d.push(sample);
    expect(batches).toEqual([5]);
  });

  it('a large frame trickled in 1-byte segments costs memory proportional to what arrived', () => {
    const d = new StreamDecoder(magic, new FrameVerifier(undefined, {}, scanner), { onBatch: () => {}, onFrameError: () => {} });
    const header = frame('tx', new Uint8Array(3_000_000)).subarray(0, 24);
    d.push(header);
    let received = 24;
    const one = new Uint8Array(1);
    for (let i = 0; i < 50_000; i++) {
      d.push(one);
      received++;
      if (i % 5000 === 0) expect(d.pendingCapacity).toBeLessThanOrEqual(2 * received + 4096);
    }
    expect(d.pendingBytes).toBe(received);
    expect(d.pendingCapacity).toBeLessThanOrEqual(2 * received + 4096);
  });
});
