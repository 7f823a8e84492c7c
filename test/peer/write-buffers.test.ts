import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WriteBuffers, writeBuffers } from '../../src/peer/write-buffers.js';
import { PeerWriter, WriteScheduler, type FlowSink } from '../../src/peer/writer.js';
import type { Transport } from '../../src/transport/transport.js';
import { MemSocket } from '../../bench/support/mem-socket.js';

const passthrough = { passthrough: true } as unknown as Transport;
const flows: FlowSink = { delivered: () => {}, dropped: () => {} };
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** A 100-byte relayed frame tagged with its number. */
const tagged = (id: number): Uint8Array => {
  const f = new Uint8Array(100);
  new DataView(f.buffer).setUint32(0, id);
  return f;
};

describe('WriteBuffers', () => {
  it('hands out power-of-two classes from 4 KiB to 1 MiB, reuses what comes back, and keeps at most 8 MiB free', () => {
    const pool = new WriteBuffers();
    expect(pool.take(4095)).toBeUndefined();
    expect(pool.take((1 << 20) + 1)).toBeUndefined();
    const a = pool.take(5000)!;
    expect(a.byteLength).toBe(8192);
    expect(pool.take(4096)!.byteLength).toBe(4096);
    expect(pool.take(1 << 20)!.byteLength).toBe(1 << 20);
    pool.give(a);
    expect(pool.freeBytes).toBe(8192);
    expect(pool.take(6000)).toBe(a);
    expect(pool.reused).toBe(1);
    // A buffer not of a class size is not kept.
    pool.give(Buffer.allocUnsafeSlow(5000));
    expect(pool.freeBytes).toBe(0);
    const big = Array.from({ length: 10 }, () => pool.take(1 << 20)!);
    big.forEach((b) => pool.give(b));
    expect(pool.freeBytes).toBe(8 << 20);
    pool.trimIfIdle();
  });

  it('lets its free buffers go after a trim interval in which nothing was taken', () => {
    const pool = new WriteBuffers(60_000);
    pool.give(pool.take(10_000)!);
    expect(pool.freeBytes).toBe(16384);
    pool.trimIfIdle(); // something was taken since the last check: kept
    expect(pool.freeBytes).toBe(16384);
    pool.trimIfIdle(); // idle for a whole interval: dropped
    expect(pool.freeBytes).toBe(0);
  });
});

describe('PeerWriter with pooled write buffers', () => {
  it('gives a write buffer back only after its write completed on an open socket, never after a destroy', async () => {
    const socket = new MemSocket();
    const w = new PeerWriter(1, socket, passthrough, { maxBytes: 1 << 30, maxMessages: 1 << 20 }, flows, new WriteScheduler(), () => false);
    // 100 frames: one 10 KB write from a 16 KiB class buffer.
    for (let i = 0; i < 100; i++) w.queueRelayed(tagged(i), 2);
    const free = writeBuffers.freeBytes;
    await turn(); // the flush
    expect(socket.writes).toBe(1);
    expect(socket.out[0]!.buffer.byteLength).toBe(16384);
    await turn(); // its completion (next tick after the write)
    expect(writeBuffers.freeBytes).toBe(free + 16384);
    // The same class again: the buffer comes back out and the bytes are the new ones.
    for (let i = 100; i < 200; i++) w.queueRelayed(tagged(i), 2);
    await turn();
    const out = socket.take();
    expect(Array.from({ length: 200 }, (_, i) => out.readUInt32BE(100 * i))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await turn();
    // A write whose completion comes after the socket was destroyed (net.Socket reports an
    // in-flight write after the buffered ones then): its buffer is not reused.
    const held: Array<(err?: Error | null) => void> = [];
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Uint8Array, cb?: (err?: Error | null) => void) => write(chunk, () => held.push(cb!))) as typeof socket.write;
    const before = writeBuffers.freeBytes;
    for (let i = 0; i < 100; i++) w.queueRelayed(tagged(i), 2);
    await turn();
    expect(held.length).toBe(1);
    expect(writeBuffers.freeBytes).toBe(before - 16384);
    socket.destroy();
    held[0]!(null);
    expect(writeBuffers.freeBytes).toBe(before - 16384);
  });

  it('keeps every byte right over real loopback TCP while buffers are reused across thousands of writes', async () => {
    const received: Buffer[] = [];
    let got = 0;
    const total = 20_000;
    const done = new Promise<void>((resolve) => {
      const server = createServer((s) => {
        s.on('data', (c: Buffer) => {
          received.push(c);
          got += c.length;
          if (got === 100 * total) {
            server.close();
            s.destroy();
            resolve();
          }
        });
      });
      server.listen(0, '127.0.0.1', () => {
        const port = (server.address() as { port: number }).port;
        const sock: Socket = connect(port, '127.0.0.1', async () => {
          const w = new PeerWriter(3, sock, passthrough, { maxBytes: 1 << 30, maxMessages: 1 << 20 }, flows, new WriteScheduler(), () => false);
          const reusedBefore = writeBuffers.reused;
          // Bursts of 50-400 frames per turn: many writes of several classes, each buffer reused.
          for (let id = 0; id < total; ) {
            const n = Math.min(total - id, 50 + ((id * 7) % 351));
            for (let i = 0; i < n; i++) w.queueRelayed(tagged(id++), 2);
            await turn();
          }
          expect(writeBuffers.reused).toBeGreaterThan(reusedBefore);
          sock.end();
        });
      });
    });
    await done;
    const all = Buffer.concat(received);
    for (let i = 0; i < total; i++) expect(all.readUInt32BE(100 * i)).toBe(i);
  });
});
