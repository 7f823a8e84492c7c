/**
 * ZMQ notifications read by an independent subscriber (Debian's python3-zmq under /usr/bin/python3,
 * as contrib/zmq/zmq_sub.py in Bitcoin Core reads them) and compared byte for byte with Core's
 * format (doc/zmq.md): three parts `topic | body | uint32 LE sequence`, sequence counted per topic
 * from 0, hashes in display order (reversed), `sequence` bodies `hash | A/R + uint64 LE` and
 * `hash | C`. Several topics share one endpoint, as Core allows.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { PythonProcess } from '../helpers/python.js';
import { RawPeer, REGTEST } from '../helpers/raw-peer.js';
import { rawTx } from '../helpers/raw-tx.js';
import { buildBlock, dsha } from '../../bench/support/blocks.js';
import { chainParams } from '../../src/chain/params.js';

const SUBSCRIBER = String.raw`
import json, struct, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.SUB)
s.setsockopt(zmq.RCVHWM, 0)
s.connect(sys.argv[1])
for topic in sys.argv[2:]:
    s.setsockopt_string(zmq.SUBSCRIBE, topic)
print('ready')
while True:
    parts = s.recv_multipart()
    # As zmq_sub.py: the last part is the sequence number, 4 bytes little-endian.
    seq = struct.unpack('<I', parts[-1])[0] if len(parts[-1]) == 4 else -1
    print(json.dumps({'n': len(parts), 'topic': parts[0].decode(), 'body': parts[1].hex(), 'seq': seq, 'seqhex': parts[-1].hex()}))
`;

interface Msg {
  n: number;
  topic: string;
  body: string;
  seq: number;
  seqhex: string;
}

const sha256d = (b: Uint8Array): Buffer => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();
const display = (b: Buffer): string => Buffer.from(b).reverse().toString('hex');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let node: RelayNode;
let sub: PythonProcess;
let endpoint: string;

beforeAll(async () => {
  endpoint = `tcp://127.0.0.1:${await freePort()}`;
  node = createRelay({
    network: 'regtest',
    listen: '127.0.0.1:0',
    workers: 0,
    targetOutbound: 0,
    logLevel: 'silent',
    // Small enough that the test's transactions push the oldest out: `sequence` R.
    relayCacheMaxBytes: 1024,
    zmqPubRawTx: [endpoint],
    zmqPubHashTx: [endpoint],
    zmqPubRawBlock: [endpoint],
    zmqPubHashBlock: [endpoint],
    zmqPubSequence: [endpoint],
  });
  await node.start();
  sub = new PythonProcess(SUBSCRIBER, [endpoint, 'rawtx', 'hashtx', 'rawblock', 'hashblock', 'sequence']);
  await sub.until((l) => l.includes('ready'));
});

afterAll(async () => {
  sub?.kill();
  await node?.stop();
});

describe('ZMQ notifications in Core\'s format', () => {
  it('rawtx, hashtx, rawblock, hashblock and sequence, each numbered per topic from 0', async () => {
    const published: Uint8Array[] = [];
    const messages = (): Msg[] => sub.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Msg);
    // A PUB socket drops what it sends before the subscription has arrived (ZMQ's slow joiner):
    // publish probes until the subscriber sees one, then the rest.
    while (messages().length === 0) {
      published.push(rawTx(1000 + published.length));
      node.relayTransaction(published.at(-1)!);
      await Promise.race([sub.until(() => messages().length > 0), new Promise((r) => setTimeout(r, 20))]);
    }
    const probes = published.length;
    let lastTxid = '';
    for (let i = 0; i < 20; i++) {
      published.push(rawTx(2000 + i));
      lastTxid = node.relayTransaction(published.at(-1)!).txid;
    }

    // A block from a peer: a valid regtest block 1 (blocks are relayed, and published, only once
    // they pass the relay rule: docs/chain.md), its coinbase and one transaction.
    const built = buildBlock({ prev: dsha(chainParams('regtest').genesisHeader), height: 1, time: Math.floor(Date.now() / 1000) - 60, txs: [rawTx(3000)] });
    const header = Buffer.from(built.header);
    const block = Buffer.from(built.raw);
    const peer = await RawPeer.open(Number(node.listenAddress!.split(':').pop()));
    await peer.handshake();
    peer.write(new FrameScanner().encodeFrame(REGTEST, 'block', block));

    const blockHash = display(sha256d(header));
    await sub.until(() => messages().some((m) => m.topic === 'hashblock'));
    await sub.until(() => messages().filter((m) => m.topic === 'rawtx').some((m) => m.body === Buffer.from(published.at(-1)!).toString('hex')));
    await sub.until(() => messages().filter((m) => m.topic === 'sequence').some((m) => m.body.endsWith('43')));
    peer.close();

    const all = messages();
    for (const m of all) {
      expect(m.n).toBe(3);
      expect(m.seqhex).toHaveLength(8);
    }
    const byTopic = (t: string): Msg[] => all.filter((m) => m.topic === t);

    // rawtx: the serialized transaction; its sequence number is its index among all published.
    const hexes = published.map((t) => Buffer.from(t).toString('hex'));
    const rawtx = byTopic('rawtx');
    expect(rawtx.length).toBeGreaterThanOrEqual(20);
    for (const m of rawtx) expect(m.seq).toBe(hexes.indexOf(m.body));
    for (let i = 1; i < rawtx.length; i++) expect(rawtx[i]!.seq).toBe(rawtx[i - 1]!.seq + 1);
    expect(rawtx.at(-1)!.seq).toBe(probes + 19);

    // hashtx: the txid in display order (byte-reversed double SHA-256), same numbering.
    const txids = published.map((t) => display(sha256d(t)));
    const hashtx = byTopic('hashtx');
    for (const m of hashtx) expect(m.seq).toBe(txids.indexOf(m.body));
    expect(hashtx.at(-1)!.body).toBe(txids.at(-1));
    // …which is the txid as the node (and Core's RPC) displays it.
    expect(hashtx.at(-1)!.body).toBe(lastTxid);

    // rawblock / hashblock: the block as sent, its header hash in display order; first of their topics: 0.
    expect(byTopic('rawblock')).toEqual([{ n: 3, topic: 'rawblock', body: block.toString('hex'), seq: 0, seqhex: '00000000' }]);
    expect(byTopic('hashblock')).toEqual([{ n: 3, topic: 'hashblock', body: blockHash, seq: 0, seqhex: '00000000' }]);

    // sequence: txid | 'A' | uint64 LE, evictions txid | 'R' | uint64 LE, the block hash | 'C'.
    const seq = byTopic('sequence');
    for (let i = 1; i < seq.length; i++) expect(seq[i]!.seq).toBe(seq[i - 1]!.seq + 1);
    const adds = seq.filter((m) => m.body.length === 82 && m.body.slice(64, 66) === '41');
    const removes = seq.filter((m) => m.body.length === 82 && m.body.slice(64, 66) === '52');
    const connects = seq.filter((m) => m.body.length === 66 && m.body.slice(64, 66) === '43');
    expect(adds.length).toBeGreaterThanOrEqual(20);
    expect(removes.length).toBeGreaterThan(0);
    expect(connects.map((m) => m.body.slice(0, 64))).toEqual([blockHash]);
    for (const m of [...adds, ...removes]) expect(txids).toContain(m.body.slice(0, 64));
    // The 8-byte mempool sequence grows by one per A or R, in publication order.
    const mempoolSeqs = [...adds, ...removes].sort((x, y) => x.seq - y.seq).map((m) => Buffer.from(m.body.slice(66), 'hex').readBigUInt64LE(0));
    for (let i = 1; i < mempoolSeqs.length; i++) expect(mempoolSeqs[i]).toBe(mempoolSeqs[i - 1]! + 1n);
    // What leaves is what entered first: oldest out, one after another.
    const left = removes.map((m) => txids.indexOf(m.body.slice(0, 64)));
    for (let i = 1; i < left.length; i++) expect(left[i]).toBe(left[i - 1]! + 1);
  });
});
