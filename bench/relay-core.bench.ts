/**
 * The node's own cost per delivered transaction, without the kernel: the real pipeline from the
 * socket-read callback to the socket write, with N source and M sink peers whose sockets are
 * in-memory byte counters. 4 → 4, 250-byte transactions, in two modes:
 *  - push: sources send `tx` unsolicited;
 *  - inv: sources announce (`inv`), the node asks (`getdata`), the source answers with the `tx`.
 * Either way the node announces each new transaction to the sinks, which ask for it with
 * `getdata` and receive the `tx` (the load harness's protocol, bench/load).
 *
 * Baseline, measured in the same run: the naive relay of the load harness (bench/load/naive-relay.ts:
 * plain TypeScript framing, node:crypto hashes, one write per message), driven by the same sockets.
 *
 * CPU time is split in two: the driver's (building source input, parsing what sinks receive,
 * answering `inv` with `getdata`) is measured with process.cpuUsage around its work and subtracted,
 * so "node µs per delivered tx" is the rest: the socket-read callbacks, the node's event-loop work
 * and its writes into the byte counters. CPU time, not wall time: the machine is shared.
 * Writes bench/results/relay-core.json. Usage: npm run bench:relay-core [-- --quick]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRelay } from '../src/node/relay-node.js';
import type { RelayNode } from '../src/node/relay-node.js';
import { NaiveRelay } from './load/naive-relay.js';
import { MemSocket } from './support/mem-socket.js';
import { doubleSha256, frame, invPayload, stampedTx, versionFrame } from './load/wire-lite.js';

const SOURCES = 4;
const SINKS = 4;
const TX_BYTES = 250;
/** Transactions each source sends per event-loop turn (one socket read). */
const PER_TURN = 32;
const quick = process.argv.includes('--quick');
const TXS_PER_SOURCE = quick ? 10_000 : 40_000;
const POOL_ONLY = process.argv.includes("--pool-only");
const ROUNDS = quick ? 3 : 5;
/** `--only wirerelay` runs just our pipeline (for `node --cpu-prof`). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

type Mode = 'push' | 'inv';

/** Walks the frames of `chunks` (a stream: a frame may span chunks) and calls `on` for each. */
class Framer {
  private buf: Buffer = Buffer.alloc(0);
  feed(chunk: Buffer, on: (command: string, payload: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    while (this.buf.length - pos >= 24) {
      const len = this.buf.readUInt32LE(pos + 16);
      if (this.buf.length - pos < 24 + len) break;
      let end = pos + 4;
      while (end < pos + 16 && this.buf[end] !== 0) end++;
      on(this.buf.toString('latin1', pos + 4, end), this.buf.subarray(pos + 24, pos + 24 + len));
      pos += 24 + len;
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(pos));
  }
}

interface Harness {
  attach(socket: MemSocket): void;
  /** Every attached peer finished its handshake. */
  ready(): boolean;
  /** What the relay knows about a shortfall (peers left, drops by reason). */
  diag(): string;
  close(): Promise<void>;
}

async function wirerelayHarness(pool = false): Promise<Harness> {
  const node: RelayNode = createRelay({
    listen: null,
    http: null,
    targetOutbound: 0,
    // pool: every batch is verified in one worker thread (poolMinBytes 0), to see whether moving
    // the hashing off the main thread raises throughput on this machine.
    workers: pool ? 1 : 0,
    poolMinBytes: pool ? 0 : undefined,
    logLevel: 'silent',
    trickleIntervalMs: 0,
    network: 'regtest',
  });
  await node.start();
  const gone: Record<string, number> = {};
  node.on('peerDisconnect', (_info, reason) => (gone[reason] = (gone[reason] ?? 0) + 1));
  return {
    attach: (s) => node.attachConnection(s as never, `${s.remoteAddress}:${s.remotePort}`, 'inbound'),
    ready: () => node.peers().every((p) => p.state === 'established'),
    diag: () => {
      const drops: Record<string, number> = {};
      for (const f of node.flows(100, 'bytes')) for (const [k, v] of Object.entries(f.drops)) if (v > 0) drops[k] = (drops[k] ?? 0) + v;
      return JSON.stringify({ peers: node.peers().length, gone, cache: node.status().relayCache.items, drops });
    },
    close: () => node.stop(),
  };
}

async function naiveHarness(): Promise<Harness> {
  const relay = new NaiveRelay();
  // The naive relay's connection handler, given our in-memory socket instead of a TCP one.
  const onConnection = (relay as unknown as { onConnection(s: unknown): void }).onConnection.bind(relay);
  return { attach: (s) => onConnection(s), ready: () => true, diag: () => '', close: () => relay.close() };
}

interface Corpus {
  /** Per source: the tx frames it sends, and per turn one inv frame announcing them. */
  readonly txFrames: Buffer[][];
  readonly invFrames: Buffer[][];
  /** txid (latin1) → tx frame, for sources answering getdata. */
  readonly byId: Map<string, Buffer>;
}

function buildCorpus(): Corpus {
  const txFrames: Buffer[][] = [];
  const invFrames: Buffer[][] = [];
  const byId = new Map<string, Buffer>();
  for (let s = 0; s < SOURCES; s++) {
    const frames: Buffer[] = [];
    const invs: Buffer[] = [];
    for (let t = 0; t < TXS_PER_SOURCE; t += PER_TURN) {
      const ids: Buffer[] = [];
      for (let k = t; k < Math.min(TXS_PER_SOURCE, t + PER_TURN); k++) {
        const tx = stampedTx(TX_BYTES, { sourceId: s, seq: k, epoch: 0, atMs: 0, measured: false });
        const id = doubleSha256(tx);
        const f = frame('tx', tx);
        frames.push(f);
        ids.push(id);
        byId.set(id.toString('latin1'), f);
      }
      invs.push(frame('inv', invPayload(ids)));
    }
    txFrames.push(frames);
    invFrames.push(invs);
  }
  return { txFrames, invFrames, byId };
}

interface RunResult {
  delivered: number;
  elapsedMs: number;
  driverMs: number;
  cpuMs: number;
  /** CPU of this process minus the driver's, per delivered tx. */
  nodeUsPerTx: number;
  /** Wall time of the whole run (driver included) per delivered tx. */
  wallUsPerTx: number;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function run(make: () => Promise<Harness>, mode: Mode, corpus: Corpus): Promise<RunResult> {
  const h = await make();
  const sources = Array.from({ length: SOURCES }, (_, i) => new MemSocket(`127.0.0.${10 + i}`, 40000 + i));
  const sinks = Array.from({ length: SINKS }, (_, i) => new MemSocket(`127.0.0.${10 + SOURCES + i}`, 40000 + SOURCES + i));
  const framers = new Map<MemSocket, Framer>();
  for (const s of [...sources, ...sinks]) {
    framers.set(s, new Framer());
    h.attach(s);
  }
  // Handshake: sources ask not to get announcements (BIP37 relay=false); sinks want them.
  for (const s of sources) s.emit('data', Buffer.concat([versionFrame(1n + BigInt(s.remotePort), false), frame('verack', new Uint8Array(0))]));
  for (const s of sinks) s.emit('data', Buffer.concat([versionFrame(1n + BigInt(s.remotePort), true), frame('verack', new Uint8Array(0))]));
  // A pool-verified handshake completes when the worker answers: wait for it.
  for (let i = 0; i < 3 || !h.ready(); i++) {
    if (i > 1000) throw new Error('handshakes did not complete');
    await new Promise((r) => setTimeout(r, i < 3 ? 0 : 5));
  }
  for (const s of [...sources, ...sinks]) s.take();

  const total = SOURCES * TXS_PER_SOURCE;
  let delivered = 0;
  let driverMs = 0;
  let cursor = 0;
  const turns = Math.ceil(TXS_PER_SOURCE / PER_TURN);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const expected = total * SINKS;
  // Ends when everything arrived, or nothing moved for 2 s (a pool batch may take a while).
  let lastProgress = performance.now();
  let lastDelivered = 0;
  while (delivered < expected && performance.now() - lastProgress < 2000) {
    // Driver: what the node wrote. Sinks answer inv with getdata; sources answer getdata with tx.
    const d0 = process.cpuUsage();
    const replies: [MemSocket, Buffer][] = [];
    for (const s of sinks) {
      framers.get(s)!.feed(s.take(), (command, payload) => {
        if (command === 'tx') delivered++;
        else if (command === 'inv') replies.push([s, frame('getdata', payload)]);
      });
    }
    for (const s of sources) {
      framers.get(s)!.feed(s.take(), (command, payload) => {
        if (command !== 'getdata') return;
        const wide = payload[0] === 0xfd;
        const n = wide ? payload.readUInt16LE(1) : payload[0]!;
        const at = wide ? 3 : 1;
        const parts: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          const f = corpus.byId.get(payload.toString('latin1', at + 4 + 36 * i, at + 36 + 36 * i));
          if (f === undefined) throw new Error(`getdata for a transaction the source never announced (entry ${i} of ${n})`);
          parts.push(f);
        }
        replies.push([s, Buffer.concat(parts)]);
      });
    }
    const inputs: [MemSocket, Buffer][] = [];
    if (cursor < turns) {
      for (let i = 0; i < SOURCES; i++) {
        if (mode === 'inv') inputs.push([sources[i]!, corpus.invFrames[i]![cursor]!]);
        else inputs.push([sources[i]!, Buffer.concat(corpus.txFrames[i]!.slice(cursor * PER_TURN, (cursor + 1) * PER_TURN))]);
      }
      cursor++;
    }
    const dd = process.cpuUsage(d0);
    driverMs += (dd.user + dd.system) / 1000;
    if (delivered !== lastDelivered || replies.length > 0 || inputs.length > 0) {
      lastDelivered = delivered;
      lastProgress = performance.now();
    }
    // Node: the socket-read callbacks, then one event-loop turn for its flushes.
    for (const [s, b] of replies) s.emit('data', b);
    for (const [s, b] of inputs) s.emit('data', b);
    await turn();
  }
  const elapsedMs = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  if (delivered < expected) console.warn(`  ${h.diag()}`);
  await h.close();
  const cpuMs = (c.user + c.system) / 1000;
  if (delivered < expected) console.warn(`  ${mode}: delivered only ${delivered} of ${expected}`);
  return {
    delivered,
    elapsedMs,
    driverMs,
    cpuMs,
    nodeUsPerTx: ((cpuMs - driverMs) * 1000) / Math.max(1, delivered),
    wallUsPerTx: (elapsedMs * 1000) / Math.max(1, delivered),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  console.log(`relay-core.bench  node ${process.version}  ${cpus()[0]?.model ?? '?'} ×${cpus().length}  ${SOURCES}→${SINKS}, ${TX_BYTES}-byte txs, ${SOURCES * TXS_PER_SOURCE} txs per run, median of ${ROUNDS}`);
  const corpus = buildCorpus();
  const out: Record<string, unknown> = {};
  // Warm-up (tier-up of both pipelines), not reported.
  await run(wirerelayHarness, 'push', corpus);
  if (only === 'wirerelay') {
    for (const mode of ['push', 'inv'] as const) {
      const r = await run(wirerelayHarness, mode, corpus);
      console.log(`${mode.padEnd(5)} wirerelay ${r.nodeUsPerTx.toFixed(2)} µs/delivered tx (no baseline: --only)`);
    }
    return;
  }
  await run(naiveHarness, 'push', corpus);
  for (const mode of POOL_ONLY ? [] : (['push', 'inv'] as const)) {
    const ours: RunResult[] = [];
    const naive: RunResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await run(wirerelayHarness, mode, corpus));
      naive.push(await run(naiveHarness, mode, corpus));
    }
    const o = median(ours.map((x) => x.nodeUsPerTx));
    const n = median(naive.map((x) => x.nodeUsPerTx));
    const ratio = n / o;
    console.log(
      `${mode.padEnd(5)} wirerelay ${o.toFixed(2)} µs/delivered tx (${(1e6 / o / 1000).toFixed(0)}k/s of node time)  naive ${n.toFixed(2)} µs  ratio ${ratio.toFixed(2)}×  [targets ≤ 2 µs, ≥ 5×]  delivered ${ours[0]!.delivered}`,
    );
    out[mode] = { wirerelayUsPerTx: o, naiveUsPerTx: n, ratio, runs: { wirerelay: ours, naive } };
  }
  // Inline versus the worker pool, push mode: CPU per delivered tx (the worker's CPU included: it
  // is this process) and wall-clock deliveries per second with the driver on the main thread.
  const inline: RunResult[] = [];
  const pooled: RunResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    inline.push(await run(() => wirerelayHarness(false), 'push', corpus));
    pooled.push(await run(() => wirerelayHarness(true), 'push', corpus));
  }
  const rate = (xs: RunResult[]): number => median(xs.map((x) => (x.delivered * 1000) / x.elapsedMs));
  const cpuOf = (xs: RunResult[]): number => median(xs.map((x) => x.nodeUsPerTx));
  console.log(
    `pool  push, inline ${cpuOf(inline).toFixed(2)} µs/tx CPU, ${(rate(inline) / 1000).toFixed(0)}k deliveries/s wall;  every batch in the pool ${cpuOf(pooled).toFixed(2)} µs/tx CPU, ${(rate(pooled) / 1000).toFixed(0)}k/s wall  (pool/inline throughput ${(rate(pooled) / rate(inline)).toFixed(2)}×)`,
  );
  out.pool = { inlineUsPerTx: cpuOf(inline), poolUsPerTx: cpuOf(pooled), inlineDeliveriesPerSec: rate(inline), poolDeliveriesPerSec: rate(pooled), runs: { inline, pooled } };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/relay-core.json',
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, sources: SOURCES, sinks: SINKS, txBytes: TX_BYTES, perTurn: PER_TURN, txsPerRun: SOURCES * TXS_PER_SOURCE, ...out }, null, 2)}\n`,
  );
  console.log('wrote bench/results/relay-core.json');
}

await main();
