/**
 * A throw while a pool batch is delivered has no caller to go to (it runs in the promise's
 * continuation), so the decoder turns it into ERR_INTERNAL: the peer is closed as our failure,
 * with no ban score, and nothing becomes an unhandled rejection; other peers go on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { StreamDecoder } from '../../src/framing/stream-decoder.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { NETWORKS } from '../../src/wire/constants.js';
import { PeerLab, send } from '../helpers/peer-lab.js';
import { eventually, frameOf, versionMessage } from '../helpers/raw-peer.js';

const magic = NETWORKS.regtest.magic;
const scanner = new FrameScanner();
let pool: WorkerPool;
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => void rejections.push(reason);

beforeAll(() => {
  pool = new WorkerPool({ threads: 1 });
  process.on('unhandledRejection', onRejection);
});
afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await pool.close();
});
afterEach(() => {
  expect(rejections).toEqual([]);
});

const until = eventually;

/** A peer through the handshake; its batches go through the pool, so this waits for the worker. */
async function established(lab: PeerLab, nonce: bigint): Promise<ReturnType<PeerLab['connect']>> {
  const c = lab.connect();
  c.socket.emit('data', Buffer.concat([frameOf(versionMessage(nonce)), frameOf({ command: 'verack' })]));
  await until(() => c.peer.established, 'the handshake');
  c.socket.take();
  return c;
}

describe('a throw while a pool batch is delivered', () => {
  it('ends the stream with ERR_INTERNAL (fatal) instead of an unhandled rejection', async () => {
    const errors: Array<{ code: string; fatal: boolean }> = [];
    let batches = 0;
    const d = new StreamDecoder(magic, new FrameVerifier(pool, { poolMinBytes: 0 }, scanner), {
      onBatch: () => {
        batches++;
        throw new Error('sink failed');
      },
      onFrameError: (e, fatal) => void errors.push({ code: e.code, fatal }),
    });
    d.push(scanner.encodeFrame(magic, 'verack', new Uint8Array(0)));
    await until(() => errors.length > 0, 'the error reported');
    expect(batches).toBe(1);
    expect(errors).toEqual([{ code: 'ERR_INTERNAL', fatal: true }]);
    d.push(scanner.encodeFrame(magic, 'verack', new Uint8Array(0)));
    await new Promise((r) => setImmediate(r));
    expect(d.pendingBytes).toBe(0);
    expect(batches).toBe(1); // closed: nothing more is delivered
  });

  it('closes the peer as our failure (no score) and keeps serving the others', async () => {
    const lab = new PeerLab({}, { verifier: new FrameVerifier(pool, { poolMinBytes: 0 }, scanner) });
    const victim = await established(lab, 1001n);
    const other = await established(lab, 1002n);
    // The host throws while the node reacts to the victim's bad frame: reached from deliver().
    const record = lab.offences.push.bind(lab.offences);
    lab.offences.push = (...o) => {
      if (o.some((x) => x.peer === victim.peer.id && x.code !== null)) throw new Error('host failed');
      return record(...o);
    };
    const bad = scanner.encodeFrame(magic, 'ping', new Uint8Array(8));
    bad[20] ^= 0xff; // checksum
    victim.socket.emit('data', bad);
    await until(() => lab.closed.some((c) => c.peer === victim.peer.id), 'the victim closed');
    expect(lab.closed).toEqual([{ peer: victim.peer.id, reason: 'local' }]);
    expect([...lab.offences]).toEqual([]);

    send(other.socket, { command: 'ping', nonce: 7n });
    let answered = 0;
    await until(() => (answered += other.socket.take().length) > 0, 'the other peer answered');
    expect(other.peer.isClosed).toBe(false);
  });
});
