/**
 * A getdata is not a peer fault (Bitcoin Core does not score it). The load harness saw btcd's
 * N·99/50000 per getdata ban honest sinks that asked fast for items of a full relay cache: every
 * getdata of ≥ 506 entries cost a point, so 100 of them within a minute banned the sink and
 * relaying stopped.
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

describe('getdata', () => {
  it('a peer sending many large getdatas for items we have is served and never scored', async () => {
    node = createRelay({ network: 'regtest', listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, trickleIntervalMs: 0 });
    const bans: unknown[] = [];
    node.on('peerBan', (b) => bans.push(b));
    await node.start();
    const n = node;
    const port = Number(n.listenAddress!.split(':')[1]);
    const source = await RawPeer.open(port, '127.0.0.91');
    const sink = await RawPeer.open(port, '127.0.0.92');
    peers.push(source, sink);
    await Promise.all([source.handshake(), sink.handshake()]);
    await eventually(() => n.peers().filter((p) => p.state === 'established').length === 2, 'both peers established');

    // 506 entries: the smallest getdata btcd's rule scores (1 point); 120 of them would be 120 points.
    const ITEMS = 506;
    const GETDATAS = 120;
    const txs = Array.from({ length: ITEMS }, (_, i) => bigTx(i + 1, 320));
    for (const t of txs) source.send({ command: 'tx', raw: t } as Message);
    await eventually(() => n.status().relayCache.items === ITEMS, 'every tx cached');
    const inventory = txs.map((t) => ({ type: 1, hash: txIds(t, nodeHash256).txid }));

    const served = (): number => sink.received.reduce((k, m) => k + (m.command === 'tx' ? 1 : 0), 0);
    // In waves of 10 (5,060 replies) so that every reply fits the default send-queue bound.
    for (let sent = 0; sent < GETDATAS; sent += 10) {
      for (let i = 0; i < 10; i++) sink.send({ command: 'getdata', inventory } as Message);
      await sink.until(() => served() === (sent + 10) * ITEMS || sink.closed, `replies to ${sent + 10} getdatas`, 30_000);
      expect(sink.closed).toBe(false);
    }

    expect(served()).toBe(GETDATAS * ITEMS);
    expect(sink.has('notfound')).toBe(false);
    const info = n.peers().find((p) => p.addr.startsWith('127.0.0.92:'));
    expect(info?.state).toBe('established');
    expect(info?.banScore).toBe(0);
    expect(bans).toEqual([]);
    expect(n.status().bans).toBe(0);
  });
});
