/**
 * `/status` counts relayed bytes when the socket takes them: items queued for a peer that never
 * reads, and then dropped, were never relayed (issue 13 saw 1 TB "relayed" to such peers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import type { Message } from '../../src/wire/codec.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { txIds } from '../../src/wire/tx-id.js';
import { eventually, RawPeer } from '../helpers/raw-peer.js';
import { bigTx } from '../helpers/raw-tx.js';

let node: RelayNode | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await node?.stop();
});

describe('relayed bytes in /status', () => {
  it('counts what reached the socket, never what was queued and dropped', async () => {
    node = createRelay({
      network: 'regtest',
      listen: '127.0.0.1:0',
      http: null,
      logLevel: 'silent',
      workers: 0,
      targetOutbound: 0,
      trickleIntervalMs: 0,
      receiveRateBytesPerSec: 0,
      sendQueueMaxBytes: 256 * 1024,
      sendQueueMaxMessages: 10_000,
    });
    await node.start();
    const n = node;
    const port = Number(n.listenAddress!.split(':')[1]);
    const source = await RawPeer.open(port, '127.0.0.81');
    const slow = await RawPeer.open(port, '127.0.0.82');
    peers.push(source, slow);
    await Promise.all([source.handshake(), slow.handshake()]);
    await eventually(() => n.peers().filter((p) => p.state === 'established').length === 2, 'both peers established');

    // 15 MB of transactions: far more than loopback's socket buffers hold for a peer that stops reading.
    const N = 1500;
    const txs = Array.from({ length: N }, (_, i) => bigTx(i + 1, 10_000));
    slow.socket.pause();
    for (const t of txs) source.send({ command: 'tx', raw: t } as Message);
    await eventually(() => n.status().relayCache.items === N, 'every tx cached', 30_000);
    // Three getdatas of 500 entries ask for every cached tx.
    for (let i = 0; i < N; i += 500) {
      const inventory = txs.slice(i, i + 500).map((t) => ({ type: 1, hash: txIds(t, nodeHash256).txid }));
      slow.send({ command: 'getdata', inventory } as Message);
    }
    const slowAddr = (): string => n.peers().find((p) => p.addr.startsWith('127.0.0.82:'))!.addr;
    const dropped = (): number => n.flows(10, 'bytes').find((f) => f.dst === slowAddr())?.drops.queue_head ?? 0;
    await eventually(() => dropped() > 0, 'items dropped for the peer that does not read', 30_000);

    // Written + dropped + still queued = asked for; counting at enqueue made `relayed` alone N.
    const during = n.status().relayed;
    expect(during.messages + dropped()).toBeLessThanOrEqual(N);
    expect(during.bytes).toBeLessThan(N * 10_024);

    slow.socket.resume();
    await eventually(() => n.status().relayed.messages + dropped() === N, 'the rest written once the peer reads', 30_000);
    const after = n.status().relayed;
    await slow.until(() => slow.received.filter((m) => m.command === 'tx').length === after.messages, 'every written tx arrives');
    const info = n.peers().find((p) => p.addr === slowAddr())!;
    expect(info.bytesSentPerMsg.tx).toBe(after.bytes);
    expect(after.bytes).toBe(after.messages * txs[0]!.byteLength + after.messages * 24);
  });
});
