/**
 * The embedders' feeds on a real node: `for await (const tx of relay.transactions({ signal }))`
 * and `relay.blocks()`. Bounded buffers drop the oldest item and count it (on the iterator and in
 * wirerelay_feed_dropped_total); the node's listener exists only while someone subscribes.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import type { TxItem } from '../../src/streams/relay-streams.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { parseExposition, value } from '../helpers/prometheus.js';
import { RawPeer, REGTEST } from '../helpers/raw-peer.js';
import { rawTx } from '../helpers/raw-tx.js';
import { buildBlock, dsha } from '../../bench/support/blocks.js';
import { chainParams } from '../../src/chain/params.js';

let node: RelayNode;

beforeEach(async () => {
  node = createRelay({ network: 'regtest', listen: '127.0.0.1:0', workers: 0, targetOutbound: 0, logLevel: 'silent' });
  await node.start();
});

afterEach(async () => {
  await node.stop();
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('relay.transactions() and relay.blocks()', () => {
  it('yields raw bytes, txid, wtxid and the source; ends the loop on abort', async () => {
    const ac = new AbortController();
    const seen: TxItem[] = [];
    const loop = (async () => {
      for await (const tx of node.transactions({ signal: ac.signal })) {
        seen.push(tx);
        if (seen.length === 3) ac.abort();
      }
    })();
    const sent = [rawTx(1), rawTx(2), rawTx(3)];
    const ids = sent.map((t) => node.relayTransaction(t));
    await loop;
    expect(seen.map((t) => hex(t.raw))).toEqual(sent.map(hex));
    expect(seen.map((t) => t.txid)).toEqual(ids.map((i) => i.txid));
    expect(seen.map((t) => t.wtxid)).toEqual(ids.map((i) => i.wtxid));
    expect(seen.every((t) => t.peer === null)).toBe(true);
    expect(node.listenerCount('tx')).toBe(0);
  });

  it('attaches no listener while nobody subscribes, one for any number of subscribers', async () => {
    expect(node.listenerCount('tx')).toBe(0);
    expect(node.listenerCount('block')).toBe(0);
    const a = node.transactions();
    const b = node.transactions();
    expect(node.listenerCount('tx')).toBe(1);
    await a.return!();
    expect(node.listenerCount('tx')).toBe(1);
    await b.return!();
    expect(node.listenerCount('tx')).toBe(0);
  });

  it('a full buffer drops the oldest and counts it; relaying goes on regardless', async () => {
    const slow = node.transactions({ bufferSize: 2 });
    const sent = Array.from({ length: 10 }, (_, i) => rawTx(100 + i));
    for (const t of sent) node.relayTransaction(t);
    // Everything was relayed (cached) though nobody read the stream.
    expect(node.status().relayCache.items).toBe(10);
    expect(slow.dropped).toBe(8);
    const first = await slow.next();
    const second = await slow.next();
    expect([first.value, second.value].map((t) => hex((t as TxItem).raw))).toEqual(sent.slice(8).map(hex));
    const metrics = parseExposition(await node.metricsText());
    expect(value(metrics, 'wirerelay_feed_dropped_total', { feed: 'stream_tx' })).toBe(8);
    await slow.return!();
  });

  it('blocks from a peer, with its address; iterators end when the node stops', async () => {
    const blocks = node.blocks();
    // A valid regtest block 1: blocks reach the feed only once they pass the relay rule (docs/chain.md).
    const built = buildBlock({ prev: dsha(chainParams('regtest').genesisHeader), height: 1, time: Math.floor(Date.now() / 1000) - 60, txs: [rawTx(9)] });
    const header = Buffer.from(built.header);
    const payload = Buffer.from(built.raw);
    const peer = await RawPeer.open(Number(node.listenAddress!.split(':').pop()));
    await peer.handshake();
    peer.write(new FrameScanner().encodeFrame(REGTEST, 'block', payload));
    const got = await blocks.next();
    const b = got.value as { peer: string; hash: string; raw: Uint8Array };
    expect(hex(b.raw)).toBe(payload.toString('hex'));
    const hash = createHash('sha256').update(createHash('sha256').update(header).digest()).digest().reverse();
    expect(b.hash).toBe(hash.toString('hex'));
    expect(node.peers().map((p) => p.addr)).toContain(b.peer);
    const pending = blocks.next();
    peer.close();
    await node.stop();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('rejects a bad bufferSize with a RangeError', () => {
    expect(() => node.transactions({ bufferSize: 0 })).toThrow(RangeError);
    expect(node.listenerCount('tx')).toBe(0);
  });
});
