/** PeerWriter over an in-memory socket: coalescing, bounds, drops and their accounting. */
import { describe, expect, it } from 'vitest';
import { PeerWriter, WriteScheduler } from '../../src/peer/writer.js';
import { OWN_BUFFER_MIN } from '../../src/relay/frame-slabs.js';
import type { FlowSink } from '../../src/peer/writer.js';
import type { Transport } from '../../src/transport/transport.js';
import { MemSocket } from '../../bench/support/mem-socket.js';

const passthrough = { passthrough: true, wrap: (f: Uint8Array) => f } as unknown as Transport;

function setup(maxBytes = 10_000, maxMessages = 100) {
  const socket = new MemSocket();
  const events: string[] = [];
  const flows: FlowSink = {
    delivered: (src, dst, bytes) => events.push(`delivered ${src}→${dst} ${bytes}`),
    dropped: (src, dst, reason, bytes) => events.push(`${reason} ${src}→${dst} ${bytes}`),
  };
  const w = new PeerWriter(7, socket, passthrough, { maxBytes, maxMessages }, flows, new WriteScheduler(), () => false);
  return { socket, w, events };
}
const frame = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('PeerWriter', () => {
  it('writes everything queued in one turn as one socket write, in order', async () => {
    const { socket, w } = setup();
    for (let i = 0; i < 50; i++) w.queueRelayed(frame(10, i), 1);
    w.queueControl(frame(5, 99));
    expect(socket.writes).toBe(0);
    await turn();
    expect(socket.writes).toBe(1);
    const out = socket.take();
    expect(out.length).toBe(505);
    expect(out[0]).toBe(0);
    expect(out[499]).toBe(49);
    expect(out[504]).toBe(99);
  });

  it('writes a single control frame or block-sized frame as it is, and copies a small relayed one (a slab view)', async () => {
    const { socket, w } = setup(4 * OWN_BUFFER_MIN);
    const c = frame(300, 3);
    w.queueControl(c);
    await turn();
    expect(socket.out[0]).toBe(c);
    const big = frame(OWN_BUFFER_MIN, 5);
    w.queueRelayed(big, 1);
    await turn();
    expect(socket.out[1]).toBe(big);
    const small = frame(300, 4);
    w.queueRelayed(small, 1);
    await turn();
    expect(socket.out[2]).not.toBe(small);
    expect(Buffer.from(socket.out[2]!).equals(Buffer.from(small))).toBe(true);
  });

  it('drops a relayed frame whose slab was refilled while it was queued (its view reads as empty)', async () => {
    const { socket, w, events } = setup();
    const slab = new ArrayBuffer(1000);
    const stale = new Uint8Array(slab, 100, 300).fill(9);
    w.queueControl(frame(10, 1));
    w.queueRelayed(stale, 4);
    w.queueRelayed(frame(50, 2), 5);
    structuredClone(slab, { transfer: [slab] });
    await turn();
    expect(Buffer.from(socket.take()).equals(Buffer.concat([frame(10, 1), frame(50, 2)]))).toBe(true);
    expect(w.byteLength).toBe(0);
    expect(events).toEqual(['queue_head 4→7 300', 'delivered 5→7 50']);
  });

  it('queues relayed frames as (slab, offset, length) and writes exactly those bytes; frames of a slab that emptied are left out', async () => {
    const { socket, w, events } = setup();
    const slabA = new ArrayBuffer(4096);
    const a = new Uint8Array(slabA);
    const b = new Uint8Array(4096);
    for (let i = 0; i < 4096; i++) {
      a[i] = i & 0xff;
      b[i] = (i * 7) & 0xff;
    }
    w.queueRelayed(a, 1, 100, 50);
    w.queueRelayed(a, 8, 150, 20); // back to back with the one before: copied as one run
    w.queueRelayed(b, 2, 1000, 30);
    w.queueControl(frame(5, 9));
    w.queueRelayed(a, 3, 4000, 96);
    await turn();
    const want = Buffer.concat([a.subarray(100, 170), b.subarray(1000, 1030), frame(5, 9), a.subarray(4000, 4096)]);
    expect(socket.take().equals(want)).toBe(true);
    expect(events).toEqual(['delivered 1→7 50', 'delivered 8→7 20', 'delivered 2→7 30', 'delivered 3→7 96']);
    // A frame at the very end of its slab, alone in its write, is copied, not handed over as the slab.
    w.queueRelayed(b, 4, 4000, 96);
    await turn();
    expect(socket.out.at(-1)).not.toBe(b);
    expect(socket.take().equals(Buffer.from(b.subarray(4000)))).toBe(true);
    // The slab empties (detached) while two of its frames wait: both are dropped, the other kept.
    w.queueRelayed(a, 5, 0, 40);
    w.queueRelayed(b, 6, 0, 40);
    w.queueRelayed(a, 7, 40, 40);
    structuredClone(slabA, { transfer: [slabA] });
    await turn();
    expect(socket.take().equals(Buffer.from(b.subarray(0, 40)))).toBe(true);
    expect(events.slice(5)).toEqual(['queue_head 5→7 40', 'queue_head 7→7 40', 'delivered 6→7 40']);
  });

  it('counts a relayed frame as delivered when it reaches the socket, not when queued', async () => {
    const { w, events } = setup();
    w.queueRelayed(frame(100, 1), 4);
    expect(events).toEqual([]);
    await turn();
    expect(events).toEqual(['delivered 4→7 100']);
  });

  it('a write that fails relays nothing: its relayed frames count as gone, not delivered', async () => {
    const { socket, w, events } = setup();
    // The connection resets under the write: like net.Socket, the completion carries the error.
    socket.write = (_chunk, done) => {
      process.nextTick(() => done?.(new Error('ECONNRESET')));
      return false;
    };
    w.queueRelayed(frame(100, 1), 4);
    w.queueControl(frame(10, 2));
    await turn();
    expect(events).toEqual(['gone_disconnected 4→7 100']);
  });

  it('once the socket is destroyed, completions relay nothing, whatever order Node reports them in', async () => {
    const { socket, w, events } = setup();
    // Three writes in flight; net.Socket's destroy fails the buffered ones first and reports the
    // one in flight (success, the stream being destroyed) after them.
    const pending: ((err?: Error | null) => void)[] = [];
    socket.write = (_chunk, done) => {
      pending.push(done!);
      return true;
    };
    for (const [src, n] of [[1, 100], [2, 200], [3, 300]] as const) {
      w.queueRelayed(frame(n, src), src);
      await turn();
    }
    expect(pending).toHaveLength(3);
    socket.destroyed = true;
    pending[1]!(new Error('ERR_STREAM_DESTROYED'));
    pending[2]!(new Error('ERR_STREAM_DESTROYED'));
    pending[0]!(null);
    expect(events.filter((e) => e.startsWith('delivered'))).toEqual([]);
    expect(events.sort()).toEqual(['gone_disconnected 1→7 100', 'gone_disconnected 2→7 200', 'gone_disconnected 3→7 300']);
  });

  it('a locally injected item (src -1) is delivered too (relayed totals), once written', async () => {
    const { w, events } = setup();
    w.queueRelayed(frame(80, 1), -1);
    await turn();
    expect(events).toEqual(['delivered -1→7 80']);
  });

  it('over the bound with a full socket, drops the oldest relayed frames, never control frames', async () => {
    const { socket, w, events } = setup(1000, 100);
    socket.writableLength = 1 << 30; // the peer does not read: nothing can be handed over
    w.queueControl(frame(400, 1));
    w.queueRelayed(frame(400, 2), 3);
    w.queueRelayed(frame(400, 4), 5);
    expect(events).toEqual(['queue_head 3→7 400']);
    expect(w.byteLength).toBe(800);
  });

  it('dropping from a long queue keeps every control frame and exactly the newest relayed ones, in order', async () => {
    const { socket, w, events } = setup(6000, 500);
    socket.writableLength = 1 << 30;
    // 10-byte frames carrying their id; every 7th is a control frame, the rest relayed from peer `id`.
    const tagged = (id: number, n = 10): Uint8Array => {
      const f = new Uint8Array(n);
      new DataView(f.buffer).setUint16(0, id);
      return f;
    };
    const ids = Array.from({ length: 2000 }, (_, i) => i);
    const isControl = (id: number): boolean => id % 7 === 0;
    for (const id of ids) {
      if (isControl(id)) w.queueControl(tagged(id));
      else w.queueRelayed(tagged(id), id);
    }
    // Held at the message bound: one relayed frame dropped per frame queued past it.
    expect(w.length).toBe(500);
    const controls = ids.filter(isControl);
    const relayed = ids.filter((id) => !isControl(id));
    // One frame 1001 bytes past the byte bound drops 101 of the oldest relayed frames at once.
    const big = 6000 - 5000 + 1001;
    w.queueControl(tagged(65535, big));
    const keptRelayed = relayed.slice(relayed.length - (500 - controls.length) + 101);
    const dropped = relayed.slice(0, relayed.length - keptRelayed.length);
    expect(events).toEqual(dropped.map((id) => `queue_head ${id}→7 10`));
    expect(w.length).toBe(controls.length + keptRelayed.length + 1);
    expect(w.byteLength).toBe((controls.length + keptRelayed.length) * 10 + big);

    socket.writableLength = 0;
    await turn();
    const out = socket.take();
    const kept = new Set([...controls, ...keptRelayed]);
    const written: number[] = [];
    for (let at = 0; at < out.length - big; at += 10) written.push(out.readUInt16BE(at));
    expect(written).toEqual(ids.filter((id) => kept.has(id)));
    expect(out.readUInt16BE(out.length - big)).toBe(65535);
    expect(w.length).toBe(0);
  });

  it('keeps order and content across many turns, a burst past its kept capacity, and a compaction of a long queue', async () => {
    const { socket, w, events } = setup(1 << 30, 1 << 20);
    // 100-byte frames: 6,000 of them are more than two of the writer's 256 KiB turns.
    const tagged = (id: number): Uint8Array => {
      const f = new Uint8Array(100);
      new DataView(f.buffer).setUint32(0, id);
      return f;
    };
    const check = (from: number, to: number): void => {
      const out = socket.take();
      const got: number[] = [];
      for (let at = 0; at < out.length; at += 100) got.push(out.readUInt32BE(at));
      expect(got).toEqual(Array.from({ length: to - from }, (_, i) => from + i));
    };
    let id = 0;
    // Small turns (the queue's arrays are reused), then a 3,000-frame burst (dropped once empty).
    for (const n of [5, 40, 3, 3000, 7, 60]) {
      const from = id;
      for (let i = 0; i < n; i++) w.queueRelayed(tagged(id++), 1);
      await turn();
      check(from, id);
      expect(w.length).toBe(0);
    }
    // A long queue drained in parts (the socket takes one budget per turn): the head moves past
    // 1,024 while frames are left, so the queue is compacted in place.
    const from = id;
    for (let i = 0; i < 6000; i++) w.queueRelayed(tagged(id++), 1);
    let turns = 0;
    const origWrite = socket.write.bind(socket);
    socket.write = ((chunk: Uint8Array, cb?: (err?: Error | null) => void) => {
      socket.writableLength += chunk.byteLength;
      return origWrite(chunk, cb);
    }) as typeof socket.write;
    while (w.length > 0 && turns < 100) {
      socket.writableLength = 0;
      w.schedule();
      await turn();
      turns++;
    }
    expect(turns).toBeGreaterThan(1);
    check(from, id);
    expect(events.filter((e) => !e.startsWith('delivered'))).toEqual([]);
  });

  it('control frames past twice the bound report overflow (a peer that does not read what it asks for)', () => {
    const { socket, w } = setup(1000, 100);
    socket.writableLength = 1 << 30;
    let overflow = 0;
    w.onOverflow = () => overflow++;
    for (let i = 0; i < 5; i++) w.queueControl(frame(500, i));
    expect(overflow).toBeGreaterThan(0);
  });

  it('relayed frames still queued when the peer goes count as gone_disconnected', () => {
    const { w, events } = setup();
    w.queueRelayed(frame(50, 1), 2);
    w.queueControl(frame(50, 1));
    w.close();
    expect(events).toEqual(['gone_disconnected 2→7 50']);
    w.queueRelayed(frame(60, 1), 3);
    expect(events.at(-1)).toBe('gone_disconnected 3→7 60');
  });
});

describe('PeerWriter re-entrancy', () => {
  it('frames queued while flushing (this turn\'s announcements) are written in the same flush, never recursively', async () => {
    const { socket, w, events } = setup(1000, 10);
    let calls = 0;
    // Like the peer's hook: it drains what was announced this turn (once).
    w.beforeFlush = () => {
      if (calls++ > 0) return;
      for (let i = 0; i < 30; i++) w.queueControl(frame(10, 200 + i));
    };
    for (let i = 0; i < 11; i++) w.queueRelayed(frame(10, i), 1);
    expect(events.filter((e) => e.startsWith('queue_head'))).toEqual([]);
    await turn();
    const out = socket.take();
    expect(out.length).toBe(11 * 10 + 30 * 10);
    expect(w.byteLength).toBe(0);
  });
});

describe('PeerWriter with a transport that wraps (v2)', () => {
  /** Wraps each run of frames as [0xee, frame count] + the frames: shows where the writer cut the runs. */
  function sealing() {
    const runs: number[] = [];
    const t = {
      passthrough: false,
      wrap: (f: Uint8Array) => t.wrapMany([f]),
      wrapMany: (frames: readonly Uint8Array[]) => {
        runs.push(frames.length);
        return Buffer.concat([Uint8Array.of(0xee, frames.length), ...frames]);
      },
    };
    return { transport: t as unknown as Transport, runs };
  }

  it('writes raw transport bytes as they are, seals each run of frames between them in one call, and counts only relayed frames (at their v1 size)', async () => {
    const socket = new MemSocket();
    const events: string[] = [];
    const flows: FlowSink = {
      delivered: (src, dst, bytes, _mesh, kind) => events.push(`delivered ${src}→${dst} ${bytes} ${kind}`),
      dropped: (src, dst, reason, bytes) => events.push(`${reason} ${src}→${dst} ${bytes}`),
    };
    const { transport, runs } = sealing();
    const w = new PeerWriter(7, socket, transport, { maxBytes: 10_000, maxMessages: 100 }, flows, new WriteScheduler(), () => false);
    // A key exchange whose fifth byte reads like the "t" of a tx frame must still not count as one.
    const key = frame(64, 0x74);
    const tx = frame(100, 0x74);
    const block = frame(50, 0x62);
    w.queueRaw(key);
    w.queueRelayed(tx, 4);
    w.queueRelayed(block, 5);
    w.queueControl(frame(10, 1));
    w.queueRaw(frame(8, 2));
    w.queueRelayed(frame(30, 0x74), 6);
    await turn();
    expect(socket.writes).toBe(1);
    expect(runs).toEqual([3, 1]);
    const out = socket.take();
    expect(out.length).toBe(64 + 2 + 160 + 8 + 2 + 30);
    expect(out.subarray(0, 64)).toEqual(Buffer.from(key));
    expect([out[64], out[65]]).toEqual([0xee, 3]);
    expect([out[226], out[234], out[235]]).toEqual([2, 0xee, 1]);
    expect(events).toEqual(['delivered 4→7 100 tx', 'delivered 5→7 50 block', 'delivered 6→7 30 tx']);
    expect(w.bytesOut).toBe(out.length);
  });

  it('leaves a stale relayed frame out of the sealed run (v2)', async () => {
    const socket = new MemSocket();
    const events: string[] = [];
    const flows: FlowSink = { delivered: (src, dst, bytes) => events.push(`delivered ${src}→${dst} ${bytes}`), dropped: (src, dst, reason, bytes) => events.push(`${reason} ${src}→${dst} ${bytes}`) };
    const { transport, runs } = sealing();
    const w = new PeerWriter(7, socket, transport, { maxBytes: 10_000, maxMessages: 100 }, flows, new WriteScheduler(), () => false);
    const slab = new ArrayBuffer(1000);
    w.queueRelayed(frame(40, 0x74), 4);
    w.queueRelayed(new Uint8Array(slab, 0, 300), 5);
    w.queueRelayed(frame(60, 0x74), 6);
    structuredClone(slab, { transfer: [slab] });
    await turn();
    expect(runs).toEqual([2]);
    expect(socket.take().length).toBe(2 + 40 + 60);
    expect(events).toEqual(['queue_head 5→7 300', 'delivered 4→7 40', 'delivered 6→7 60']);
  });

  it('never drops raw transport bytes over the bound', () => {
    const socket = new MemSocket();
    const events: string[] = [];
    const flows: FlowSink = {
      delivered: () => {},
      dropped: (src, dst, reason, bytes) => events.push(`${reason} ${src}→${dst} ${bytes}`),
    };
    const w = new PeerWriter(7, socket, sealing().transport, { maxBytes: 1000, maxMessages: 100 }, flows, new WriteScheduler(), () => false);
    socket.writableLength = 1 << 30;
    w.queueRaw(frame(600, 1));
    w.queueRelayed(frame(600, 2), 3);
    expect(events).toEqual(['queue_head 3→7 600']);
    expect(w.byteLength).toBe(600);
  });
});

describe('WriteScheduler', () => {
  it('stops flushing at its time budget and goes on next turn, the writers left over first', async () => {
    // A clock that moves 1 ms per reading: with a 3 ms budget a turn flushes 3 writers.
    let t = 0;
    const scheduler = new WriteScheduler(undefined, 3, () => t++);
    const flows: FlowSink = { delivered: () => {}, dropped: () => {} };
    const sockets = Array.from({ length: 8 }, () => new MemSocket());
    const writers = sockets.map((s, i) => new PeerWriter(i, s, passthrough, { maxBytes: 10_000, maxMessages: 100 }, flows, scheduler, () => false));
    writers.forEach((w, i) => w.queueControl(frame(10, i)));
    const written = (): number[] => sockets.flatMap((s, i) => (s.writes > 0 ? [i] : []));
    await turn();
    expect(written()).toEqual([0, 1, 2]);
    expect(scheduler.deferredTurns).toBe(1);
    // A writer with news meanwhile waits behind the ones left over.
    writers[0]!.queueControl(frame(10, 9));
    await turn();
    expect(written()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sockets[0]!.writes).toBe(1);
    await turn();
    await turn();
    expect(written()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sockets[0]!.writes).toBe(2);
  });
});
