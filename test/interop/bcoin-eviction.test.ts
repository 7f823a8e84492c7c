/**
 * Stale-chain eviction (Core ConsiderEviction, src/net_processing.cpp) against bcoin 1.0.2 full
 * nodes over real loopback TCP, on the node's manual clock. Our headers chain is 10 blocks long
 * (headers mined by an unconnected bcoin, handed to the node by an inbound peer); the node's
 * automatic full-relay slot dials a bcoin node:
 * - `synced` has the same 10 blocks. It answers the handshake's getheaders (sent from our tip's
 *   parent, as Core does) with our tip, so it is never behind and stays connected past 20 + 2 minutes;
 * - `behind` has only the genesis block. It stays behind our tip's work, gets one last getheaders
 *   after 20 minutes and is closed as `stale_chain` 2 minutes later.
 * bcoin answers the node's pings itself; neither side scores the other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createRelay } from '../../src/node/relay-node.js';
import type { DisconnectReason } from '../../src/types.js';
import { parseIpPort } from '../../src/util/host-port.js';
import { readBlockHeader } from '../../src/wire/block-header.js';
import type { BlockHeader } from '../../src/wire/block-header.js';
import type { Message } from '../../src/wire/codec.js';
import { WireReader } from '../../src/wire/reader.js';
import { eventually, RawPeer } from '../helpers/raw-peer.js';
import { banRecords, copyChain, newKey, startBcoin } from './bcoin.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** Our 10-block chain's headers, mined by a bcoin nobody connects to (kept open for copyChain). */
async function tenBlocks(): Promise<{ miner: Awaited<ReturnType<typeof startBcoin>>; headers: BlockHeader[] }> {
  const miner = await startBcoin('127.0.0.1');
  open.push(miner);
  await miner.mine(10, newKey().address);
  const headers: BlockHeader[] = [];
  for (let h = 1; h <= 10; h++) {
    const raw = (await miner.node.chain.getBlock(h)).toHead() as Buffer;
    headers.push(readBlockHeader(new WireReader(raw, 0, raw.length)));
  }
  return { miner, headers };
}

/**
 * A node whose headers chain is `headers` (handed over by an inbound peer) and whose one automatic
 * full-relay slot dials `addr`; its clock then runs 30 minutes, 2 at a time, each step followed by
 * the ticker's pass (its ping shows as the peer's last send at the new time). Returns why the
 * peer was disconnected, or null if it is still connected.
 */
async function runAgainst(headers: BlockHeader[], addr: string): Promise<DisconnectReason | null> {
  const clock = new ManualClock(Date.now());
  const node = createRelay(
    { network: 'regtest', listen: '127.0.0.1:0', dataDir: null, logLevel: 'silent', workers: 0, transport: 'v1only', targetOutbound: 1, blockRelayOnly: 0, noDnsSeed: true, onlynet: ['loopback'], gossipDialScope: 'local', retryBaseMs: 50, retryMaxMs: 500 },
    { clock },
  );
  await node.start();
  open.push({ close: () => node.stop() });
  let gone: DisconnectReason | null = null;
  node.on('peerDisconnect', (info, reason) => {
    if (info.addr === addr) gone = reason;
  });
  const feeder = await RawPeer.open(Number(node.listenAddress!.split(':')[1]), '127.200.0.1');
  open.push(feeder);
  await feeder.handshake();
  // More than an announcement fetches (8): the node takes the headers and asks for no block.
  feeder.send({ command: 'headers', headers });
  await eventually(() => node.status().chain?.height === 10, 'our headers chain at height 10');
  feeder.send({ command: 'addr', addresses: [{ timestamp: Math.floor(clock.now() / 1000), services: 9n, ...parseIpPort(addr)! }] } as Message);
  const up = (): boolean => node.peers().some((p) => p.addr === addr && p.direction === 'outbound' && p.state === 'established');
  await eventually(up, 'the bcoin node connected as the automatic outbound peer', 30_000);
  for (let i = 0; i < 15 && gone === null; i++) {
    clock.advance(2 * 60_000);
    const now = clock.now();
    await eventually(() => gone !== null || (node.peers().find((p) => p.addr === addr)?.lastSend ?? 0) >= now, 'the next ticker pass');
  }
  if (gone === null) expect(up()).toBe(true);
  return gone;
}

describe('stale-chain eviction against bcoin', () => {
  it('evicts a bcoin peer that stays behind our tip, as stale_chain, within 20 + 2 minutes of the node clock', async () => {
    const { headers } = await tenBlocks();
    const behind = await startBcoin('127.52.0.1');
    open.push(behind);
    expect(behind.height).toBe(0);
    const bansBefore = banRecords.length;
    expect(await runAgainst(headers, behind.addr)).toBe('stale_chain');
    // Nobody scored anybody: bcoin's increaseBan was not called for our connection.
    expect(banRecords.slice(bansBefore)).toEqual([]);
  });

  it('keeps a bcoin peer at our tip for 30 minutes: it answers the getheaders sent from our tip\'s parent with our tip', async () => {
    const { miner, headers } = await tenBlocks();
    const synced = await startBcoin('127.51.0.1');
    open.push(synced);
    await copyChain(miner, synced);
    expect(synced.height).toBe(10);
    const bansBefore = banRecords.length;
    expect(await runAgainst(headers, synced.addr)).toBeNull();
    expect(banRecords.slice(bansBefore)).toEqual([]);
  });
});
