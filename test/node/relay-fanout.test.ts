/**
 * Relay fan-out without loss: half the transactions announced (inv → getdata → tx), half pushed,
 * from one source to four sinks that fetch what is announced; every sink gets every transaction.
 */
import { describe, it, expect } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { Message } from '../../src/wire/codec.js';
import { txIds } from '../../src/wire/tx-id.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { RawPeer, eventually } from '../helpers/raw-peer.js';
const hashKey = (h: Uint8Array): string => Buffer.from(h).toString('hex');
function tx(tag: number): Uint8Array {
  return new Uint8Array(Buffer.from('02000000' + '01' + tag.toString(16).padStart(8, '0').repeat(8) + '00000000' + '00' + 'ffffffff' + '01' + '50c3000000000000' + '0151' + '00000000', 'hex'));
}
describe('relay fan-out', () => {
  it('delivers every transaction to every sink over both the inv and the push path', async () => {
    const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 1, trickleIntervalMs: 0, targetOutbound: 0, onlynet: ['loopback'] });
    await node.start();
    const port = Number(node.listenAddress!.split(':')[1]);
    const source = await RawPeer.open(port, '127.0.0.81');
    const sinks = await Promise.all([82, 83, 84, 85].map((i) => RawPeer.open(port, `127.0.0.${i}`)));
    await source.handshake();
    for (const s of sinks) await s.handshake();
    await eventually(() => node.peers().filter((p) => p.state === 'established').length === 5, 'up');
    const byKey = new Map<string, Uint8Array>();
    let srcSeen = 0;
    source.socket.on('data', () => setImmediate(() => {
      for (; srcSeen < source.received.length; srcSeen++) {
        const m = source.received[srcSeen] as any;
        if (m.command === 'getdata') for (const it of m.inventory) { const t = byKey.get(hashKey(it.hash)); if (t) source.send({ command: 'tx', raw: t } as Message); }
      }
    }));
    const seen = sinks.map(() => 0);
    sinks.forEach((s, i) => s.socket.on('data', () => setImmediate(() => {
      for (; seen[i]! < s.received.length; seen[i]!++) { const m = s.received[seen[i]!] as any; if (m.command === 'inv') s.send({ command: 'getdata', inventory: m.inventory } as Message); }
    })));
    const N = 4000;
    for (let i = 1; i <= N; i++) {
      const t = tx(i);
      if (i % 2) source.send({ command: 'tx', raw: t } as Message);
      else { const id = txIds(t, nodeHash256).txid; byKey.set(hashKey(id), t); source.send({ command: 'inv', inventory: [{ type: 1, hash: id }] } as Message); }
      // Paced by the node, not a clock: every 200 txs, wait until it holds the half sent as tx.
      if (i % 200 === 0) await eventually(() => node.status().relayCache.items >= i / 2, `${i / 2} txs cached`);
    }
    const got = () => sinks.map((s) => s.received.filter((m) => m.command === 'tx').length);
    await eventually(() => got().every((g) => g === N), 'every sink has every tx', 30_000);
    expect(node.status().relayCache.items).toBe(N);
    source.close();
    for (const s of sinks) s.close();
    await node.stop();
  }, 60000);
});
