import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { RawForwarder } from '../../bench/load/raw-forwarder.js';
import { eventually } from '../helpers/raw-peer.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function collect(s: Socket, bytes: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const t = setTimeout(() => reject(new Error(`got ${n} of ${bytes} bytes`)), timeoutMs);
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      n += c.byteLength;
      if (n >= bytes) {
        clearTimeout(t);
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

let fwd: RawForwarder | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await fwd?.close();
  fwd = undefined;
});

describe('raw forwarder baseline', () => {
  it('copies every byte from a source to each of its sinks unchanged and in order', async () => {
    fwd = new RawForwarder(2);
    const { sourcePort, sinkPort } = await fwd.listen();
    const sinkA = await open(sinkPort);
    const sinkB = await open(sinkPort);
    sockets.push(sinkA, sinkB);
    await eventually(() => fwd!.waitingSinkCount === 2, 'both sinks accepted');
    const src = await open(sourcePort);
    sockets.push(src);
    // 4 MiB in uneven writes: more than the socket buffers, so backpressure and resume are exercised.
    const payload = randomBytes(4 * 1024 * 1024);
    const gotA = collect(sinkA, payload.byteLength);
    const gotB = collect(sinkB, payload.byteLength);
    for (let off = 0; off < payload.byteLength; ) {
      const n = Math.min(payload.byteLength - off, 1 + ((off * 7919) % 100_000));
      src.write(payload.subarray(off, off + n));
      off += n;
    }
    const [a, b] = await Promise.all([gotA, gotB]);
    expect(a.equals(payload)).toBe(true);
    expect(b.equals(payload)).toBe(true);
    expect(fwd.bytesIn).toBe(payload.byteLength);
  });

  it('pairs streams: two sources never interleave on one sink', async () => {
    fwd = new RawForwarder(1);
    const { sourcePort, sinkPort } = await fwd.listen();
    const sink1 = await open(sinkPort);
    const sink2 = await open(sinkPort);
    sockets.push(sink1, sink2);
    await eventually(() => fwd!.waitingSinkCount === 2, 'both sinks accepted');
    const s1 = await open(sourcePort);
    await eventually(() => fwd!.waitingSinkCount === 1, 'the first source paired');
    const s2 = await open(sourcePort);
    sockets.push(s1, s2);
    const a = Buffer.alloc(256 * 1024, 0xaa);
    const b = Buffer.alloc(256 * 1024, 0xbb);
    const got1 = collect(sink1, a.byteLength);
    const got2 = collect(sink2, b.byteLength);
    s1.write(a);
    s2.write(b);
    expect((await got1).equals(a)).toBe(true);
    expect((await got2).equals(b)).toBe(true);
  });

  it('refuses a source when no sink is waiting', async () => {
    fwd = new RawForwarder(1);
    const { sourcePort } = await fwd.listen();
    const s = await open(sourcePort);
    sockets.push(s);
    await new Promise<void>((r) => s.once('close', () => r()));
    expect(s.destroyed).toBe(true);
  });

  it('rejects a fanout that is not a positive integer', () => {
    expect(() => new RawForwarder(0)).toThrow(TypeError);
  });
});
