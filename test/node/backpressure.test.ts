/**
 * Backpressure over real sockets: a destination that stops reading costs its own relayed items
 * (dropped oldest first and counted), not the node's memory or the other peers; a sender over its
 * receive rate is slowed by TCP (its socket is not read), not buffered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import type { Message } from '../../src/wire/codec.js';
import { txIds } from '../../src/wire/tx-id.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { RawPeer, eventually } from '../helpers/raw-peer.js';
import { bigTx } from '../helpers/raw-tx.js';

const nodes: RelayNode[] = [];
const peers: RawPeer[] = [];
async function startNode(opts: RelayOptions): Promise<RelayNode> {
  const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, trickleIntervalMs: 0, targetOutbound: 0, onlynet: ['loopback'], ...opts });
  nodes.push(node);
  await node.start();
  return node;
}
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
const portOf = (n: RelayNode) => Number(n.listenAddress!.split(':')[1]);

describe('backpressure', () => {
  it('drops the oldest relayed items for a peer that stops reading and keeps serving the others', async () => {
    // The bound is large enough that a reading peer never loses anything, even one in this busy
    // process; only a peer that stops reading outgrows it.
    const node = await startNode({ sendQueueMaxBytes: 32 * 1024 * 1024, sendQueueMaxMessages: 200_000, receiveRateBytesPerSec: 0 });
    const source = await RawPeer.open(portOf(node), '127.0.0.71');
    const slow = await RawPeer.open(portOf(node), '127.0.0.72');
    const healthy = await RawPeer.open(portOf(node), '127.0.0.73');
    peers.push(source, slow, healthy);
    await Promise.all([source.handshake(), slow.handshake(), healthy.handshake()]);
    // Items relayed before a peer's verack is processed are not announced to it: wait for all three.
    await eventually(() => node.peers().filter((p) => p.state === 'established').length === 3, 'three peers established');
    let asked = 0;
    healthy.socket.on('data', () =>
      setImmediate(() => {
        for (; asked < healthy.received.length; asked++) {
          const m = healthy.received[asked]!;
          if (m.command === 'inv') healthy.send({ command: 'getdata', inventory: m.inventory } as Message);
        }
      }),
    );

    const N = 24_000;
    const txs = Array.from({ length: N }, (_, i) => bigTx(i + 1, 1000));
    // The slow peer stops reading (its invs pile up in TCP), the source pushes everything.
    slow.socket.pause();
    for (const t of txs) source.send({ command: 'tx', raw: t } as Message);
    await eventually(() => healthy.received.filter((m) => m.command === 'tx').length === N, 'the healthy peer gets every tx', 40_000);
    // Now the slow peer asks for everything three times (72 MB) and still does not read: the node
    // serves into a full socket, past what the kernel buffers and the queue bound hold.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < N; i += 1000) {
        const inventory = txs.slice(i, i + 1000).map((t) => ({ type: 1, hash: txIds(t, nodeHash256).txid }));
        slow.send({ command: 'getdata', inventory } as Message);
      }
    }
    await eventually(
      () => (node.flows(10, 'bytes').find((f) => f.dst.startsWith('127.0.0.72:'))?.drops.queue_head ?? 0) > 0,
      'drops for the slow peer',
      30_000,
    );
    const slowInfo = node.peers().find((p) => p.addr.startsWith('127.0.0.72:'))!;
    expect(slowInfo.sendQueueBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    const toSlow = node.flows(10, 'bytes').find((f) => f.dst === slowInfo.addr);
    expect(toSlow).toBeDefined();
    expect(toSlow!.drops.queue_head).toBeGreaterThan(0);
  });

  it('slows a sender over its receive rate by not reading, and loses nothing', async () => {
    const node = await startNode({ receiveRateBytesPerSec: 256 * 1024, receiveBurstBytes: 64 * 1024 });
    const p = await RawPeer.open(portOf(node), '127.0.0.74');
    peers.push(p);
    await p.handshake();
    const pings = 40_000; // 32 bytes each: 1.28 MB, five seconds at the limit
    const frames: Message[] = Array.from({ length: pings }, (_, i) => ({ command: 'ping', nonce: BigInt(i) }) as Message);
    for (const m of frames) p.send(m);
    // When the first answers come back, the node has read little of what was sent (the burst and
    // what the rate allowed since); the rest waits in TCP, not in us.
    await p.until(() => p.received.some((m) => m.command === 'pong'), 'first pong');
    const info = node.peers().find((x) => x.addr.startsWith('127.0.0.74:'))!;
    expect(info.bytesIn).toBeLessThan(pings * 32 * 0.7);
    expect(info.state).toBe('established');
    await eventually(() => p.received.filter((m) => m.command === 'pong').length === pings, 'every ping answered', 30_000);
  });
});
