/**
 * Block relay in the node (issue 19), over real loopback TCP with raw peers:
 * - headers sync from an outbound peer: sendheaders and getheaders after the handshake, 2,000
 *   headers per message and the next getheaders from the last one, the chain kept across a restart
 *   (the version message's start height), getheaders answered from our chain;
 * - a header with invalid proof of work: its sender is disconnected and discouraged;
 * - a header that does not connect is answered with getheaders;
 * - the relay rule for full blocks: a valid block extending the tip is relayed (headers to a peer
 *   that sent sendheaders, inv to the others), a mutated one is dropped and its sender punished,
 *   an otherwise invalid one dropped unscored.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBlock, dsha, makeTx, mixedShape, rng } from '../../bench/support/blocks.js';
import { chainParams } from '../../src/chain/params.js';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { readBlockHeader } from '../../src/wire/block-header.js';
import type { BlockHeader } from '../../src/wire/block-header.js';
import { decodePayload } from '../../src/wire/codec.js';
import type { Message } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import type { GetHeadersMessage } from '../../src/wire/messages/getheaders.js';
import type { HeadersMessage } from '../../src/wire/messages/headers.js';
import type { InvMessage } from '../../src/wire/messages/inv.js';
import type { VersionMessage } from '../../src/wire/messages/version.js';
import { WireReader } from '../../src/wire/reader.js';
import { newVersionMessage } from '../../src/wire/messages/version.js';
import { buildCmpctBlock } from '../../src/chain/compact/build-compact.js';
import type { CmpctBlockMessage } from '../../src/wire/messages/cmpctblock.js';
import type { BlockTxnMessage } from '../../src/wire/messages/blocktxn.js';
import type { GetBlockTxnMessage } from '../../src/wire/messages/getblocktxn.js';
import { chainOf, makeHeader } from '../chain/chain-helpers.js';
import { eventually, RawPeer, REGTEST } from '../helpers/raw-peer.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';

const GENESIS = chainParams('regtest').genesisHeader;
const GENESIS_HASH = dsha(GENESIS);

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function startNode(opts: RelayOptions = {}): Promise<{ node: RelayNode; port: number }> {
  const node = createRelay({ listen: '127.0.0.1:0', dataDir: null, targetOutbound: 0, workers: 0, trickleIntervalMs: 0, retryBaseMs: 50, ...opts });
  await node.start();
  open.push({ close: () => node.stop() });
  return { node, port: Number(node.listenAddress!.split(':')[1]) };
}

/** A listening raw peer the node dials; resolves the peer once a connection arrives. */
async function rawListener(): Promise<{ addr: string; next: () => Promise<RawPeer>; server: Server }> {
  const waiting: Array<(p: RawPeer) => void> = [];
  const arrived: RawPeer[] = [];
  const server = createServer((s) => {
    const p = RawPeer.wrap(s);
    open.push(p);
    const w = waiting.shift();
    if (w !== undefined) w(p);
    else arrived.push(p);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
  const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { addr, server, next: () => (arrived.length > 0 ? Promise.resolve(arrived.shift()!) : new Promise((r) => waiting.push(r))) };
}

function headersOf(bytes: Uint8Array): BlockHeader[] {
  const r = new WireReader(bytes);
  const out: BlockHeader[] = [];
  while (r.pos < bytes.length) out.push(readBlockHeader(r));
  return out;
}

const all = <T extends Message['command']>(p: RawPeer, command: T): Array<Extract<Message, { command: T }>> =>
  p.received.filter((m): m is Extract<Message, { command: T }> => m.command === command);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const now = (): number => Math.floor(Date.now() / 1000);

describe('headers chain in the node', () => {
  it('syncs from an outbound peer 2,000 at a time, keeps the chain across a restart, and answers getheaders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirerelay-headers-'));
    open.push({ close: () => rm(dir, { recursive: true, force: true }) });
    const { addr, next } = await rawListener();
    const t0 = now() - 5000;
    const first = chainOf(GENESIS_HASH, t0, 2000, 1, 1);
    const rest = chainOf(first.hashes[1999]!, t0 + 2000, 5, 1, 1);

    const { node } = await startNode({ connect: [`${addr}@v1`], dataDir: dir });
    const up = await next();
    await up.handshake();
    await up.until(() => up.has('sendheaders') && up.has('getheaders'), 'sendheaders and getheaders after the handshake');
    const gh = all(up, 'getheaders')[0]! as GetHeadersMessage;
    expect(gh.locator.map(hex)).toEqual([hex(GENESIS_HASH)]);
    up.send({ command: 'headers', headers: headersOf(first.bytes) });
    // A full message: the node asks again from its last header.
    await up.until(() => all(up, 'getheaders').length === 2, 'the second getheaders');
    expect(hex(all(up, 'getheaders')[1]!.locator[0]!)).toBe(hex(first.hashes[1999]!));
    up.send({ command: 'headers', headers: headersOf(rest.bytes) });
    await eventually(() => node.status().chain?.height === 2005, 'the chain at height 2005 in status');
    expect(node.status().chain).toEqual({ height: 2005, headers: 2006, tip: Buffer.from(rest.hashes[4]!).reverse().toString('hex') });
    expect(node.peers().find((p) => p.direction === 'outbound')!.bestKnownHeight).toBe(2005);

    // An inbound peer's handshake shows the chain's height; its getheaders is answered from the chain.
    const { port } = { port: Number(node.listenAddress!.split(':')[1]) };
    await eventually(async () => {
      const p = await RawPeer.open(port);
      open.push(p);
      await p.handshake();
      return (p.received.find((m) => m.command === 'version') as VersionMessage).startHeight === 2005;
    }, 'a version message with start height 2005');
    const asker = await RawPeer.open(port);
    open.push(asker);
    await asker.handshake();
    asker.send({ command: 'getheaders', protocolVersion: PROTOCOL_VERSION, locator: [first.hashes[1999]!], hashStop: new Uint8Array(32) });
    await asker.until(() => asker.has('headers'), 'the headers answer');
    const answer = all(asker, 'headers')[0]! as HeadersMessage;
    expect(answer.headers.length).toBe(5);
    expect(hex(answer.headers[4]!.prevBlock)).toBe(hex(rest.hashes[3]!));

    // Restart: the chain comes back from the data directory, nothing synced again.
    await node.stop();
    const again = await startNode({ dataDir: dir });
    const p = await RawPeer.open(again.port);
    open.push(p);
    await p.handshake();
    expect((p.received.find((m) => m.command === 'version') as VersionMessage).startHeight).toBe(2005);
  });

  it('keeps one getheaders in flight per peer: an unconnecting announcement waits for the answer to the first', async () => {
    const { addr, next } = await rawListener();
    await startNode({ connect: [`${addr}@v1`] });
    const up = await next();
    await up.handshake();
    await up.until(() => up.has('getheaders'), 'the first getheaders');
    const orphan = (tag: number): BlockHeader[] => headersOf(chainOf(new Uint8Array(32).fill(tag), now() - 100, 1, tag, 1).bytes);
    // Unanswered: the unconnecting header does not bring a second getheaders.
    up.send({ command: 'headers', headers: orphan(7) });
    up.send({ command: 'ping', nonce: 5n });
    await up.until(() => up.has('pong'), 'the pong after the announcement');
    expect(all(up, 'getheaders')).toHaveLength(1);
    // Answered (an empty headers: nothing new), the next unconnecting header asks again.
    up.send({ command: 'headers', headers: [] });
    up.send({ command: 'headers', headers: orphan(8) });
    await up.until(() => all(up, 'getheaders').length === 2, 'the second getheaders');
  });

  it('fetches the block of a headers announcement (BIP130) and relays it', async () => {
    const { port } = await startNode();
    const announcer = await RawPeer.open(port);
    open.push(announcer);
    await announcer.handshake();
    const other = await RawPeer.open(port);
    open.push(other);
    await other.handshake();
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: now() - 60, txs: [] });
    announcer.send({ command: 'headers', headers: headersOf(b1.header) });
    await announcer.until(() => announcer.has('getdata'), 'a getdata for the announced block');
    expect(all(announcer, 'getdata')[0]!.inventory.map((e) => [e.type, hex(e.hash)])).toEqual([[0x40000002, hex(b1.hash)]]);
    announcer.send(decodePayload('block', b1.raw, PROTOCOL_VERSION));
    await other.until(() => other.has('inv'), 'the block announced to the other peer');
    expect(hex(all(other, 'inv')[0]!.inventory[0]!.hash)).toBe(hex(b1.hash));
  });

  it('disconnects and discourages the sender of a header with invalid proof of work', async () => {
    const { node, port } = await startNode();
    const bad = await RawPeer.open(port, '127.0.0.31');
    await bad.handshake();
    const h = makeHeader({ prev: GENESIS_HASH, time: now(), badPow: true });
    bad.send({ command: 'headers', headers: headersOf(h) });
    await bad.until(() => bad.closed, 'the disconnect');
    expect(node.bans().map((b) => b.target)).toContain('127.0.0.31');
    const again = await RawPeer.open(port, '127.0.0.31');
    await again.until(() => again.closed, 'the discouraged address refused');
  });

  it('answers a header that does not connect with getheaders, and scores nothing', async () => {
    const { node, port } = await startNode();
    const p = await RawPeer.open(port);
    open.push(p);
    await p.handshake();
    const orphan = chainOf(new Uint8Array(32).fill(9), now() - 100, 1, 2, 1);
    p.send({ command: 'headers', headers: headersOf(orphan.bytes) });
    await p.until(() => p.has('getheaders'), 'a getheaders');
    expect(hex(all(p, 'getheaders')[0]!.locator[0]!)).toBe(hex(GENESIS_HASH));
    expect(node.peers()[0]!.banScore).toBe(0);
  });
});

describe('the relay rule for full blocks', () => {
  const txs = (n: number, seed: number): Uint8Array[] => {
    const r = rng(seed);
    return Array.from({ length: n }, () => makeTx(mixedShape(r), r));
  };
  const blockMsg = (raw: Uint8Array): Message => decodePayload('block', raw, PROTOCOL_VERSION);

  it('relays a valid block on the tip (headers to a sendheaders peer, inv to others); drops a mutated one and punishes its sender; drops an invalid one unscored', async () => {
    const { node, port } = await startNode();
    const events: Array<{ hash: string; height: number | null; via: string }> = [];
    node.on('block', (e) => events.push({ hash: e.hash, height: e.height, via: e.via }));
    const src = await RawPeer.open(port, '127.0.0.41');
    open.push(src);
    await src.handshake();
    const wantsHeaders = await RawPeer.open(port);
    open.push(wantsHeaders);
    await wantsHeaders.handshake();
    wantsHeaders.send({ command: 'sendheaders' });
    const wantsInv = await RawPeer.open(port);
    open.push(wantsInv);
    await wantsInv.handshake();
    await eventually(() => node.peers().filter((p) => p.state === 'established').length === 3, 'three peers');

    // Valid and on the tip: relayed.
    const t = now() - 60;
    const good = buildBlock({ prev: GENESIS_HASH, height: 1, time: t + 1, txs: txs(5, 2) });
    src.send(blockMsg(good.raw));
    await wantsHeaders.until(() => wantsHeaders.has('headers'), 'a headers announcement');
    await wantsInv.until(() => wantsInv.has('inv'), 'an inv announcement');
    const ann = all(wantsHeaders, 'headers')[0]! as HeadersMessage;
    expect(ann.headers).toHaveLength(1);
    expect(hex(ann.headers[0]!.merkleRoot)).toBe(hex(good.raw.subarray(36, 68)));
    const inv = all(wantsInv, 'inv') as InvMessage[];
    expect(inv.flatMap((m) => m.inventory.map((e) => hex(e.hash)))).toEqual([hex(good.hash)]);
    expect(wantsHeaders.has('inv')).toBe(false);
    expect(events).toEqual([{ hash: Buffer.from(good.hash).reverse().toString('hex'), height: 1, via: 'block' }]);
    expect(node.peers().find((p) => p.addr.startsWith('127.0.0.41:'))!.banScore).toBe(0);

    // Mutated: a transaction changed after the merkle root was computed. Dropped, sender punished.
    const next = buildBlock({ prev: good.hash, height: 2, time: t + 2, txs: txs(4, 3) });
    const mutated = next.raw.slice();
    mutated[mutated.length - 5]! ^= 1;
    src.send(blockMsg(mutated));
    await src.until(() => src.closed, 'the sender of a mutated block disconnected');
    expect(node.bans().map((b) => b.target)).toContain('127.0.0.41');

    // Invalid, not mutated (the coinbase claims height 7 at height 3): dropped, its sender not scored.
    const other = await RawPeer.open(port, '127.0.0.42');
    open.push(other);
    await other.handshake();
    const wrongHeight = buildBlock({ prev: next.hash, height: 7, time: t + 3, txs: txs(3, 4) });
    other.send(blockMsg(wrongHeight.raw));
    other.send({ command: 'ping', nonce: 77n });
    await other.until(() => other.has('pong'), 'the pong after the block');
    expect(node.peers().find((p) => p.addr.startsWith('127.0.0.42:'))!.banScore).toBe(0);
    expect(other.closed).toBe(false);
    expect(all(wantsInv, 'inv')).toHaveLength(1);
    expect(all(wantsHeaders, 'headers')).toHaveLength(1);
  });
});

describe('a block that failed the checks', () => {
  it('does not keep a competing valid block at the same height from being relayed', async () => {
    const { node, port } = await startNode();
    const r = rng(61);
    const txs = Array.from({ length: 3 }, () => makeTx(mixedShape(r), r));
    const first = await RawPeer.open(port, '127.0.0.81');
    open.push(first);
    await first.handshake();
    const second = await RawPeer.open(port, '127.0.0.82');
    open.push(second);
    await second.handshake();
    const watcher = await RawPeer.open(port);
    open.push(watcher);
    await watcher.handshake();
    const t = now() - 60;
    // Valid proof of work, invalid block (its coinbase claims height 7): its header becomes our tip.
    const invalid = buildBlock({ prev: GENESIS_HASH, height: 7, time: t, txs });
    first.send(decodePayload('block', invalid.raw, PROTOCOL_VERSION));
    first.send({ command: 'ping', nonce: 3n });
    await first.until(() => first.has('pong'), 'the invalid block handled');
    // Marked failed (Core InvalidBlockFound): the tip goes back to genesis; the sender is not scored.
    expect(node.status().chain?.height).toBe(0);
    expect(first.closed).toBe(false);
    // A header built on the failed block: bad-prevblk, its sender disconnected and discouraged.
    const child = await RawPeer.open(port, '127.0.0.84');
    open.push(child);
    await child.handshake();
    child.send({ command: 'headers', headers: headersOf(makeHeader({ prev: invalid.hash, time: t + 5 })) });
    await child.until(() => child.closed, 'the sender of a header on a failed block disconnected');
    expect(node.bans().map((b) => b.target)).toContain('127.0.0.84');
    expect(node.status().chain?.height).toBe(0);
    const valid = buildBlock({ prev: GENESIS_HASH, height: 1, time: t + 1, txs });
    second.send(decodePayload('block', valid.raw, PROTOCOL_VERSION));
    await watcher.until(() => all(watcher, 'inv').some((m) => m.inventory.some((e) => hex(e.hash) === hex(valid.hash))), 'the valid block relayed');
    expect(all(watcher, 'inv').flatMap((m) => m.inventory.map((e) => hex(e.hash)))).not.toContain(hex(invalid.hash));
  });
});

describe('BIP152 compact blocks in the node', () => {
  const txs = (n: number, seed: number): Uint8Array[] => {
    const r = rng(seed);
    return Array.from({ length: n }, () => makeTx(mixedShape(r), r));
  };
  /** A raw peer that says NODE_NETWORK | NODE_WITNESS (compact blocks need witness). */
  async function witnessPeer(port: number, localAddress = '127.0.0.1'): Promise<RawPeer> {
    const p = await RawPeer.open(port, localAddress);
    open.push(p);
    p.send(newVersionMessage({ nonce: BigInt(Math.floor(Math.random() * 1e9)), userAgent: '/raw-peer:0.1/', timestampSec: now(), services: 9n }));
    await p.until(() => p.has('version') && p.has('verack'), 'version and verack');
    p.send({ command: 'verack' });
    await p.until(() => p.has('sendcmpct'), 'our sendcmpct');
    return p;
  }
  const metric = async (node: RelayNode, outcome: string): Promise<number> => {
    const m = new RegExp(`wirerelay_compact_blocks_total\\{outcome="${outcome}"\\} (\\d+)`).exec(await node.metricsText());
    return m === null ? -1 : Number(m[1]);
  };

  it('rebuilds a cmpctblock from the relay cache with no round trip, with getblocktxn when a tx is missing, pushes it to high-bandwidth peers, serves getdata(MSG_CMPCT_BLOCK) and getblocktxn; a mutated rebuild fetches the full block and scores no one', async () => {
    const { node, port } = await startNode();
    const events: Array<{ height: number | null; via: string }> = [];
    node.on('block', (e) => events.push({ height: e.height, via: e.via }));
    const src = await witnessPeer(port, '127.0.0.51');
    const hb = await witnessPeer(port);
    const low = await witnessPeer(port);
    // The first sendcmpct asks for high bandwidth (bcoin ignores later ones): v2 only.
    expect(all(src, 'sendcmpct')[0]).toMatchObject({ announce: 1, version: 2n });
    hb.send({ command: 'sendcmpct', announce: 1, version: 2n });
    low.send({ command: 'sendcmpct', announce: 0, version: 2n });
    low.send({ command: 'ping', nonce: 1n });
    await low.until(() => low.has('pong'), 'sendcmpct handled');
    hb.send({ command: 'ping', nonce: 1n });
    await hb.until(() => hb.has('pong'), 'sendcmpct handled');

    // Block 1: every transaction already relayed through us.
    const t = now() - 60;
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: t, txs: txs(20, 11) });
    for (const tx of b1.txs.slice(1)) node.relayTransaction(tx);
    src.send(buildCmpctBlock(b1.raw, 7n));
    await hb.until(() => hb.has('cmpctblock'), 'the cmpctblock pushed to the high-bandwidth peer');
    const pushed = all(hb, 'cmpctblock')[0]! as CmpctBlockMessage;
    expect(hex(pushed.header)).toBe(hex(b1.header));
    expect(pushed.shortIds.length / 6 + pushed.prefilled.length).toBe(21);
    expect(src.has('getblocktxn')).toBe(false);
    expect(await metric(node, 'rebuilt')).toBe(1);
    // Its hop was observed when the push was queued.
    expect(await node.metricsText()).toMatch(/wirerelay_block_hop_seconds_count\{via="cmpctblock"\} 1\b/);
    // Its two merkle trees (txids, wtxids) were one chunk each, hashed by one thread or the other.
    const chunks = (by: string, text: string): number => Number(new RegExp(`wirerelay_merkle_chunks_total\\{by="${by}"\\} (\\d+)`).exec(text)?.[1] ?? -1);
    const text1 = await node.metricsText();
    expect(chunks('helper', text1) + chunks('here', text1)).toBe(2);

    // Block 2: one transaction never seen: asked for with getblocktxn.
    const fresh = txs(10, 12);
    const b2 = buildBlock({ prev: b1.hash, height: 2, time: t + 1, txs: fresh });
    for (const tx of fresh.slice(0, 9)) node.relayTransaction(tx);
    src.send(buildCmpctBlock(b2.raw, 8n));
    await src.until(() => src.has('getblocktxn'), 'a getblocktxn');
    const req = all(src, 'getblocktxn')[0]! as GetBlockTxnMessage;
    expect(req.indexes).toEqual([10]);
    src.send({ command: 'blocktxn', blockHash: b2.hash, txs: [b2.txs[10]!] });
    await hb.until(() => all(hb, 'cmpctblock').length === 2, 'the second cmpctblock pushed');
    expect(await metric(node, 'blocktxn')).toBe(1);
    // Pushed before the relay cache took the block, and not again when the relay announced it.
    hb.send({ command: 'ping', nonce: 2n });
    await hb.until(() => all(hb, 'pong').length === 2, 'a round trip after the relay announced block 2');
    expect(all(hb, 'cmpctblock')).toHaveLength(2);
    expect(hb.has('headers')).toBe(false);
    expect(all(hb, 'inv').flatMap((m) => m.inventory).filter((e) => [hex(b1.hash), hex(b2.hash)].includes(hex(e.hash)))).toEqual([]);
    expect(events).toEqual([
      { height: 1, via: 'cmpctblock' },
      { height: 2, via: 'cmpctblock' },
    ]);

    // The low-bandwidth peer fetches it as a compact block, then a transaction of it.
    await low.until(() => low.has('inv') || low.has('headers'), 'an announcement to the low-bandwidth peer');
    low.send({ command: 'getdata', inventory: [{ type: 4, hash: b2.hash }] });
    await low.until(() => low.has('cmpctblock'), 'the cmpctblock served');
    expect(hex((all(low, 'cmpctblock')[0]! as CmpctBlockMessage).header)).toBe(hex(b2.header));
    low.send({ command: 'getblocktxn', blockHash: b2.hash, indexes: [3] });
    await low.until(() => low.has('blocktxn'), 'the blocktxn served');
    expect(hex((all(low, 'blocktxn')[0]! as BlockTxnMessage).txs[0]!)).toBe(hex(b2.txs[3]!));
    // Both blocks were laid out in the one rebuild buffer: each was copied out whole before reuse.
    low.send({ command: 'getdata', inventory: [{ type: 0x40000002, hash: b1.hash }, { type: 0x40000002, hash: b2.hash }] });
    await low.until(() => all(low, 'block').length === 2, 'both full blocks served');
    expect(all(low, 'block').map((m) => hex((m as { raw: Uint8Array }).raw))).toEqual([hex(b1.raw), hex(b2.raw)]);

    // Block 3: its header commits to other transactions than the ones the short ids find (what a
    // short-id collision looks like): the full block is fetched, and nobody is scored.
    const b3txs = txs(5, 13);
    for (const tx of b3txs) node.relayTransaction(tx);
    const b3 = buildBlock({ prev: b2.hash, height: 3, time: t + 2, txs: b3txs, merkleRoot: new Uint8Array(32).fill(5) });
    src.send(buildCmpctBlock(b3.raw, 9n));
    await src.until(() => all(src, 'getdata').some((m) => m.inventory.some((e) => hex(e.hash) === hex(b3.hash))), 'a getdata for the full block');
    expect(await metric(node, 'full')).toBe(1);
    expect(node.peers().find((p) => p.addr.startsWith('127.0.0.51:'))!.banScore).toBe(0);
    expect(src.closed).toBe(false);
  });

  for (const kept of [true, false]) it(`${kept ? 'serves' : 'without a block store, does not serve'} block, cmpctblock and blocktxn once the relay cache has evicted the block`, async () => {
    const { node, port } = await startNode({ relayCacheMaxBytes: 4096, blockStoreMaxBytes: kept ? 1 << 20 : 0 });
    const src = await witnessPeer(port);
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: now() - 60, txs: txs(3, 21) });
    src.send(decodePayload('block', b1.raw, PROTOCOL_VERSION));
    await eventually(() => node.status().chain?.height === 1 && node.status().relayCache.items === 1, 'the block relayed');
    // Transactions churn the 4 KiB relay cache until the block is gone from it.
    for (const tx of txs(40, 22)) node.relayTransaction(tx);
    const asker = await witnessPeer(port);
    asker.send({ command: 'getdata', inventory: [{ type: 4, hash: b1.hash }, { type: 0x40000002, hash: b1.hash }] });
    if (!kept) {
      // The relay cache no longer has it: notfound (the getblocktxn is ignored, as Core does).
      await asker.until(() => asker.has('notfound'), 'a notfound');
      expect(asker.has('block') || asker.has('cmpctblock')).toBe(false);
      return;
    }
    asker.send({ command: 'getblocktxn', blockHash: b1.hash, indexes: [2] });
    await asker.until(() => asker.has('cmpctblock') && asker.has('block') && asker.has('blocktxn'), 'cmpctblock, block and blocktxn');
    expect(hex((all(asker, 'block')[0]! as { raw: Uint8Array }).raw)).toBe(hex(b1.raw));
    expect(hex((all(asker, 'blocktxn')[0]! as BlockTxnMessage).txs[0]!)).toBe(hex(b1.txs[2]!));
    expect(asker.has('notfound')).toBe(false);
  });

  it('hostile BIP152 messages cost their sender, never the process: a malformed cmpctblock, an out-of-bounds getblocktxn; an unsolicited blocktxn is ignored', async () => {
    const { node, port } = await startNode();
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: now() - 60, txs: txs(3, 31) });
    // A prefilled index past the short ids (Core READ_STATUS_INVALID).
    const bad = await witnessPeer(port, '127.0.0.71');
    const good = buildCmpctBlock(b1.raw, 3n);
    bad.send({ ...good, shortIds: good.shortIds.subarray(0, 6), prefilled: [{ index: 5, tx: good.prefilled[0]!.tx }] });
    await bad.until(() => bad.closed, 'the sender of a malformed cmpctblock disconnected');
    expect(node.bans().map((b) => b.target)).toContain('127.0.0.71');

    // The block itself, then a getblocktxn beyond its 4 transactions.
    const src = await witnessPeer(port, '127.0.0.72');
    src.send(decodePayload('block', b1.raw, PROTOCOL_VERSION));
    await eventually(() => node.status().chain?.height === 1, 'the block');
    const asker = await witnessPeer(port, '127.0.0.73');
    asker.send({ command: 'blocktxn', blockHash: b1.hash, txs: [b1.txs[1]!] });
    asker.send({ command: 'getblocktxn', blockHash: new Uint8Array(32).fill(1), indexes: [0] });
    asker.send({ command: 'ping', nonce: 9n });
    await asker.until(() => asker.has('pong'), 'the pong: unsolicited blocktxn and unknown getblocktxn ignored');
    expect(asker.closed).toBe(false);
    asker.send({ command: 'getblocktxn', blockHash: b1.hash, indexes: [9] });
    await asker.until(() => asker.closed, 'the out-of-bounds getblocktxn sender disconnected');
    expect(node.bans().map((b) => b.target)).toContain('127.0.0.73');
    expect(node.peers().some((p) => p.addr.startsWith('127.0.0.72:'))).toBe(true);
  });

  it('counts every BIP152 bound and fallback as a drop reason in the flow table, on the peer\'s flow to itself', async () => {
    const { node, port } = await startNode();
    const src = await witnessPeer(port, '127.0.0.91');
    const addrOf = (host: string): string => node.peers().find((p) => p.addr.startsWith(`${host}:`))!.addr;
    /** Drops counted on a peer's flow to itself (what we refused to take from it); `addr` once the peer is gone. */
    const drops = (host: string, reason: string, addr = addrOf(host)): number =>
      (node.flows(1000, 'bytes').find((f) => f.src === addr && f.dst === addr)?.drops as Record<string, number> | undefined)?.[reason] ?? 0;
    // Five blocks in a row, each missing a transaction: the fifth pending rebuild pushes out the first.
    const t = now() - 60;
    let prev: Uint8Array = GENESIS_HASH;
    const blocks = [];
    for (let h = 1; h <= 5; h++) {
      const b = buildBlock({ prev, height: h, time: t + h, txs: txs(2, 60 + h) });
      blocks.push(b);
      prev = b.hash;
    }
    for (const b of blocks) src.send(buildCmpctBlock(b.raw, 1n));
    await src.until(() => all(src, 'getblocktxn').length === 5, 'five getblocktxn');
    await eventually(() => drops('127.0.0.91', 'cmpct_pending') === 1, 'cmpct_pending counted');

    // A rebuild that is mutated (what a short-id collision looks like): cmpct_mutated, full block fetched.
    const fresh = txs(3, 70);
    for (const tx of fresh) node.relayTransaction(tx);
    const forged = await witnessPeer(port, '127.0.0.92');
    const b6 = buildBlock({ prev: blocks[4]!.hash, height: 6, time: t + 10, txs: fresh, merkleRoot: new Uint8Array(32).fill(9) });
    forged.send(buildCmpctBlock(b6.raw, 2n));
    await eventually(() => drops('127.0.0.92', 'cmpct_mutated') === 1, 'cmpct_mutated counted');

    // Two equal short ids in one cmpctblock: cmpct_collision.
    const twin = await witnessPeer(port, '127.0.0.93');
    const b7 = buildBlock({ prev: b6.hash, height: 7, time: t + 11, txs: txs(2, 71) });
    const c7 = buildCmpctBlock(b7.raw, 3n);
    const ids = new Uint8Array(12);
    ids.set(c7.shortIds.subarray(0, 6), 0);
    ids.set(c7.shortIds.subarray(0, 6), 6);
    twin.send({ ...c7, shortIds: ids });
    await eventually(() => drops('127.0.0.93', 'cmpct_collision') === 1, 'cmpct_collision counted');

    // Over MAX_SHORT_IDS: not decoded (and scored as malformed), cmpct_size.
    const big = await witnessPeer(port, '127.0.0.94');
    const bigAddr = addrOf('127.0.0.94');
    const over = Buffer.concat([Buffer.from(c7.header), Buffer.alloc(8), Buffer.from([0xfe, 0xa1, 0x86, 0x01, 0x00]), Buffer.alloc(6 * 100_001), Buffer.from([0])]);
    big.write(new FrameScanner().encodeFrame(REGTEST, 'cmpctblock', over));
    await eventually(() => drops('', 'cmpct_size', bigAddr) === 1, 'cmpct_size counted');

    // A getblocktxn past the block's transactions: blocktxn_index (and the sender is punished).
    const asker = await witnessPeer(port, '127.0.0.95');
    const askerAddr = addrOf('127.0.0.95');
    const relayed: number[] = [];
    node.on('block', (e) => relayed.push(e.height ?? -1));
    src.send({ command: 'blocktxn', blockHash: blocks[1]!.hash, txs: blocks[1]!.txs.slice(1) });
    await eventually(() => relayed.includes(2), 'block 2 relayed');
    asker.send({ command: 'getblocktxn', blockHash: blocks[1]!.hash, indexes: [7] });
    await eventually(() => drops('', 'blocktxn_index', askerAddr) === 1, 'blocktxn_index counted');
  });

  it('fetches the full block when a getblocktxn goes unanswered past the getdata timeout', async () => {
    const { node, port } = await startNode({ getdataTimeoutMs: 300 });
    const src = await witnessPeer(port);
    const other = await witnessPeer(port);
    const fresh = txs(4, 41);
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: now() - 60, txs: fresh });
    for (const tx of fresh.slice(1)) node.relayTransaction(tx);
    src.send(buildCmpctBlock(b1.raw, 4n));
    await src.until(() => src.has('getblocktxn'), 'a getblocktxn');
    // Never answered: the node asks for the whole block instead.
    await src.until(() => all(src, 'getdata').some((m) => m.inventory.some((e) => hex(e.hash) === hex(b1.hash))), 'a getdata for the full block');
    src.send(decodePayload('block', b1.raw, PROTOCOL_VERSION));
    await other.until(() => other.has('inv') && all(other, 'inv').some((m) => m.inventory.some((e) => hex(e.hash) === hex(b1.hash))), 'the block relayed');
    expect(await metric(node, 'full')).toBe(1);
  });

  it('getpeerinfo shows BIP152 high-bandwidth mode both ways (bip152_hb_to: we selected the peer; bip152_hb_from: it selected us)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirerelay-hb-rpc-'));
    open.push({ close: () => rm(dir, { recursive: true, force: true }) });
    const { node, port } = await startNode({ dataDir: dir, rpc: '127.0.0.1:0' });
    const both = await witnessPeer(port, '127.0.0.81');
    const toOnly = await witnessPeer(port, '127.0.0.82');
    const neither = await RawPeer.open(port, '127.0.0.83'); // no NODE_WITNESS: no compact blocks
    open.push(neither);
    await neither.handshake();
    both.send({ command: 'sendcmpct', announce: 1, version: 2n });
    toOnly.send({ command: 'sendcmpct', announce: 0, version: 2n });
    for (const p of [both, toOnly]) {
      p.send({ command: 'ping', nonce: 5n });
      await p.until(() => p.has('pong'), 'sendcmpct handled');
    }
    const auth = (await readFile(join(dir, '.cookie'), 'utf8')).trim();
    const getpeerinfo = async (): Promise<Array<{ addr: string; bip152_hb_to: boolean; bip152_hb_from: boolean }>> => {
      const res = await fetch(`http://${node.rpcEndpoint!.addr}/`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'getpeerinfo', params: [] }),
      });
      return ((await res.json()) as { result: Array<{ addr: string; bip152_hb_to: boolean; bip152_hb_from: boolean }> }).result;
    };
    const hb = (host: string, info: Awaited<ReturnType<typeof getpeerinfo>>): [boolean, boolean] => {
      const e = info.find((p) => p.addr.startsWith(`${host}:`))!;
      return [e.bip152_hb_to, e.bip152_hb_from];
    };
    let info = await getpeerinfo();
    expect(hb('127.0.0.81', info)).toEqual([true, true]);
    expect(hb('127.0.0.82', info)).toEqual([true, false]);
    expect(hb('127.0.0.83', info)).toEqual([false, false]);
    // A peer that takes back its request (sendcmpct announce=0) no longer selects us.
    both.send({ command: 'sendcmpct', announce: 0, version: 2n });
    both.send({ command: 'ping', nonce: 6n });
    await both.until(() => all(both, 'pong').length === 2, 'the second sendcmpct handled');
    info = await getpeerinfo();
    expect(hb('127.0.0.81', info)).toEqual([true, false]);
  });

  it('fetches an announced block from a compact-block peer as a cmpctblock (low bandwidth), rebuilt and relayed', async () => {
    const { node, port } = await startNode();
    const src = await witnessPeer(port);
    src.send({ command: 'sendcmpct', announce: 0, version: 2n });
    const other = await RawPeer.open(port);
    open.push(other);
    await other.handshake();
    const fresh = txs(6, 51);
    for (const tx of fresh) node.relayTransaction(tx);
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: now() - 60, txs: fresh });
    src.send({ command: 'headers', headers: headersOf(b1.header) });
    await src.until(() => src.has('getdata'), 'a getdata');
    expect(all(src, 'getdata')[0]!.inventory.map((e) => [e.type, hex(e.hash)])).toEqual([[4, hex(b1.hash)]]);
    src.send(buildCmpctBlock(b1.raw, 6n));
    await other.until(() => all(other, 'inv').some((m) => m.inventory.some((e) => hex(e.hash) === hex(b1.hash))), 'the block relayed');
    expect(await metric(node, 'rebuilt')).toBe(1);
    expect(src.has('getblocktxn')).toBe(false);
  });

  it('takes the transactions of a full block out of the rebuilds\' scan: a later cmpctblock naming one again gets it asked for', async () => {
    const { node, port } = await startNode();
    const src = await witnessPeer(port);
    const t = now() - 60;
    const b1 = buildBlock({ prev: GENESIS_HASH, height: 1, time: t, txs: txs(6, 61) });
    for (const tx of b1.txs.slice(1)) node.relayTransaction(tx);
    src.send(decodePayload('block', b1.raw, PROTOCOL_VERSION));
    await eventually(() => node.status().chain?.height === 1, 'block 1 on the chain');
    // A round trip: the turn after the relay, where the block's transactions are marked, is over.
    src.send({ command: 'ping', nonce: 3n });
    await src.until(() => src.has('pong'), 'a pong');
    // Block 2 names block 1's third transaction again (no UTXO check here sees the double spend)
    // beside three in the cache: only that one is asked for; with it still scanned it would be taken
    // from the cache and the block rebuilt at once.
    const fresh = txs(3, 62);
    for (const tx of fresh) node.relayTransaction(tx);
    const b2 = buildBlock({ prev: b1.hash, height: 2, time: t + 1, txs: [b1.txs[3]!, ...fresh] });
    src.send(buildCmpctBlock(b2.raw, 9n));
    await src.until(() => src.has('getblocktxn'), 'a getblocktxn');
    expect((all(src, 'getblocktxn')[0]! as GetBlockTxnMessage).indexes).toEqual([1]);
  });
});
