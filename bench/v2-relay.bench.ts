/**
 * End to end, v2 against v1 in the same run: two wirerelay nodes in this process on loopback TCP,
 * A dialled by B; transactions injected at A travel inv → getdata → tx to B. Measures delivered
 * transactions per second with both nodes on `--transport v1only` and on `v2`. The target
 * is v2 ≥ 70 % of v1. One process runs both nodes, so this is a ratio, not a node's capacity
 * (that is the load harness, bench/load).
 *
 *   node dist/bench/v2-relay.bench.js [--quick]          writes bench/results/v2-relay.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRelay, type RelayNode } from '../src/node/relay-node.js';
import type { TransportMode } from '../src/types.js';

const quick = process.argv.includes('--quick');
const BATCH = 2000;

function rawTx(tag: number): Uint8Array {
  const b: number[] = [2, 0, 0, 0, 1];
  for (let i = 0; i < 32; i++) b.push((tag >>> ((i & 3) * 8)) & 0xff);
  b.push(0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0x50, 0xc3, 0, 0, 0, 0, 0, 0, 1, 0x51, 0, 0, 0, 0);
  return new Uint8Array(b);
}

async function run(mode: TransportMode, seconds: number, tagBase: number): Promise<{ mode: string; txPerSec: number; txs: number }> {
  const opts = { listen: '127.0.0.1:0', http: null, logLevel: 'silent' as const, workers: 0, trickleIntervalMs: 0, targetOutbound: 0, transport: mode };
  const a: RelayNode = createRelay(opts);
  await a.start();
  const b: RelayNode = createRelay({ ...opts, connect: [a.listenAddress!] });
  await b.start();
  while (!(a.peers().some((p) => p.state === 'established') && b.peers().some((p) => p.state === 'established'))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const transport = b.peers()[0]!.transport;
  let seen = 0;
  b.on('tx', () => seen++);
  let tag = tagBase;
  let sent = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const target = seen + BATCH;
    for (let i = 0; i < BATCH; i++) a.relayTransaction(rawTx(tag++));
    sent += BATCH;
    while (seen < target) await new Promise((r) => setImmediate(r));
  }
  const elapsed = (performance.now() - t0) / 1000;
  await b.stop();
  await a.stop();
  console.log(`${mode.padEnd(7)} (${transport}) ${(sent / elapsed).toFixed(0).padStart(8)} tx/s delivered A → B (${sent} txs in ${elapsed.toFixed(1)} s)`);
  return { mode: `${mode} (${transport})`, txPerSec: sent / elapsed, txs: sent };
}

async function main(): Promise<void> {
  const seconds = quick ? 2 : 6;
  await run('v1only', 1, 1_000_000); // warm-up: JIT and WASM tier-up
  await run('v2', 1, 2_000_000);
  const rows = [];
  for (let round = 0; round < 2; round++) {
    rows.push(await run('v1only', seconds, 10_000_000 * (round + 1)));
    rows.push(await run('v2', seconds, 10_000_000 * (round + 1) + 5_000_000));
  }
  const v1 = rows.filter((r) => r.mode.startsWith('v1only')).reduce((s, r) => s + r.txPerSec, 0) / 2;
  const v2 = rows.filter((r) => r.mode.startsWith('v2')).reduce((s, r) => s + r.txPerSec, 0) / 2;
  const ratio = v2 / v1;
  console.log(`\nv2 / v1: ${(ratio * 100).toFixed(0)} % (target >= 70 %) ${ratio >= 0.7 ? 'met' : 'MISSED'}`);
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}v2-relay.json`;
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, quick, rows, ratio }, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
