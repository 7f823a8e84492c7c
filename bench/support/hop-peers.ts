/**
 * The raw peers of the node-hop benchmark (bench/support/node-hop.ts), in a worker thread of their
 * own so that their socket reads never wait for the node's event loop: a sender and three sinks
 * that ask for high-bandwidth compact blocks. Frames are split by length only
 * (bench/load/wire-lite.ts). The main thread says what to send and what to wait for; the worker
 * times it with its own clock (performance.now()) and answers with the microseconds.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { newVersionMessage } from '../../src/wire/messages/version.js';
import { LiteFramer, messageFrame } from '../load/wire-lite.js';

/** From the main thread: write `frame` from the sender, then wait for `until`. */
export interface HopRequest {
  readonly frame: Uint8Array;
  /** 'sinks': every sink has read `count` cmpctblocks in all; 'getblocktxn': the sender has read one more. */
  readonly until: 'sinks' | 'getblocktxn' | 'none';
  readonly count: number;
}

class LitePeer {
  private readonly waiters: Array<() => void> = [];
  private readonly counts = new Map<string, number>();
  private constructor(readonly socket: Socket) {
    const framer = new LiteFramer((f) => {
      this.counts.set(f.command, this.count(f.command) + 1);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => framer.push(c));
  }
  static open(port: number): Promise<LitePeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(new LitePeer(s)));
      s.once('error', reject);
    });
  }
  count(command: string): number {
    return this.counts.get(command) ?? 0;
  }
  /** Resolves once `command` has been read `n` times in all. */
  async until(command: string, n: number): Promise<void> {
    while (this.count(command) < n) await new Promise<void>((r) => this.waiters.push(r));
  }
}

const { port } = workerData as { port: number };
const all: LitePeer[] = [];
const handshake = async (highBandwidth: boolean): Promise<LitePeer> => {
  const p = await LitePeer.open(port);
  all.push(p);
  const nonce = BigInt(all.length) * 7919n;
  // NODE_NETWORK | NODE_WITNESS (compact blocks version 2 needs witness); no tx announcements.
  p.socket.write(messageFrame(newVersionMessage({ nonce, userAgent: '/hop-bench:0.1/', timestampSec: Math.floor(Date.now() / 1000), services: 9n, relay: false })));
  await p.until('verack', 1);
  p.socket.write(messageFrame({ command: 'verack' }));
  await p.until('sendcmpct', 1);
  if (highBandwidth) p.socket.write(messageFrame({ command: 'sendcmpct', announce: 1, version: 2n }));
  p.socket.write(messageFrame({ command: 'ping', nonce }));
  await p.until('pong', 1);
  return p;
};
const sender = await handshake(false);
const sinks = [await handshake(true), await handshake(true), await handshake(true)];

parentPort!.on('message', (req: HopRequest | 'close') => {
  if (req === 'close') {
    for (const p of all) p.socket.destroy();
    parentPort!.close();
    return;
  }
  void (async () => {
    const asked = sender.count('getblocktxn');
    const t0 = performance.now();
    sender.socket.write(req.frame);
    if (req.until === 'sinks') for (const s of sinks) await s.until('cmpctblock', req.count);
    else if (req.until === 'getblocktxn') await sender.until('getblocktxn', asked + 1);
    parentPort!.postMessage(Math.round((performance.now() - t0) * 1000));
  })();
});
parentPort!.postMessage('ready');
