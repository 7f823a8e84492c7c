/** PeerWriter over an in-memory socket: coalescing, bounds, drops and their accounting. */
import { describe, expect, it } from 'vitest';
import { PeerWriter, WriteScheduler } from '../../src/peer/writer.js';
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

  it('writes a single frame as the very buffer it was given (zero copy)', async () => {
    const { socket, w } = setup();
    const f = frame(300, 3);
    w.queueRelayed(f, 1);
    await turn();
    expect(socket.out[0]).toBe(f);
  });

  it('counts a relayed frame as delivered when it reaches the socket, not when queued', async () => {
    const { w, events } = setup();
    w.queueRelayed(frame(100, 1), 4);
    expect(events).toEqual([]);
    await turn();
    expect(events).toEqual(['delivered 4→7 100']);
  });

  it('over the bound with a full socket, drops the oldest relayed frames, never control frames', async () => {
    const { socket, w, events } = setup(1000, 100);
    socket.writableLength = 1 << 30; // the peer does not read: nothing can be handed over
    w.queueControl(frame(400, 1));
    w.queueRelayed(frame(400, 2), 3);
    w.queueRelayed(frame(400, 4), 5);
    expect(events).toEqual(['queue_head 3→7 400']);
    expect(w.byteLength).toBe(800);
    expect(w.droppedItems).toBe(1);
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
