/**
 * Block relay between bcoin 1.0.2 full nodes over real loopback TCP (issue 19):
 * - a block mined on bcoin A, whose transaction went through wirerelay first, reaches wirerelay as
 *   a compact block (we asked A for high bandwidth in our first sendcmpct), is rebuilt from the
 *   relay cache without getblocktxn, and reaches bcoin B, whose tip advances;
 * - a block whose header has bad proof of work goes nowhere, and its sender is disconnected and
 *   discouraged.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildBlock, dsha } from '../../bench/support/blocks.js';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { decodePayload } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { eventually, RawPeer } from '../helpers/raw-peer.js';
import { newKey, spendCoinbase, startBcoin, startBcoinPair } from './bcoin.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});


async function startRelay(opts: RelayOptions): Promise<RelayNode> {
  const relay = createRelay({ listen: '127.0.0.1:0', dataDir: null, targetOutbound: 0, workers: 0, trickleIntervalMs: 0, retryBaseMs: 50, logLevel: 'silent', ...opts });
  await relay.start();
  open.push({ close: () => relay.stop() });
  return relay;
}

const establishedTo = (relay: RelayNode, addr: string): boolean => relay.peers().some((p) => p.addr === addr && p.state === 'established');

async function compactOutcomes(relay: RelayNode): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await relay.metricsText()).matchAll(/wirerelay_compact_blocks_total\{outcome="(\w+)"\} (\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

/** bcoin 1.0.2 keeps hashes as hex strings in internal order (Buffers in later versions). */
const internal = (h: string | Uint8Array): Buffer => (typeof h === 'string' ? Buffer.from(h, 'hex') : Buffer.from(h));

beforeAll(async () => {
  const probe = await startBcoin();
  await probe.close();
});

describe('block relay between bcoin 1.0.2 nodes', () => {
  it('a block mined on A reaches wirerelay as a cmpctblock, is rebuilt without getblocktxn, and reaches B', async () => {
    const { a, b, key } = await startBcoinPair(open);
    const relay = await startRelay({ connect: [`${a.addr}@v1`, `${b.addr}@v1`] });
    await eventually(() => establishedTo(relay, a.addr) && establishedTo(relay, b.addr), 'handshakes with both bcoin nodes');
    await eventually(() => relay.status().chain?.height === 101, 'the headers chain synced from bcoin');
    const arrivals: Array<{ via: string; height: number | null }> = [];
    relay.on('block', (e) => arrivals.push({ via: e.via, height: e.height }));

    const { tx, txid } = await spendCoinbase(a, 1, key);
    await a.node.sendTX(tx);
    await eventually(() => b.hasTx(txid), "the transaction in bcoin B's mempool (through wirerelay)");

    await a.mine(1, newKey().address);
    await eventually(() => b.height === 102, "bcoin B's tip to advance to the block mined on A");
    expect(internal(b.node.chain.tip.hash)).toEqual(internal(a.node.chain.tip.hash));
    expect(arrivals).toEqual([{ via: 'cmpctblock', height: 102 }]);
    expect(await compactOutcomes(relay)).toEqual({ rebuilt: 1, blocktxn: 0, full: 0 });
    expect(relay.status().chain?.height).toBe(102);
    expect(relay.bans()).toEqual([]);
    expect(a.banned()).toEqual([]);
    expect(b.banned()).toEqual([]);
  });

  it('a block whose header has bad proof of work goes nowhere, and its sender is disconnected', async () => {
    const { b } = await startBcoinPair(open);
    const relay = await startRelay({ connect: [`${b.addr}@v1`] });
    await eventually(() => relay.status().chain?.height === 101, 'the headers chain synced from bcoin B');
    const arrivals: string[] = [];
    relay.on('block', (e) => arrivals.push(e.hash));

    const port = Number(relay.listenAddress!.split(':')[1]);
    const bad = await RawPeer.open(port, '127.0.0.61');
    open.push(bad);
    await bad.handshake();
    const blk = buildBlock({ prev: internal(b.node.chain.tip.hash), height: 102, time: Math.floor(Date.now() / 1000), txs: [], mine: false });
    const raw = blk.raw.slice();
    const dv = new DataView(raw.buffer, raw.byteOffset, 80);
    const target = (0x7fffffn << 8n * (0x20n - 3n));
    for (let n = 0; BigInt('0x' + Buffer.from(dsha(raw.subarray(0, 80))).reverse().toString('hex')) <= target; n++) dv.setUint32(76, n, true);
    bad.send(decodePayload('block', raw, PROTOCOL_VERSION));
    await bad.until(() => bad.closed, 'the sender disconnected');

    expect(relay.bans().map((x) => x.target)).toContain('127.0.0.61');
    expect(arrivals).toEqual([]);
    expect(relay.status().chain?.height).toBe(101);
    expect(relay.status().relayCache.items).toBe(0);
    expect(b.height).toBe(101);
  });
});
