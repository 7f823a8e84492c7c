import { FrameRecords } from '../../src/wasm/frame-records.js';
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { WorkerPool } from '../../src/pool/pool.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { Status } from '../../src/wasm/status.js';
import { NETWORKS } from '../../src/wire/constants.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { hasErrorCode } from '../../src/errors.js';

const magic = NETWORKS.regtest.magic;
const scanner = new FrameScanner();

function ownedCopy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

describe('WorkerPool', () => {
  const pool = new WorkerPool({ threads: 2 });
  afterAll(() => pool.close());

  it('verifies frames in a worker and moves the buffer there and back', async () => {
    const frames = scanner.encodeFrames(magic, [
      { command: 'ping', payload: new Uint8Array(8).fill(1) },
      { command: 'tx', payload: randomBytes(5000) },
      { command: 'verack', payload: new Uint8Array(0) },
    ]);
    const batch = ownedCopy(frames);
    const res = await pool.scan(batch, magic);
    // The source buffer was transferred, not cloned (piscina#155).
    expect(batch.byteLength).toBe(0);
    expect(res.count).toBe(3);
    const recs = new FrameRecords(res.records);
    recs.count = res.count;
    expect(recs.toArray().map((r) => r[3])).toEqual([Status.OK, Status.OK, Status.OK]);
    // The digest of each payload comes back with its record (here: the tx, hashed natively).
    expect(Buffer.from(recs.digest(1)).equals(Buffer.from(nodeHash256(frames.subarray(32 + 24, 32 + 24 + 5000))))).toBe(true);
    expect(res.consumed).toBe(frames.length);
    expect(Buffer.from(res.bytes).equals(Buffer.from(frames))).toBe(true);
  });

  it('gives the same verdicts as inline verification', async () => {
    const verifier = new FrameVerifier(pool, { poolMinBytes: 0 });
    const parts = [];
    for (let i = 0; i < 50; i++) parts.push({ command: i % 2 ? 'inv' : 'tx', payload: randomBytes(1 + ((i * 97) % 3000)) });
    const frames = scanner.encodeFrames(magic, parts);
    frames[20] ^= 1; // corrupt the first frame's checksum
    const inline = verifier.verifyInline(frames, magic);
    const inlineRecords = Array.from(inline.records.copy());
    const pooled = await verifier.verifyInPool(ownedCopy(frames), magic);
    expect(Array.from(pooled.records.copy())).toEqual(inlineRecords);
    expect(inlineRecords[3]).toBe(Status.BAD_CHECKSUM);
  });

  it('keeps serving after garbage', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await pool.scan(new Uint8Array(randomBytes(4096 + i)), magic);
      expect(res.count).toBeLessThanOrEqual(1);
    }
    const ok = await pool.scan(ownedCopy(scanner.encodeFrame(magic, 'verack', new Uint8Array(0))), magic);
    expect(ok.count).toBe(1);
    expect(ok.records[3]).toBe(Status.OK); // status word of the first record
  });
});

describe('WorkerPool failures', () => {
  const fixture = fileURLToPath(new URL('./fixtures/crash-worker.mjs', import.meta.url));

  it('fails a crashed worker\'s task with a typed error and replaces the worker', async () => {
    const pool = new WorkerPool({ threads: 1, filename: fixture });
    const run = (op: string) => (pool as unknown as { run(r: unknown, t: ArrayBuffer[]): Promise<unknown> }).run({ op, value: 1 }, []);
    const err = await run('crash').catch((e: unknown) => e);
    expect(hasErrorCode(err, 'ERR_POOL_WORKER_CRASHED')).toBe(true);
    const thrown = await run('throw').catch((e: unknown) => e);
    expect(hasErrorCode(thrown, 'ERR_POOL_WORKER_CRASHED')).toBe(true);
    await expect(run('echo')).resolves.toMatchObject({ ok: true, echo: 1 });
    await pool.close();
  });

  it('close() lets running tasks finish and refuses new ones', async () => {
    const pool = new WorkerPool({ threads: 1 });
    const frames = scanner.encodeFrames(magic, Array.from({ length: 200 }, () => ({ command: 'tx', payload: randomBytes(2000) })));
    const running = [pool.scan(ownedCopy(frames), magic), pool.scan(ownedCopy(frames), magic)];
    const closing = pool.close();
    const late = await pool.scan(ownedCopy(frames), magic).catch((e: unknown) => e);
    expect(hasErrorCode(late, 'ERR_POOL_CLOSED')).toBe(true);
    const results = await Promise.all(running);
    for (const r of results) expect(r.count).toBe(200);
    await closing;
  });
});
