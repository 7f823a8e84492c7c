import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildBlockTxn, buildCmpctBlock } from '../../src/chain/compact/build-compact.js';
import { PartialBlock } from '../../src/chain/compact/partial-block.js';
import { CACHE_CHUNK_SLOTS } from '../../src/relay/relay-cache.js';
import { readShortId, shortIdKeys } from '../../src/chain/compact/short-id-keys.js';
import { ListTxSource } from '../../src/chain/compact/tx-source.js';
import { checkBlock, type BlockContext } from '../../src/chain/block-check.js';
import { CHAIN_PARAMS } from '../../src/chain/params.js';
import { shortIds } from '../../src/wasm/short-ids.js';
import { decodePayload, encodePayload } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import type { CmpctBlockMessage } from '../../src/wire/messages/cmpctblock.js';
import { buildBlock, dsha, makeTx, mixedShape, rng, txidOf, type BuiltBlock } from '../../bench/support/blocks.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bcoin = require('bcoin') as any;
const { CompactBlock, TXRequest, TXResponse } = bcoin.net.bip152;

const PVER = PROTOCOL_VERSION;
const HEIGHT = 300;
const TIME = 1_700_000_000;
const ctx: BlockContext = { params: CHAIN_PARAMS.regtest, height: HEIGHT, prevMedianTimePast: TIME - 3000 };
const NONCE = 0x0123456789abcdefn;
const nonceBuf = (): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(NONCE);
  return b;
};

const blockOf = (txs: Uint8Array[], extra: Partial<Parameters<typeof buildBlock>[0]> = {}): BuiltBlock =>
  buildBlock({ prev: new Uint8Array(32).fill(4), height: HEIGHT, time: TIME, txs, ...extra });

function makeBlock(n: number, seed: number): BuiltBlock {
  const r = rng(seed);
  return buildBlock({ prev: new Uint8Array(32).fill(4), height: HEIGHT, time: TIME, txs: Array.from({ length: n }, () => makeTx(mixedShape(r), r)) });
}

/** A source with the block's non-coinbase txs (minus `skip`) in shuffled order, plus unrelated txs. */
function sourceFor(b: BuiltBlock, skip: ReadonlySet<number> = new Set(), extra = 50, withTxids = false): ListTxSource {
  const r = rng(99);
  const list: Uint8Array[] = [];
  for (let i = 1; i < b.txs.length; i++) if (!skip.has(i)) list.push(b.txs[i]!);
  for (let i = 0; i < extra; i++) list.push(makeTx(mixedShape(r), r));
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  const ids = new Uint8Array(32 * list.length);
  list.forEach((t, i) => ids.set(dsha(t), 32 * i));
  if (!withTxids) return new ListTxSource(list, ids);
  return new ListTxSource(list, ids, Buffer.concat(list.map(txidOf)));
}

describe('cmpctblock against bcoin lib/net/bip152.js', () => {
  const b = makeBlock(120, 1);
  const bb = bcoin.Block.fromRaw(Buffer.from(b.raw));

  it('our cmpctblock bytes equal bcoin CompactBlock.fromBlock(block, witness, nonce).toRaw()', () => {
    const ours = encodePayload(buildCmpctBlock(b.raw, NONCE), PVER);
    const theirs = CompactBlock.fromBlock(bb, true, nonceBuf()).toRaw();
    expect(Buffer.from(ours).toString('hex')).toBe(theirs.toString('hex'));
    // And with the wtxids given instead of hashed.
    expect(Buffer.from(encodePayload(buildCmpctBlock(b.raw, NONCE, b.wtxids), PVER))).toEqual(theirs);
  });

  it('short ids equal bcoin sid() of each wtxid; keys are SHA256(header ‖ nonce)', () => {
    const cb = CompactBlock.fromBlock(bb, true, nonceBuf());
    expect(Buffer.from(shortIdKeys(b.header, NONCE))).toEqual(cb.sipKey);
    const ids = shortIds(shortIdKeys(b.header, NONCE), b.wtxids, b.txs.length);
    for (let i = 1; i < b.txs.length; i++) expect(readShortId(ids, i)).toBe(cb.sid(dsha(b.txs[i]!)));
    const msg = decodePayload('cmpctblock', cb.toRaw(), PVER);
    for (let i = 1; i < b.txs.length; i++) expect(readShortId(msg.shortIds, i - 1)).toBe(readShortId(ids, i));
  });

  it('decodes bcoin\'s bytes and re-encodes them unchanged', () => {
    const raw = CompactBlock.fromBlock(bb, true, nonceBuf()).toRaw();
    const msg = decodePayload('cmpctblock', raw, PVER);
    expect(msg.nonce).toBe(NONCE);
    expect(msg.prefilled.map((p) => p.index)).toEqual([0]);
    expect(Buffer.from(encodePayload(msg, PVER))).toEqual(raw);
  });
});

describe('PartialBlock', () => {
  it('rebuilds a block whose transactions are all in the source, without a round trip', () => {
    const b = makeBlock(200, 2);
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    expect(pb.init()).toBe('ok');
    expect(pb.fill(sourceFor(b))).toBe(200);
    expect(pb.missing().indexes).toEqual([]);
    // Laid out after 24 free bytes (room for the frame header the node writes in place).
    const r = pb.finish(ctx, { headroom: 24, alloc: (n) => new Uint8Array(n) });
    expect(r.status).toBe('rebuilt');
    if (r.status === 'rebuilt') {
      expect(Buffer.from(r.block)).toEqual(Buffer.from(b.raw));
      expect(r.buffer.length).toBe(24 + b.raw.length);
      expect(Buffer.from(r.buffer.subarray(24))).toEqual(Buffer.from(b.raw));
    }
  });

  it.each([
    ['a valid block', () => makeBlock(120, 21)],
    ['a non-final transaction', () => blockOf([makeTx({ inputs: 2, outputs: 1, segwit: true, lockTime: HEIGHT, sequence: 0xfffffffd }, rng(22))])],
    ['a final one with a lock time not reached (every sequence final)', () => blockOf([makeTx({ inputs: 2, outputs: 1, segwit: true, lockTime: HEIGHT + 5, sequence: 0xffffffff }, rng(23))])],
    ['a weight over 4,000,000', () => {
      const r = rng(24);
      return blockOf(Array.from({ length: 150 }, () => makeTx({ inputs: 100, outputs: 1, segwit: true }, r)));
    }],
    ['legacy transactions only', () => blockOf([makeTx({ inputs: 2, outputs: 2, segwit: false }, rng(27))], { noCommitment: true })],
  ])('checks the parts where they lie with the verdict checkBlock gives the bytes: %s', (_name, make) => {
    const b = make();
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    expect(pb.init()).toBe('ok');
    pb.fill(sourceFor(b, new Set(), 5));
    const whole = checkBlock(b.raw, ctx);
    const r = pb.check(ctx);
    if (whole.ok) {
      expect(r).toEqual({ status: 'ok', check: whole });
      // Laid out only now, byte for byte the block.
      expect(Buffer.from(pb.layOut().block)).toEqual(Buffer.from(b.raw));
    } else {
      expect(r).toEqual({ status: whole.mutated ? 'collision' : 'invalid-block', check: whole });
    }
  });

  it('uses the txids a source knows (the relay cache\'s) and still rebuilds the same bytes', () => {
    const b = makeBlock(200, 12);
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    expect(pb.init()).toBe('ok');
    pb.fill(sourceFor(b, new Set(), 50, true));
    const r = pb.finish(ctx);
    expect(r.status).toBe('rebuilt');
    if (r.status === 'rebuilt') expect(Buffer.from(r.block)).toEqual(Buffer.from(b.raw));
  });

  it('a source with a wrong txid cannot make the block pass: collision, fetch it whole', () => {
    const b = makeBlock(30, 13);
    const src = sourceFor(b, new Set(), 0, true);
    src.txids![5] ^= 1;
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    pb.init();
    pb.fill(src);
    expect(pb.finish(ctx)).toMatchObject({ status: 'collision' });
  });

  it('asks for what is missing with the getblocktxn bcoin would send, and fills from the blocktxn bcoin would answer', () => {
    const b = makeBlock(150, 3);
    const skip = new Set([1, 7, 8, 64, 150]);
    const cmpct = buildCmpctBlock(b.raw, NONCE);
    const pb = new PartialBlock(cmpct);
    expect(pb.init()).toBe('ok');
    pb.fill(sourceFor(b, skip));
    const req = pb.missing();
    expect(req.indexes).toEqual([...skip]);
    // bcoin, given the same cmpctblock and a mempool without those txs, asks for the same bytes.
    const theirs = CompactBlock.fromRaw(Buffer.from(encodePayload(cmpct, PVER)));
    theirs.init();
    const mempool = { map: new Map() };
    for (let i = 1; i < b.txs.length; i++) if (!skip.has(i)) mempool.map.set(String(i), { tx: bcoin.TX.fromRaw(Buffer.from(b.txs[i]!)) });
    theirs.fillMempool(true, mempool);
    const theirReq = theirs.toRequest();
    expect(Buffer.from(encodePayload(req, PVER)).toString('hex')).toBe(theirReq.toRaw().toString('hex'));
    // Our blocktxn answer equals bcoin's TXResponse.fromBlock for that request.
    const resp = buildBlockTxn(b.raw, decodePayload('getblocktxn', theirReq.toRaw(), PVER));
    expect(resp).not.toBe('out-of-bounds');
    if (resp === 'out-of-bounds') return;
    const bb = bcoin.Block.fromRaw(Buffer.from(b.raw));
    expect(Buffer.from(encodePayload(resp, PVER)).toString('hex')).toBe(TXResponse.fromBlock(bb, theirReq).toRaw().toString('hex'));
    expect(pb.fillBlockTxn(decodePayload('blocktxn', encodePayload(resp, PVER), PVER))).toBe(true);
    const r = pb.finish(ctx);
    expect(r.status).toBe('rebuilt');
    if (r.status === 'rebuilt') expect(Buffer.from(r.block)).toEqual(Buffer.from(b.raw));
  });

  it('release() hands its arrays to the next rebuild: a smaller block rebuilt from the reused, dirty arrays asks for exactly its missing txs and rebuilds byte for byte; a released rebuild refuses further use', () => {
    const big = makeBlock(300, 31);
    const first = new PartialBlock(buildCmpctBlock(big.raw, NONCE));
    expect(first.init()).toBe('ok');
    first.fill(sourceFor(big));
    expect(first.finish(ctx).status).toBe('rebuilt');
    first.release();
    expect(() => first.fill(sourceFor(big))).toThrow(/after release/);
    expect(() => first.missing()).toThrow(/after release/);
    expect(() => first.wtxidBytes).toThrow(/after release/);

    const b = makeBlock(200, 32);
    const skip = new Set([2, 99, 200]);
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    expect(pb.init()).toBe('ok');
    pb.fill(sourceFor(b, skip));
    expect(pb.missing().indexes).toEqual([...skip]);
    for (let i = 0; i <= 200; i++) expect(pb.sourceSlot(i) >= 0).toBe(i !== 0 && !skip.has(i));
    expect(pb.fillBlockTxn({ command: 'blocktxn', blockHash: b.hash, txs: [...skip].map((i) => b.txs[i]!) })).toBe(true);
    const r = pb.finish(ctx);
    expect(r.status).toBe('rebuilt');
    if (r.status === 'rebuilt') expect(Buffer.from(r.block)).toEqual(Buffer.from(b.raw));
    pb.release();
    pb.release(); // twice is harmless: the arrays are handed back once
  });

  it('a blocktxn with the wrong number of transactions is invalid', () => {
    const b = makeBlock(20, 4);
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    pb.init();
    pb.fill(sourceFor(b, new Set([3, 4])));
    expect(pb.fillBlockTxn({ command: 'blocktxn', blockHash: pb.hash, txs: [b.txs[3]!] })).toBe(false);
  });

  it('two equal short ids in one cmpctblock: collision, fetch the full block', () => {
    const b = makeBlock(10, 5);
    const m = buildCmpctBlock(b.raw, NONCE);
    const ids = m.shortIds.slice();
    ids.copyWithin(6, 0, 6);
    expect(new PartialBlock({ ...m, shortIds: ids }).init()).toBe('collision');
  });

  it('an empty cmpctblock, or a prefilled index beyond the short ids, is invalid', () => {
    const b = makeBlock(5, 6);
    const m = buildCmpctBlock(b.raw, NONCE);
    expect(new PartialBlock({ ...m, shortIds: new Uint8Array(0), prefilled: [] }).init()).toBe('invalid');
    expect(new PartialBlock({ ...m, prefilled: [{ index: 6, tx: b.txs[0]! }] }).init()).toBe('invalid');
  });

  it('two different source txs with the block\'s short id: that index is requested', () => {
    const b = makeBlock(10, 7);
    const m = buildCmpctBlock(b.raw, NONCE);
    const pb = new PartialBlock(m);
    pb.init();
    const other = makeTx({ inputs: 1, outputs: 1, segwit: true }, rng(5));
    const list = [...b.txs.slice(1), other];
    const src = new ListTxSource(list, Buffer.concat(list.map((t) => dsha(t))));
    const sids = shortIds(shortIdKeys(b.header, NONCE), src.wtxids, list.length);
    const ids = Float64Array.from(list, (_, i) => readShortId(sids, i));
    // A 48-bit collision cannot be found in a test, so it is given: `other` shares index 4's id.
    ids[list.length - 1] = readShortId(m.shortIds, 3); // index 4 is the 4th short id (coinbase prefilled)
    pb.fillMatched(src, ids);
    expect(pb.missing().indexes).toEqual([4]);
  });

  it('a wrong transaction under a right short id rebuilds to a merkle mismatch: collision, not an offence', () => {
    const b = makeBlock(10, 8);
    const m = buildCmpctBlock(b.raw, NONCE);
    // The sender (or a 48-bit collision) put an unrelated tx's short id at index 5.
    const other = makeTx({ inputs: 1, outputs: 1, segwit: true }, rng(77));
    const ids = m.shortIds.slice();
    ids.set(shortIds(shortIdKeys(b.header, NONCE), dsha(other), 1), 6 * 4);
    const forged: CmpctBlockMessage = { ...m, shortIds: ids };
    const pb = new PartialBlock(forged);
    expect(pb.init()).toBe('ok');
    const src = sourceFor(b, new Set([5]));
    pb.fill(src);
    pb.fill(new ListTxSource([other], dsha(other)));
    expect(pb.missingCount).toBe(0);
    expect(pb.finish(ctx)).toMatchObject({ status: 'collision', check: { mutated: true } });
  });

  it('getblocktxn past the block\'s end is out of bounds', () => {
    const b = makeBlock(5, 9);
    expect(buildBlockTxn(b.raw, { command: 'getblocktxn', blockHash: b.hash, indexes: [2, 6] })).toBe('out-of-bounds');
  });
});

describe('RelayCacheTxSource', () => {
  it('rebuilds straight from the relay cache\'s id chunks and frames, across chunks', async () => {
    const { RelayCache } = await import('../../src/relay/relay-cache.js');
    const { RelayCacheTxSource } = await import('../../src/chain/compact/relay-cache-source.js');
    const b = makeBlock(60, 21);
    const cache = new RelayCache(64 << 20);
    // Unrelated items first, so the block's transactions sit in the cache's second slot chunk.
    for (let i = 0; i < 4090; i++) {
      const id = dsha(Uint8Array.of(i & 255, i >> 8, 7));
      cache.add('tx', id, 0, id, 0, new Uint8Array(24 + 60).fill(i & 255), 0, 84, 1, false);
    }
    for (let i = 1; i < b.txs.length; i++) {
      const frame = new Uint8Array(24 + b.txs[i]!.length);
      frame.set(b.txs[i]!, 24);
      cache.add('tx', txidOf(b.txs[i]!), 0, dsha(b.txs[i]!), 0, frame, 0, frame.length, 1, false);
    }
    expect(cache.capacity).toBeGreaterThan(4096);
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    expect(pb.init()).toBe('ok');
    expect(pb.fill(new RelayCacheTxSource(cache))).toBe(60);
    const r = pb.finish(ctx);
    expect(r.status).toBe('rebuilt');
    if (r.status === 'rebuilt') expect(Buffer.from(r.block)).toEqual(Buffer.from(b.raw));
  });

  /** A cache holding b's transactions (coinbase aside, minus `leave`); their slots by block index. */
  async function cacheWith(b: BuiltBlock, maxBytes: number, leave: ReadonlySet<number> = new Set()) {
    const { RelayCache } = await import('../../src/relay/relay-cache.js');
    const { RelayCacheTxSource } = await import('../../src/chain/compact/relay-cache-source.js');
    const cache = new RelayCache(maxBytes);
    const slots = new Map<number, number>();
    for (let i = 1; i < b.txs.length; i++) {
      if (leave.has(i)) continue;
      const frame = new Uint8Array(24 + b.txs[i]!.length);
      frame.set(b.txs[i]!, 24);
      slots.set(i, cache.add('tx', txidOf(b.txs[i]!), 0, dsha(b.txs[i]!), 0, frame, 0, frame.length, 1, false));
    }
    return { cache, slots, source: new RelayCacheTxSource(cache) };
  }

  it('leaves confirmed transactions, blocks and freed slots out of the scan', async () => {
    const b = makeBlock(20, 22);
    const { cache, slots, source } = await cacheWith(b, 64 << 20);
    const first = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    first.init();
    expect(first.fill(source)).toBe(20);
    for (let i = 1; i <= 20; i++) expect(first.sourceSlot(i)).toBe(slots.get(i));
    // Index 3 is marked confirmed; index 4 only with another tx's wtxid (the slot moved on): still scanned.
    cache.markConfirmed(slots.get(3)!, dsha(b.txs[3]!), 0);
    cache.markConfirmed(slots.get(4)!, dsha(b.txs[5]!), 0);
    const slot = slots.get(6)!;
    expect(cache.scanSkipChunk(slot)[slot % CACHE_CHUNK_SLOTS]).toBe(0);
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE + 1n));
    pb.init();
    expect(pb.fill(source)).toBe(19);
    expect(pb.missing().indexes).toEqual([3]);
    expect(cache.scanSkipChunk(slots.get(3)!)[slots.get(3)! % CACHE_CHUNK_SLOTS]).toBe(1);
    // A block item is never scanned, nor a slot once its item left.
    const blockSlot = cache.add('block', b.hash, 0, b.hash, 0, new Uint8Array(24 + b.raw.length), 0, 24 + b.raw.length, 1, false);
    expect(cache.scanSkipChunk(blockSlot)[blockSlot % CACHE_CHUNK_SLOTS]).toBe(1);
    const aged = new (await import('../../src/relay/relay-cache.js')).RelayCache(4096);
    const id = dsha(Uint8Array.of(1));
    const s0 = aged.add('tx', id, 0, id, 0, new Uint8Array(3000), 0, 3000, 1, false);
    expect(aged.scanSkipChunk(s0)[s0]).toBe(0);
    const id2 = dsha(Uint8Array.of(2));
    aged.add('tx', id2, 0, id2, 0, new Uint8Array(3000), 0, 3000, 1, false); // over 4,096 bytes: the first leaves
    expect(aged.isLive(s0)).toBe(false);
    expect(aged.scanSkipChunk(s0)[s0]).toBe(1);
  });

  it('skips a chunk with nothing to scan without reading it, and still maps later chunks to their slots', async () => {
    const { RelayCache } = await import('../../src/relay/relay-cache.js');
    const { RelayCacheTxSource } = await import('../../src/chain/compact/relay-cache-source.js');
    const b = makeBlock(20, 24);
    const cache = new RelayCache(64 << 20);
    const first: number[] = [];
    for (let i = 0; i < CACHE_CHUNK_SLOTS; i++) {
      const id = dsha(Uint8Array.of(i & 255, i >> 8, 8));
      first.push(cache.add('tx', id, 0, id, 0, new Uint8Array(84), 0, 84, 1, false));
    }
    const slots: number[] = [];
    for (let i = 1; i < b.txs.length; i++) {
      const frame = new Uint8Array(24 + b.txs[i]!.length);
      frame.set(b.txs[i]!, 24);
      slots[i] = cache.add('tx', txidOf(b.txs[i]!), 0, dsha(b.txs[i]!), 0, frame, 0, frame.length, 1, false);
    }
    expect(cache.scanCount(0)).toBe(CACHE_CHUNK_SLOTS);
    for (const s of first) cache.markConfirmed(s, cache.widChunk(s), cache.keyOffset(s));
    cache.markConfirmed(first[0]!, cache.widChunk(first[0]!), cache.keyOffset(first[0]!)); // twice: counted once
    expect(cache.scanCount(0)).toBe(0);
    expect(cache.scanCount(CACHE_CHUNK_SLOTS)).toBe(20);
    const source = new RelayCacheTxSource(cache);
    expect(source.skipChunk(0)).toBeNull();
    // Chunk 0 is not copied in: chunk 1's slots come first in the scan and must map back to theirs.
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    pb.init();
    expect(pb.fill(source)).toBe(20);
    for (let i = 1; i <= 20; i++) expect(pb.sourceSlot(i)).toBe(slots[i]);
    expect(pb.finish(ctx).status).toBe('rebuilt');
  });

  it('a transaction the cache let go between fill and finish (blocktxn awaited) makes it lost, never rebuilt', async () => {
    const b = makeBlock(30, 23);
    const { cache, source } = await cacheWith(b, 3 << 20, new Set([7]));
    const pb = new PartialBlock(buildCmpctBlock(b.raw, NONCE));
    pb.init();
    pb.fill(source);
    expect(pb.missing().indexes).toEqual([7]);
    // Meanwhile unrelated traffic pushes every one of the block's transactions out and refills
    // their memory (8 MB through a 3 MB cache of 1 MB slabs, src/relay/frame-slabs.ts).
    for (let i = 0; i < 800; i++) {
      const id = dsha(Uint8Array.of(i & 255, i >> 8, 9));
      cache.add('tx', id, 0, id, 0, new Uint8Array(10_000).fill(0xee), 0, 10_000, 1, false);
    }
    expect(cache.find(dsha(b.txs[1]!), 0)).toBe(-1);
    expect(pb.fillBlockTxn({ command: 'blocktxn', blockHash: b.hash, txs: [b.txs[7]!] })).toBe(true);
    expect(pb.finish(ctx)).toEqual({ status: 'lost' });
  });
});
