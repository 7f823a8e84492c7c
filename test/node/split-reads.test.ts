/**
 * Frames cut across socket reads at every offset, over real loopback TCP. Three sources push
 * transactions to a node, each stream cut so that the node's reads end at every byte offset of a
 * frame (inside the header and inside the payload) and inside frames that span several reads. Two
 * sources are peers the node dialled (v1 and BIP324 v2), one dialled the node. Every piece is
 * written only once the node has read the one before, and the sources write concurrently. The
 * decoders read a chunk only during their call (src/framing/stream-decoder.ts): the frame a read
 * leaves incomplete is finished from a copy of its bytes. A sink fetches everything the node
 * announces; every relayed frame must be byte for byte a frame a source sent, none missing, and no
 * source may be scored or dropped (a corrupted frame fails its checksum).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { V2Session } from '../../src/transport/v2/session.js';
import { encodePayload } from '../../src/wire/codec.js';
import type { Message } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { RawPeer, REGTEST, eventually, frameOf, versionMessage } from '../helpers/raw-peer.js';
import { messagesOf } from '../helpers/v2-messages.js';

const nodes: RelayNode[] = [];
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

/** A legacy transaction unique per `tag`: one input, `outputs` outputs of `scriptBytes`-byte scripts. */
function tx(tag: number, outputs: number, scriptBytes: number): Uint8Array {
  const head = Buffer.alloc(4 + 1 + 32 + 4 + 1 + 4);
  head.writeUInt32LE(2, 0);
  head[4] = 1;
  head.writeUInt32LE(tag, 5);
  head.writeUInt32LE(0xffffffff, 4 + 1 + 32 + 4 + 1);
  const len = scriptBytes < 0xfd ? Buffer.from([scriptBytes]) : Buffer.from([0xfd, scriptBytes & 0xff, scriptBytes >> 8]);
  const out = Buffer.concat([Buffer.alloc(8), len, Buffer.alloc(scriptBytes, 0x6a)]);
  out.writeBigUInt64LE(1000n, 0);
  return new Uint8Array(Buffer.concat([head, Buffer.from([outputs]), ...Array.from({ length: outputs }, () => out), Buffer.alloc(4)]));
}

/**
 * One source's transactions: SMALL frames of one size, the k-th cut k bytes after its start (so the
 * reads end at every offset of such a frame), then frames of ~150 KB (three reads or more each)
 * cut in the header, right after it and inside the payload.
 */
function transactions(source: number): Uint8Array[] {
  const txs: Uint8Array[] = [];
  for (let k = 0; k < SMALL; k++) txs.push(tx(source * 100_000 + k, 1, 1));
  for (let k = 0; k < 4; k++) txs.push(tx(source * 100_000 + 50_000 + k, 15, 10_000));
  return txs;
}
/** Small transactions are 61 bytes: v1 frames of 85 bytes (cut at 1 .. 84), v2 packets of 82. */
const SMALL = 84;

/** Cut offsets of a stream of units (frames or v2 packets), from their lengths. */
function cutsOf(lengths: readonly number[]): number[] {
  const cuts: number[] = [];
  let start = 0;
  lengths.forEach((len, i) => {
    const inside = i < SMALL ? [1 + (i % (len - 1))] : [1, 23, 24, 25, 70_000, len - 1];
    for (const k of inside) if (k > 0 && k < len) cuts.push(start + k);
    start += len;
  });
  return cuts;
}

/**
 * Writes a source's bytes one piece at a time, each only once the node has read everything before
 * it (its peer's bytesIn), so the node's reads end where the pieces do. Writes are queued in order.
 */
class SplitWriter {
  private written = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: RelayNode,
    private readonly socket: Socket,
    private readonly isPeer: (addr: string) => boolean,
  ) {}

  write(bytes: Uint8Array, cuts: readonly number[] = []): Promise<void> {
    this.chain = this.chain.then(async () => {
      let from = 0;
      for (const to of [...cuts, bytes.length]) {
        if (to <= from) continue;
        this.socket.write(bytes.subarray(from, to));
        this.written += to - from;
        await this.readByNode(this.written);
        from = to;
      }
    });
    return this.chain;
  }

  private async readByNode(total: number): Promise<void> {
    for (;;) {
      if (this.socket.destroyed) throw new Error('the node closed a source');
      const p = this.node.peers().find((x) => this.isPeer(x.addr));
      if (p !== undefined && p.bytesIn >= total) return;
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** A listener the node dials; resolves with the socket it accepted. */
async function listener(): Promise<{ addr: string; accepted: Promise<Socket> }> {
  let done!: (s: Socket) => void;
  const accepted = new Promise<Socket>((r) => (done = r));
  const server: Server = createServer((s) => done(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, accepted };
}

/** A v1 source: handshake, then its transactions as one cut stream. */
async function v1Source(node: RelayNode, peer: RawPeer, isPeer: (addr: string) => boolean, txs: Uint8Array[]): Promise<void> {
  const w = new SplitWriter(node, peer.socket, isPeer);
  await w.write(frameOf(versionMessage()));
  await peer.until(() => peer.has('version') && peer.has('verack'), 'version and verack');
  await w.write(frameOf({ command: 'verack' }));
  await eventually(() => node.peers().find((x) => isPeer(x.addr))?.state === 'established', 'the source established');
  const frames = txs.map((t) => frameOf({ command: 'tx', raw: t } as Message));
  await w.write(Buffer.concat(frames), cutsOf(frames.map((f) => f.length)));
}

/** A BIP324 responder source (the node dialled it with v2): handshake bytes cut too, then its transactions. */
async function v2Source(node: RelayNode, socket: Socket, isPeer: (addr: string) => boolean, txs: Uint8Array[]): Promise<void> {
  const w = new SplitWriter(node, socket, isPeer);
  const session = new V2Session({ initiating: false, magic: REGTEST });
  const received: string[] = [];
  socket.on('data', (chunk: Buffer) => {
    const out = session.receive(chunk);
    // Our key, garbage, terminator and version packet, cut every 7 bytes.
    if (out.send) void w.write(out.send, Array.from({ length: Math.floor(out.send.length / 7) }, (_, i) => 7 * (i + 1)));
    for (const m of messagesOf(out)) received.push(m.command);
  });
  const seal = (msgs: Message[]): Uint8Array => session.send(msgs.map((m) => ({ command: m.command, payload: encodePayload(m, PROTOCOL_VERSION) })))!;
  await eventually(() => received.includes('version'), 'the node\'s version over v2');
  await w.write(seal([versionMessage(), { command: 'verack' }]));
  await eventually(() => node.peers().find((x) => isPeer(x.addr))?.state === 'established', 'the v2 source established');
  const packets = txs.map((t) => seal([{ command: 'tx', raw: t } as Message]));
  await w.write(Buffer.concat(packets), cutsOf(packets.map((p) => p.length)));
}

/** A sink that asks for everything announced and keeps the raw `tx` frames it receives. */
async function sink(port: number): Promise<{ frames: Set<string>; count: () => number }> {
  const p = await RawPeer.open(port, '127.0.0.92');
  closers.push(() => p.close());
  await p.handshake();
  const frames = new Set<string>();
  let n = 0;
  let buf = Buffer.alloc(0);
  let asked = 0;
  p.socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 24 && buf.length >= 24 + buf.readUInt32LE(16)) {
      const end = 24 + buf.readUInt32LE(16);
      if (buf.toString('latin1', 4, 16).replace(/\0+$/, '') === 'tx') {
        frames.add(buf.subarray(0, end).toString('hex'));
        n++;
      }
      buf = buf.subarray(end);
    }
    setImmediate(() => {
      for (; asked < p.received.length; asked++) {
        const m = p.received[asked]!;
        if (m.command === 'inv') p.send({ command: 'getdata', inventory: m.inventory } as Message);
      }
    });
  });
  return { frames, count: () => n };
}

describe('socket reads split at every offset and interleaved (loopback TCP)', () => {
  it.each<[string, RelayOptions]>([
    ['inline verification', { workers: 0 }],
    ['every batch in the worker pool', { workers: 1, poolMinBytes: 0 }],
  ])('relays every frame byte for byte: %s', async (_name, opts) => {
    const up1 = await listener();
    const up2 = await listener();
    const node = createRelay({
      listen: '127.0.0.1:0', http: null, logLevel: 'silent', trickleIntervalMs: 0, targetOutbound: 0, onlynet: ['loopback'], retryBaseMs: 50,
      connect: [`${up1.addr}@v1`, `${up2.addr}@v2`], ...opts,
    });
    nodes.push(node);
    await node.start();
    const port = Number(node.listenAddress!.split(':')[1]);
    const out = await sink(port);

    const s1 = RawPeer.wrap(await up1.accepted);
    const s2 = await up2.accepted;
    const s3 = await RawPeer.open(port, '127.0.0.91');
    closers.push(() => s1.close(), () => s2.destroy(), () => s3.close());
    const txs = [transactions(1), transactions(2), transactions(3)];
    await Promise.all([
      v1Source(node, s1, (a) => a === up1.addr, txs[0]!),
      v2Source(node, s2, (a) => a === up2.addr, txs[1]!),
      v1Source(node, s3, (a) => a.startsWith('127.0.0.91:'), txs[2]!),
    ]);

    const sent = new Set(txs.flat().map((t) => Buffer.from(frameOf({ command: 'tx', raw: t } as Message)).toString('hex')));
    await eventually(() => out.count() >= sent.size, `the sink has ${sent.size} transactions`, 30_000);
    expect(out.count()).toBe(sent.size);
    expect([...out.frames].filter((f) => !sent.has(f))).toEqual([]);
    expect(out.frames.size).toBe(sent.size);
    const sources = node.peers().filter((p) => p.addr === up1.addr || p.addr === up2.addr || p.addr.startsWith('127.0.0.91:'));
    expect(sources.map((p) => [p.transport, p.state, p.banScore])).toEqual(
      expect.arrayContaining([
        ['v1', 'established', 0],
        ['v2', 'established', 0],
        ['v1', 'established', 0],
      ]),
    );
    expect(sources.length).toBe(3);
  }, 60_000);
});
