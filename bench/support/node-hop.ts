/**
 * A block's hop through a real node (issue 19's target), in process over loopback TCP: a RelayNode
 * on this thread; a raw sender peer and three raw sink peers that asked for high-bandwidth compact
 * blocks (`sendcmpct(1, 2)`) in a worker thread (bench/support/hop-peers.ts), so that their reads
 * do not wait for whatever the node does after its writes. The blocks are built before the clock
 * ever runs (their garbage is the harness's, not the node's). Each block's transactions enter the
 * relay cache first (relayTransaction); then the sender writes the block's `cmpctblock` frame and
 * the worker's clock runs until
 *
 * - every sink has read a complete `cmpctblock` frame (nothing missing), or
 * - the sender has read the `getblocktxn` (some transactions left out of the cache); the sender
 *   then answers with `blocktxn`, untimed, so that the chain moves on.
 *
 * The times include the loopback TCP both ways and the turns of both event loops: an upper bound
 * of the node's own hop (frame read → frames written).
 */
import { Worker } from 'node:worker_threads';
import { buildCmpctBlock } from '../../src/chain/compact/build-compact.js';
import { chainParams } from '../../src/chain/params.js';
import { createRelay } from '../../src/node/relay-node.js';
import { readMetric } from '../load/node-metrics.js';
import { parsePrometheus } from '../load/proc-stats.js';
import { messageFrame } from '../load/wire-lite.js';
import { buildBlock, dsha, makeTx, mixedShape, rng } from './blocks.js';
import type { HopRequest } from './hop-peers.js';

export interface HopOptions {
  readonly blocks: number;
  readonly txsPerBlock: number;
  /** Share of each block's transactions (coinbase aside) left out of the relay cache: 0 or e.g. 0.01. */
  readonly missingShare: number;
  readonly seed: number;
}

/** Microseconds per block, in block order. */
export interface HopResult {
  readonly us: number[];
  /**
   * The node's own hop per block, from the growth of its wirerelay_block_hop_seconds{via=
   * "cmpctblock"} sum across that block: the handling of the frame that completed the block (the
   * cmpctblock, or the blocktxn) to the pushes queued. No loopback, no event-loop wake-ups.
   */
  readonly nodeUs: number[];
  /**
   * Per block, the share of its merkle-tree chunks the helper thread hashed
   * (wirerelay_merkle_chunks_total{by}): near 0 when the helper did not get a CPU of its own in time
   * and this thread hashed both trees.
   */
  readonly helperShare: number[];
  readonly blockBytes: number;
  readonly missingPerBlock: number;
}

export async function measureNodeHop(o: HopOptions): Promise<HopResult> {
  const node = createRelay({ listen: '127.0.0.1:0', dataDir: null, targetOutbound: 0, workers: 0, trickleIntervalMs: 0, logLevel: 'warn' });
  await node.start();
  const port = Number(node.listenAddress!.split(':')[1]);
  const worker = new Worker(new URL('./hop-peers.js', import.meta.url), { workerData: { port } });
  const replies: unknown[] = [];
  const waiting: Array<(v: unknown) => void> = [];
  worker.on('message', (m) => {
    const w = waiting.shift();
    if (w !== undefined) w(m);
    else replies.push(m);
  });
  const reply = (): Promise<unknown> => (replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((r) => waiting.push(r)));
  const ask = async (req: HopRequest): Promise<number> => {
    worker.postMessage(req);
    return (await reply()) as number;
  };
  try {
    await reply(); // 'ready': handshakes done, three high-bandwidth sinks
    const r = rng(o.seed);
    const t0 = Math.floor(Date.now() / 1000) - 2 * 3600;
    const step = o.missingShare > 0 ? Math.round(1 / o.missingShare) : 0;
    const blocks: Array<{ txs: Uint8Array[]; left: number[]; cmpct: Uint8Array; blocktxn: Uint8Array }> = [];
    let prev = dsha(chainParams('regtest').genesisHeader);
    let blockBytes = 0;
    for (let h = 1; h <= o.blocks; h++) {
      const b = buildBlock({ prev, height: h, time: t0 + h, txs: Array.from({ length: o.txsPerBlock - 1 }, () => makeTx(mixedShape(r), r)) });
      const left: number[] = [];
      if (step > 0) for (let i = 1; i < b.txs.length; i += step) left.push(i);
      const blocktxn = messageFrame({ command: 'blocktxn', blockHash: b.hash, txs: left.map((i) => b.txs[i]!) });
      blocks.push({ txs: b.txs, left, cmpct: messageFrame(buildCmpctBlock(b.raw, BigInt(h))), blocktxn });
      blockBytes = b.raw.length;
      prev = b.hash;
    }
    const us: number[] = [];
    const nodeUs: number[] = [];
    const helperShare: number[] = [];
    for (let h = 1; h <= o.blocks; h++) {
      const before = hopMetric(await node.metricsText());
      const { txs, left, cmpct, blocktxn } = blocks[h - 1]!;
      const skip = new Set(left);
      for (let i = 1; i < txs.length; i++) if (!skip.has(i)) node.relayTransaction(txs[i]!);
      // The event loop idle when the clock starts.
      await new Promise((res) => setImmediate(res));
      us.push(await ask({ frame: cmpct, until: left.length === 0 ? 'sinks' : 'getblocktxn', count: h }));
      if (left.length > 0) await ask({ frame: blocktxn, until: 'sinks', count: h });
      // The block is on the chain: the next one builds on it.
      if (node.status().chain?.height !== h) throw new Error(`block ${h} not relayed`);
      const after = hopMetric(await node.metricsText());
      if (after.count !== before.count + 1) throw new Error(`block ${h}: ${after.count - before.count} hops counted`);
      nodeUs.push(1e6 * (after.sum - before.sum));
      const helper = after.helper - before.helper;
      const all = helper + after.here - before.here;
      helperShare.push(all > 0 ? helper / all : 0);
    }
    return { us, nodeUs, helperShare, blockBytes, missingPerBlock: blocks[0]?.left.length ?? 0 };
  } finally {
    worker.postMessage('close');
    await new Promise((res) => worker.once('exit', res));
    await node.stop();
  }
}

/**
 * The cmpctblock hop histogram's sum (seconds) and count, and the merkle chunks by thread, from the
 * node's metrics text. The histogram's series appears with its first observation (0 before it);
 * the chunk counter is always exported, so its absence is an error, not a zero.
 */
function hopMetric(text: string): { sum: number; count: number; helper: number; here: number } {
  const m = parsePrometheus(text);
  const hop = (suffix: string): number => readMetric(m, `wirerelay_block_hop_seconds_${suffix}`, { via: 'cmpctblock' }) ?? 0;
  const chunks = (by: string): number => {
    const v = readMetric(m, 'wirerelay_merkle_chunks_total', { by });
    if (v === null) throw new Error('the node exports no wirerelay_merkle_chunks_total');
    return v;
  };
  return { sum: hop('sum'), count: hop('count'), helper: chunks('helper'), here: chunks('here') };
}
