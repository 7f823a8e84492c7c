/**
 * Block relay's hot paths, each against a baseline measured in the same run:
 *
 * (a) A 3,000-transaction block (mixed sizes, ~85 % segwit), every transaction already in the tx
 *     source (plus 3,000 unrelated ones, as a relay cache would hold): from the `cmpctblock`
 *     payload to a rebuilt, merkle- and witness-checked block ready to forward (decode, short-id
 *     table, one WASM SipHash pass over the source, fill, layout, src/chain/block-check.ts). The
 *     same with 1 % missing, up to the encoded `getblocktxn`. Baseline: bcoin 1.0.2's own
 *     lib/net/bip152.js on the same bytes (CompactBlock.fromRaw, init, fillMempool from a mempool
 *     of parsed TXs with their hashes cached, toBlock, merkle root and witness commitment check).
 *     Writing to peers is not included here: see (d).
 * (b) Header verification (double SHA-256 of 80 B and the target check): one WASM call per 2,000
 *     headers vs a node:crypto loop (crypto.hash twice + a byte compare with the target).
 * (c) ~900k regtest-difficulty headers: accepting them (full contextual checks), the memory per
 *     header, writing the file and reopening it (PoW re-checked in WASM batches).
 *
 * (d) The node hop (bench/support/node-hop.ts): a RelayNode in process, a raw sender and three raw
 *     high-bandwidth sinks over loopback TCP; per block, from the sender's `cmpctblock` frame
 *     written to all three sinks having read the node's `cmpctblock` (nothing missing), or to the
 *     sender having read the `getblocktxn` (1 % missing). Ratio against (a)'s bcoin figure.
 *
 *   npm run bench:block            (HEADERS=200000 npm run bench:block for a shorter (c);
 *                                   PARTS=a,d for some parts only; HOP_BLOCKS=20 blocks per case)
 *
 * Writes bench/results/block.json. Benchmarks, not tests: nothing here asserts a duration.
 */
import { hash as cryptoHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCmpctBlock } from '../src/chain/compact/build-compact.js';
import { PartialBlock, type BlockLayout } from '../src/chain/compact/partial-block.js';
import { RelayCacheTxSource } from '../src/chain/compact/relay-cache-source.js';
import type { BlockContext } from '../src/chain/block-check.js';
import { HeaderChain } from '../src/chain/header-chain.js';
import { HeaderFile } from '../src/chain/header-file.js';
import { CHAIN_PARAMS } from '../src/chain/params.js';
import { compactToTarget } from '../src/chain/pow.js';
import { checkHeadersPow, u256le } from '../src/wasm/header-pow.js';
import { MerkleOffload, type MerkleJobs } from '../src/wasm/merkle-offload.js';
import { decodePayload, encodePayload } from '../src/wire/codec.js';
import { HEADER_SIZE, PROTOCOL_VERSION } from '../src/wire/constants.js';
import { txIds } from '../src/wire/tx-id.js';
import { RelayCache } from '../src/relay/relay-cache.js';
import { hash256 } from '../src/wasm/hasher.js';
import { buildBlock, dsha, makeTx, mixedShape, rng } from './support/blocks.js';
import { measureNodeHop } from './support/node-hop.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bcoin = require('bcoin') as any;
const PVER = PROTOCOL_VERSION;
const R = CHAIN_PARAMS.regtest;
const PARTS = new Set((process.env.PARTS ?? 'a,b,c,d').split(','));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}
/** µs per call of fn, `runs` timed runs after `warm` untimed ones. */
function timeUs(fn: () => void, runs: number, warm: number): number[] {
  for (let i = 0; i < warm; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (a) compact block rebuild
// ---------------------------------------------------------------------------------------------
const TXS = 3000;
const r = rng(2026);
const blockTxs = Array.from({ length: TXS - 1 }, () => makeTx(mixedShape(r), r));
const HEIGHT = 1000;
const TIME = 1_700_000_000;
const built = buildBlock({ prev: new Uint8Array(32).fill(5), height: HEIGHT, time: TIME, txs: blockTxs });
const ctx: BlockContext = { params: R, height: HEIGHT, prevMedianTimePast: TIME - 3000 };
const others = Array.from({ length: 3000 }, () => makeTx(mixedShape(r), r));

/**
 * The node's own source: a relay cache holding the transactions as it holds relayed ones (frames
 * packed in its slabs, ids in its slot chunks, each tx's size without witness kept from arrival).
 */
function sourceOf(list: Uint8Array[]): RelayCacheTxSource {
  const cache = new RelayCache(256 * 1024 * 1024);
  for (const t of list) {
    // The frame header's bytes are never read by the rebuild; the cache keeps the frame as given.
    const frame = new Uint8Array(HEADER_SIZE + t.length);
    frame.set(t, HEADER_SIZE);
    const ids = txIds(t, hash256);
    cache.add('tx', ids.txid, 0, ids.wtxid, 0, frame, 0, frame.length, -1, false, ids.strippedSize);
  }
  return new RelayCacheTxSource(cache);
}
const pool = [...blockTxs, ...others];
for (let i = pool.length - 1; i > 0; i--) {
  const j = Math.floor(r() * (i + 1));
  [pool[i], pool[j]] = [pool[j]!, pool[i]!];
}
const fullSource = sourceOf(pool);
const missingSet = new Set<Uint8Array>();
for (let i = 0; i < blockTxs.length; i += 100) missingSet.add(blockTxs[i]!);
const partialSource = sourceOf(pool.filter((t) => !missingSet.has(t)));

const cmpctBytes = encodePayload(buildCmpctBlock(built.raw, 0x5eedn), PVER);
let sink = 0;

/** The node's helper thread for merkle trees (src/wasm/merkle-offload.ts), as the node runs it. */
const offload = new MerkleOffload();
/** As the node lays rebuilt blocks out: one resident buffer reused (src/node/compact-blocks.ts). */
let layoutBuf = new Uint8Array(0);
const reused: BlockLayout = {
  headroom: 24,
  alloc: (bytes) => (layoutBuf.length >= bytes ? layoutBuf : (layoutBuf = new Uint8Array(bytes))).subarray(0, bytes),
};
const rebuiltWith = (jobs: MerkleJobs | undefined): void => {
  const pb = new PartialBlock(decodePayload('cmpctblock', cmpctBytes, PVER));
  if (pb.init() !== 'ok') throw new Error('init');
  pb.fill(fullSource);
  if (pb.missingCount !== 0) throw new Error(`missing ${pb.missingCount}`);
  const trees = jobs !== undefined ? pb.postTrees(ctx, jobs) : undefined;
  let res: ReturnType<PartialBlock['finish']>;
  try {
    res = pb.finish(ctx, reused, trees);
  } finally {
    trees?.cancel();
  }
  if (res.status !== 'rebuilt') throw new Error(`finish: ${JSON.stringify(res)}`);
  sink ^= res.block.length;
  pb.release();
};
const rebuilt = (): void => rebuiltWith(undefined);
const rebuiltHelped = (): void => rebuiltWith(offload);
const withMissing = (): void => {
  const pb = new PartialBlock(decodePayload('cmpctblock', cmpctBytes, PVER));
  if (pb.init() !== 'ok') throw new Error('init');
  pb.fill(partialSource);
  const req = encodePayload(pb.missing(), PVER);
  sink ^= req.length;
  pb.release();
};

// bcoin: its mempool holds parsed TXs whose hashes are cached, as a running node's would.
const mempool = { map: new Map<string, { tx: unknown }>() };
for (const t of pool) {
  const tx = bcoin.TX.fromRaw(Buffer.from(t));
  tx.hash();
  tx.witnessHash();
  mempool.map.set(tx.hash('hex'), { tx });
}
const cmpctBuf = Buffer.from(cmpctBytes);
const bcoinRebuild = (): void => {
  const cb = bcoin.net.bip152.CompactBlock.fromRaw(cmpctBuf);
  if (!cb.init()) throw new Error('bcoin init');
  if (!cb.fillMempool(true, mempool)) throw new Error('bcoin fill');
  const block = cb.toBlock();
  const root = block.createMerkleRoot();
  if (root === null || root.toString('hex') !== block.merkleRoot) throw new Error('bcoin merkle');
  if (!block.getCommitmentHash().equals(block.createCommitmentHash())) throw new Error('bcoin commitment');
  sink ^= block.txs.length;
};

// Interleaved rounds: the machine is shared, so load drifts; each round times all three, and
// the ratio compares medians taken over the same stretch of time.
const ROUNDS = 25;
const ours: number[] = [];
const oursHelped: number[] = [];
const oursMissing: number[] = [];
const theirs: number[] = [];
timeUs(rebuilt, 0, 10);
timeUs(rebuiltHelped, 0, 10);
timeUs(withMissing, 0, 10);
timeUs(bcoinRebuild, 0, 3);
for (let i = 0; i < ROUNDS; i++) {
  ours.push(...timeUs(rebuilt, 3, 0));
  oursHelped.push(...timeUs(rebuiltHelped, 3, 0));
  oursMissing.push(...timeUs(withMissing, 3, 0));
  theirs.push(...timeUs(bcoinRebuild, 1, 0));
}
const a = {
  txs: TXS,
  blockBytes: built.raw.length,
  sourceTxs: pool.length,
  cmpctblockBytes: cmpctBytes.length,
  rebuiltUs: { median: median(ours), p90: pct(ours, 0.9) },
  rebuiltWithHelperThreadUs: { median: median(oursHelped), p90: pct(oursHelped, 0.9) },
  missing1pctToGetblocktxnUs: { median: median(oursMissing), p90: pct(oursMissing, 0.9), missing: missingSet.size },
  bcoinUs: { median: median(theirs), p90: pct(theirs, 0.9) },
  ratioVsBcoin: median(theirs) / median(ours),
  /** The same against the rebuild as the node runs it, its merkle trees shared with the helper thread. */
  ratioVsBcoinWithHelperThread: median(theirs) / median(oursHelped),
};
console.log(`(a) ${TXS}-tx block (${(built.raw.length / 1e6).toFixed(2)} MB), source of ${pool.length} txs, cmpctblock ${cmpctBytes.length} B`);
console.log(`    wirerelay rebuilt + checked      ${a.rebuiltUs.median.toFixed(0)} µs median (p90 ${a.rebuiltUs.p90.toFixed(0)})`);
console.log(`    the same, merkle trees shared with the helper thread ${a.rebuiltWithHelperThreadUs.median.toFixed(0)} µs median (p90 ${a.rebuiltWithHelperThreadUs.p90.toFixed(0)})`);
console.log(`    wirerelay 1 % missing → getblocktxn ${a.missing1pctToGetblocktxnUs.median.toFixed(0)} µs median (p90 ${a.missing1pctToGetblocktxnUs.p90.toFixed(0)})`);
console.log(`    bcoin decode + fill + merkle     ${a.bcoinUs.median.toFixed(0)} µs median`);
console.log(`    ratio bcoin / wirerelay          ${a.ratioVsBcoin.toFixed(1)}× on one thread, ${a.ratioVsBcoinWithHelperThread.toFixed(1)}× as the node runs it (helper thread) (target ≥ 10×)`);

// ---------------------------------------------------------------------------------------------
// (b) header verification throughput
// ---------------------------------------------------------------------------------------------
function benchHeaderPow(): object {
  const NH = 2000;
  const hdrs = new Uint8Array(80 * NH);
  for (let i = 0; i < NH; i++) {
    const h = hdrs.subarray(80 * i, 80 * i + 80);
    for (let k = 0; k < 80; k++) h[k] = (i * 31 + k * 7) & 0xff;
    new DataView(hdrs.buffer, 80 * i).setUint32(72, 0x207fffff, true);
  }
  const limit = u256le(R.powLimit);
  const targetCache = new Map<number, Uint8Array>();
  const nativeCheck = (): void => {
    let ok = 0;
    for (let i = 0; i < NH; i++) {
      const h = hdrs.subarray(80 * i, 80 * i + 80);
      const d = cryptoHash('sha256', cryptoHash('sha256', h, 'buffer'), 'buffer');
      const bits = h[72]! | (h[73]! << 8) | (h[74]! << 16) | (h[75]! << 24);
      let t = targetCache.get(bits);
      if (t === undefined) targetCache.set(bits, (t = u256le(compactToTarget(bits).target)));
      let k = 31;
      while (k >= 0 && d[k] === t[k]) k--;
      if (k < 0 || d[k]! < t[k]!) ok++;
    }
    sink ^= ok;
  };
  const wasmCheck = (): void => {
    sink ^= checkHeadersPow(hdrs, 0, NH, limit).bad;
  };
  const nat: number[] = [];
  const was: number[] = [];
  timeUs(nativeCheck, 0, 5);
  timeUs(wasmCheck, 0, 5);
  for (let i = 0; i < 30; i++) {
    nat.push(...timeUs(nativeCheck, 1, 0));
    was.push(...timeUs(wasmCheck, 1, 0));
  }
  const b = {
    headersPerCall: NH,
    wasmHeadersPerSec: Math.round(NH / (median(was) / 1e6)),
    nativeHeadersPerSec: Math.round(NH / (median(nat) / 1e6)),
    ratio: median(nat) / median(was),
  };
  console.log(`(b) header PoW: WASM batch ${(b.wasmHeadersPerSec / 1e6).toFixed(2)} M/s, node:crypto loop ${(b.nativeHeadersPerSec / 1e6).toFixed(2)} M/s, ratio ${b.ratio.toFixed(2)}× (target ≥ 3×)`);
  return b;
}

// ---------------------------------------------------------------------------------------------
// (c) a mainnet-sized chain
// ---------------------------------------------------------------------------------------------
async function benchChain(): Promise<object> {
  const N = Number(process.env.HEADERS ?? 900_000);
  const T0 = 1296688602;
  const genHeaders = (): Uint8Array => {
    const out = new Uint8Array(80 * N);
    let prev = dsha(R.genesisHeader);
    for (let i = 0; i < N; i++) {
      const h = out.subarray(80 * i, 80 * i + 80);
      const dv = new DataView(out.buffer, 80 * i, 80);
      dv.setInt32(0, 0x20000000, true);
      h.set(prev, 4);
      dv.setUint32(36, i, true);
      dv.setUint32(68, T0 + 600 * (i + 1), true);
      dv.setUint32(72, 0x207fffff, true);
      // Regtest target is 0x7fffff·2^232: a top byte below 0x7f always meets it (about half do).
      for (let nonce = 0; ; nonce++) {
        dv.setUint32(76, nonce, true);
        const d = cryptoHash('sha256', cryptoHash('sha256', h, 'buffer'), 'buffer');
        if (d[31]! < 0x7f) {
          prev = d;
          break;
        }
      }
    }
    return out;
  };
  let t = process.hrtime.bigint();
  const all = genHeaders();
  const genMs = Number(process.hrtime.bigint() - t) / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'wirerelay-bench-headers-'));
  const path = join(dir, 'headers.dat');
  const NOW = T0 + 600 * (N + 10);
  const heapBefore = process.memoryUsage();
  t = process.hrtime.bigint();
  const opened = await HeaderFile.open(path, R, undefined, N + 16);
  const chain: HeaderChain = opened.chain;
  for (let at = 0; at < N; at += 2000) {
    const k = Math.min(2000, N - at);
    const res = chain.acceptHeaders(1, all, 80 * at, k, NOW, Infinity);
    if (res.reject !== undefined || res.stored !== k) throw new Error(`accept at ${at}: ${JSON.stringify(res.reject)}`);
  }
  const acceptMs = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  await opened.file.flush(chain);
  await opened.file.close();
  const flushMs = Number(process.hrtime.bigint() - t) / 1e6;
  const heapAfter = process.memoryUsage();
  t = process.hrtime.bigint();
  const re = await HeaderFile.open(path, R);
  const reopenMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (re.chain.tipHeight !== N) throw new Error(`reopened at ${re.chain.tipHeight}, expected ${N}`);
  await re.file.close();
  rmSync(dir, { recursive: true, force: true });
  const c = {
    headers: N,
    generateMs: Math.round(genMs),
    acceptMs: Math.round(acceptMs),
    acceptHeadersPerSec: Math.round(N / (acceptMs / 1e3)),
    flushMs: Math.round(flushMs),
    reopenMs: Math.round(reopenMs),
    bytesPerHeader: +(chain.byteSize / chain.size).toFixed(1),
    chainMB: +(chain.byteSize / 1e6).toFixed(1),
    arrayBuffersDeltaMB: +((heapAfter.arrayBuffers - heapBefore.arrayBuffers) / 1e6).toFixed(1),
  };
  console.log(`(c) ${N} regtest headers: accepted in ${c.acceptMs} ms (${(c.acceptHeadersPerSec / 1e3).toFixed(0)}k/s, full contextual checks), file written in ${c.flushMs} ms, reopened in ${c.reopenMs} ms`);
  console.log(`    memory: ${c.bytesPerHeader} B per header in the chain's arrays (${c.chainMB} MB; ArrayBuffers grew ${c.arrayBuffersDeltaMB} MB)`);
  return c;
}

// ---------------------------------------------------------------------------------------------
// (d) the node hop
// ---------------------------------------------------------------------------------------------
async function benchNodeHop(): Promise<object> {
  const blocks = Number(process.env.HOP_BLOCKS ?? 20);
  // Part (a) leaves bcoin's garbage behind: hundreds of thousands of node:crypto Hash objects, each
  // with a weak handle, whose processing made scavenges during the hop take 15-40 ms. The node
  // should not pay for them: collect them first (npm run bench:block runs with --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const row = (us: number[]): { median: number; p90: number } => ({ median: Math.round(median(us)), p90: Math.round(pct(us, 0.9)) });
  // The first block of each case warms the node's code paths up; it is left out of the figures.
  const full = await measureNodeHop({ blocks: blocks + 1, txsPerBlock: TXS, missingShare: 0, seed: 7 });
  const miss = await measureNodeHop({ blocks: blocks + 1, txsPerBlock: TXS, missingShare: 0.01, seed: 8 });
  const d = {
    blocks,
    txsPerBlock: TXS,
    blockBytes: full.blockBytes,
    highBandwidthPeers: 3,
    allInCacheToThreeCmpctblocksUs: row(full.us.slice(1)),
    nodeOwnHopUs: row(full.nodeUs.slice(1)),
    missing1pctToGetblocktxnUs: { ...row(miss.us.slice(1)), missing: miss.missingPerBlock },
    missing1pctBlocktxnToPushUs: row(miss.nodeUs.slice(1)),
    ratioVsBcoin: a.bcoinUs.median / median(full.us.slice(1)),
    /**
     * Share of the blocks' merkle-tree chunks the helper thread hashed (wirerelay_merkle_chunks_total):
     * it says the helper got a CPU, not that it ran beside this thread (where the scheduler runs it on
     * this thread's vCPU, the two take turns).
     */
    helperChunkShare: Number((full.helperShare.slice(1).reduce((x, y) => x + y, 0) / blocks).toFixed(3)),
  };
  console.log(`(d) node hop, ${TXS}-tx blocks, loopback TCP, 3 high-bandwidth sinks, ${blocks} blocks per case`);
  console.log(`    cmpctblock written → read by all 3 sinks     ${d.allInCacheToThreeCmpctblocksUs.median} µs median (p90 ${d.allInCacheToThreeCmpctblocksUs.p90}) (target ≤ 2,000)`);
  console.log(`    the node's own hop (frame handled → pushes queued, wirerelay_block_hop_seconds) ${d.nodeOwnHopUs.median} µs median (p90 ${d.nodeOwnHopUs.p90})`);
  console.log(`      the helper thread hashed ${(100 * d.helperChunkShare).toFixed(0)} % of the merkle chunks`);
  console.log(`    1 % missing: cmpctblock → getblocktxn read   ${d.missing1pctToGetblocktxnUs.median} µs median (p90 ${d.missing1pctToGetblocktxnUs.p90})`);
  console.log(`    1 % missing: the node's own hop from the blocktxn   ${d.missing1pctBlocktxnToPushUs.median} µs median (p90 ${d.missing1pctBlocktxnToPushUs.p90})`);
  console.log(`    ratio bcoin rebuild (a) / node hop           ${d.ratioVsBcoin.toFixed(1)}×`);
  return d;
}

// Parts not run keep their figures from the last run that had them.
const resultsUrl = new URL('../../bench/results/block.json', import.meta.url);
let previous: Record<string, unknown> = {};
try {
  previous = JSON.parse(readFileSync(resultsUrl, 'utf8')) as Record<string, unknown>;
} catch {
  // first run
}
const result = {
  ...previous,
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  compactBlock: a,
  ...(PARTS.has('b') ? { headerPow: benchHeaderPow() } : {}),
  ...(PARTS.has('c') ? { headerChain: await benchChain() } : {}),
  ...(PARTS.has('d') ? { nodeHop: await benchNodeHop() } : {}),
  sink,
};
mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
writeFileSync(resultsUrl, JSON.stringify(result, null, 2) + '\n');
await offload.close();
