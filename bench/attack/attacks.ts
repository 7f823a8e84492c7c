/**
 * The attacks of issue 13, each against a node over loopback. An attack runs until `running()`
 * turns false, then closes its sockets and says what it sent. Every address is on 127.0.0.0/8
 * and every address it gossips is a loopback address, so nothing here makes the node dial out.
 */
import { randomBytes } from 'node:crypto';
import { COMMANDS } from '../../src/wire/constants.js';
import { sleep } from '../load/procs.js';
import { frame, messageFrame, stampedTx } from '../load/wire-lite.js';
import { BenchPeer, within } from './peer.js';

export interface AttackContext {
  readonly port: number;
  readonly quick: boolean;
  running(): boolean;
  /** The node's JS heap plus Buffer (external) memory in use, from its /metrics; null if unreadable. */
  heldBytes(): Promise<number | null>;
}

export interface AttackOutput {
  /** What the attack sent, in words (the table's "input" column). */
  readonly input: string;
  readonly bytesSent: number;
  /** Connections the attack opened (including refused ones). */
  readonly connections: number;
  /**
   * For the trickle attack: what the node held more at the end than just after the headers, per
   * byte received in between (per-byte cost apart from each connection's fixed cost). A collection
   * in between can make it negative: the held memory did not grow measurably. Keeping every 1-byte
   * segment as its own Buffer shows up here as hundreds of bytes per byte.
   */
  readonly heldPerByte?: number | null;
}

export interface Attack {
  readonly name: string;
  readonly describe: string;
  run(ctx: AttackContext): Promise<AttackOutput>;
}

/** Keeps one handshaken attacker connection from `ip` busy with `step` until the attack ends; reconnects if dropped. */
async function sustained(ctx: AttackContext, ip: string, step: (p: BenchPeer) => Promise<void>, stats: { bytes: number; conns: number }): Promise<void> {
  while (ctx.running()) {
    const peer = new BenchPeer({ port: ctx.port, localAddress: ip });
    stats.conns++;
    try {
      await within(peer.ready, 5_000);
      while (ctx.running() && !peer.closed) {
        await step(peer);
        await peer.drained();
      }
    } catch {
      // refused, banned or dropped: try again shortly, as an attacker would
      await sleep(200);
    } finally {
      stats.bytes += peer.bytesSent;
      peer.close();
    }
  }
}

/** An inv payload of `n` random MSG_TX entries (n < 65,536). */
function bigInv(n: number): Buffer {
  const b = Buffer.allocUnsafe(3 + 36 * n);
  b[0] = 0xfd;
  b.writeUInt16LE(n, 1);
  const hashes = randomBytes(32 * n);
  for (let i = 0; i < n; i++) {
    b.writeUInt32LE(1, 3 + 36 * i);
    hashes.copy(b, 7 + 36 * i, 32 * i, 32 * i + 32);
  }
  return b;
}

const invFlood: Attack = {
  name: 'inv-flood',
  describe: 'inv messages of 50,000 fresh txids, as fast as the node reads',
  async run(ctx) {
    const n = ctx.quick ? 1 : 3;
    const stats = { bytes: 0, conns: 0 };
    let messages = 0;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sustained(ctx, `127.0.0.${10 + i}`, async (p) => {
          p.send(frame('inv', bigInv(50_000)));
          messages++;
        }, stats),
      ),
    );
    return { input: `${n} peer(s), ${messages} inv × 50,000 entries`, bytesSent: stats.bytes, connections: stats.conns };
  },
};

const trickle: Attack = {
  name: 'trickle',
  describe: 'a 4 MB frame header, then the payload 1 byte per TCP segment, on 20 connections',
  async run(ctx) {
    const peers: BenchPeer[] = [];
    let conns = 0;
    for (let i = 0; i < 20; i++) {
      const p = new BenchPeer({ port: ctx.port, localAddress: `127.0.0.${40 + i}` });
      conns++;
      try {
        await within(p.ready, 5_000);
        const head = frame('tx', new Uint8Array(0)).subarray(0, 24);
        head.writeUInt32LE(4_000_000, 16);
        p.send(head);
        peers.push(p);
      } catch {
        p.close();
      }
    }
    const one = Buffer.from([0]);
    await sleep(200);
    const heldBefore = await ctx.heldBytes();
    const sentBefore = peers.reduce((s, p) => s + p.bytesSent, 0);
    // Every 2 ms, 20 single-byte writes per connection: with Nagle off, each is its own segment.
    while (ctx.running()) {
      for (const p of peers) {
        if (p.closed || p.socket.writableNeedDrain) continue;
        for (let k = 0; k < 20; k++) p.send(one);
      }
      await sleep(2);
    }
    const bytes = peers.reduce((s, p) => s + p.bytesSent, 0);
    await sleep(200); // let the node read what is in flight
    const heldAfter = await ctx.heldBytes();
    const heldPerByte = heldBefore === null || heldAfter === null || bytes === sentBefore ? null : (heldAfter - heldBefore) / (bytes - sentBefore);
    for (const p of peers) p.close();
    return { input: `${peers.length} connections, ${bytes} bytes in 1-byte segments`, bytesSent: bytes, connections: conns, heldPerByte };
  },
};

const txPush: Attack = {
  name: 'tx-push',
  describe: 'unsolicited unique transactions, past the relay cache',
  async run(ctx) {
    const stats = { bytes: 0, conns: 0 };
    let seq = 0;
    const source = 1 + (process.pid % 1000);
    await sustained(ctx, '127.0.0.80', async (p) => {
      const batch: Buffer[] = [];
      for (let i = 0; i < 200; i++) batch.push(frame('tx', stampedTx(312, { sourceId: source, seq: seq++, epoch: 0, atMs: Date.now(), measured: false })));
      p.send(Buffer.concat(batch));
    }, stats);
    return { input: `1 peer, ${seq} tx × 312 B (${(stats.bytes / 1e6).toFixed(0)} MB)`, bytesSent: stats.bytes, connections: stats.conns };
  },
};

const slots: Attack = {
  name: 'slots',
  describe: '1,000 silent connections from 20 addresses, reopened as they close',
  async run(ctx) {
    let opened = 0;
    const live = new Set<BenchPeer>();
    const perAddress = 50;
    const one = async (ip: string): Promise<void> => {
      while (ctx.running()) {
        const p = new BenchPeer({ port: ctx.port, localAddress: ip, handshake: false });
        opened++;
        live.add(p);
        await new Promise<void>((r) => p.socket.once('close', () => r()));
        live.delete(p);
        // An attacker reopens at once; 10 ms keeps the generator from taking both cores.
        await sleep(10);
      }
    };
    const loops: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) for (let k = 0; k < perAddress; k++) loops.push(one(`127.0.0.${60 + i}`));
    while (ctx.running()) await sleep(100);
    const held = live.size;
    for (const p of live) p.close();
    await Promise.all(loops);
    return { input: `20 addresses × ${perAddress} sockets, ${opened} opened (${held} open at the end)`, bytesSent: 0, connections: opened };
  },
};

function addrFrames(v2: boolean, count: number): Buffer[] {
  const now = Math.floor(Date.now() / 1000);
  const frames: Buffer[] = [];
  for (let m = 0; m < count; m++) {
    const rnd = randomBytes(1000 * 5);
    const entries = Array.from({ length: 1000 }, (_, i) => {
      // Loopback addresses only: the node may learn them, and must never dial anything else.
      const a = [127, rnd[5 * i]!, rnd[5 * i + 1]!, 1 + (rnd[5 * i + 2]! % 254)];
      const port = 1024 + ((rnd[5 * i + 3]! << 8) | rnd[5 * i + 4]!) % 60_000;
      return { a, port };
    });
    if (v2) {
      frames.push(messageFrame({ command: 'addrv2', addresses: entries.map(({ a, port }) => ({ timestamp: now, services: 1n, networkId: 1, addr: Uint8Array.from(a), port })) }));
    } else {
      frames.push(messageFrame({ command: 'addr', addresses: entries.map(({ a, port }) => ({ timestamp: now, services: 1n, ip: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...a]), port })) }));
    }
  }
  return frames;
}

const addrFlood: Attack = {
  name: 'addr-flood',
  describe: '20 peers sending addr/addrv2 of 1,000 loopback entries, as fast as the node reads',
  async run(ctx) {
    const stats = { bytes: 0, conns: 0 };
    let messages = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const frames = addrFrames(i % 2 === 1, 16);
        let k = 0;
        return sustained(ctx, `127.0.0.${100 + i}`, async (p) => {
          p.send(frames[k++ % frames.length]!);
          messages++;
        }, stats);
      }),
    );
    return { input: `20 peers, ${messages} messages × 1,000 addresses`, bytesSent: stats.bytes, connections: stats.conns };
  },
};

const fuzz: Attack = {
  name: 'fuzz',
  describe: 'frames with valid checksums and random payloads, from many addresses',
  async run(ctx) {
    const addresses = ctx.quick ? 40 : 240;
    const stats = { bytes: 0, conns: 0 };
    let frames = 0;
    // 20 addresses at a time, each sending 8 frames per turn until dropped or banned.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (ctx.running()) {
        const i = next++ % addresses;
        const ip = `127.0.${2 + (i >> 8)}.${1 + (i & 0xff)}`;
        const p = new BenchPeer({ port: ctx.port, localAddress: ip });
        stats.conns++;
        try {
          await within(p.ready, 5_000);
          for (let turn = 0; turn < 50 && ctx.running() && !p.closed; turn++) {
            const batch: Buffer[] = [];
            for (let k = 0; k < 8; k++) {
              const command = COMMANDS[Math.floor(Math.random() * COMMANDS.length)]!;
              batch.push(frame(command, randomBytes(Math.floor(Math.random() * 3000))));
            }
            frames += batch.length;
            p.send(Buffer.concat(batch));
            await p.drained();
            await sleep(5);
          }
        } catch {
          await sleep(50);
        } finally {
          stats.bytes += p.bytesSent;
          p.close();
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    return { input: `${addresses} addresses, ${frames} fuzzed frames`, bytesSent: stats.bytes, connections: stats.conns };
  },
};

export const FLOODS: readonly Attack[] = [invFlood, trickle, txPush, slots, addrFlood, fuzz];
