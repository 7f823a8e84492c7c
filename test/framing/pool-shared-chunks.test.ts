/**
 * Socket chunks can be views of one shared buffer. A batch sent to the pool is transferred, so the
 * decoder must copy such a chunk first: transferring the shared buffer would detach every other
 * chunk (it once did, and the next reads arrived empty).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { StreamDecoder } from '../../src/framing/stream-decoder.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { NETWORKS } from '../../src/wire/constants.js';

const magic = NETWORKS.regtest.magic;
const pool = new WorkerPool({ threads: 1 });
afterAll(() => pool.close());

describe('StreamDecoder with the pool and shared chunks', () => {
  it('decodes a stream fed as views of one Buffer, the same chunks several times over', async () => {
    const scanner = new FrameScanner();
    const stream = Buffer.concat([0, 1, 2].map(() => scanner.encodeFrame(magic, 'block', randomBytes(200_000))));
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 65536) chunks.push(stream.subarray(i, i + 65536));
    for (let round = 0; round < 3; round++) {
      let frames = 0;
      await new Promise<void>((resolve, reject) => {
        const d = new StreamDecoder(magic, new FrameVerifier(pool, { poolMinBytes: 0 }), {
          onFrame: () => {
            if (++frames === 3) resolve();
          },
          onFrameError: reject,
        });
        for (const c of chunks) d.push(c);
      });
      expect(chunks.every((c) => c.byteLength > 0)).toBe(true);
    }
  });
});
