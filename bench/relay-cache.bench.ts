/**
 * The relay cache under a fill and a turnover, the way the load harness's push steps use it:
 * 274-byte tx frames copied out of a 64 KiB read buffer into a 64 MiB cache until it is full
 * (~245k items), then as many again (every add evicts). Reports the worst single add() (a growth
 * stall shows here), the GC pauses during the run (PerformanceObserver 'gc'), a forced full
 * collection with the cache full, and the JS heap the cache leaves behind.
 *
 *   npm run build && node --expose-gc dist/bench/relay-cache.bench.js [--items N] [--rounds N]
 *
 * Wall-clock single calls on a shared machine include preemption: read the worst add and the GC
 * maxima over several rounds, and the heap and full-collection figures as the steady ones.
 */
import { randomBytes } from 'node:crypto';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { RelayCache } from '../src/relay/relay-cache.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(name);
  return i < 0 ? d : Number(process.argv[i + 1]);
};
const ITEMS = arg('--items', 245_000);
const ROUNDS = arg('--rounds', 3);
const FRAME = 274;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const pauses: number[] = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) pauses.push(e.duration);
}).observe({ entryTypes: ['gc'] });

async function round(): Promise<Record<string, number>> {
  const c = new RelayCache(64 * 1024 * 1024);
  const read = randomBytes(64 * 1024);
  const ids = new Uint8Array(64);
  const dv = new DataView(ids.buffer);
  pauses.length = 0;
  let worst = 0;
  let over1ms = 0;
  const t0 = performance.now();
  for (let i = 0; i < 2 * ITEMS; i++) {
    // Distinct txid and wtxid per item (the index hashes bytes 0–3 and 8–11).
    dv.setUint32(0, i, true);
    dv.setUint32(8, i ^ 0x5a5a5a5a, true);
    dv.setUint32(32, i, true);
    dv.setUint32(40, ~i, true);
    const off = (i * FRAME) % (read.length - FRAME);
    const a = performance.now();
    c.add('tx', ids, 0, ids, 32, read, off, FRAME, 1, false);
    const d = performance.now() - a;
    if (d > worst) worst = d;
    if (d > 1) over1ms++;
  }
  const ms = performance.now() - t0;
  // 'gc' entries are delivered on a later turn.
  await new Promise((r) => setTimeout(r, 50));
  const during = [...pauses].sort((x, y) => x - y);
  const full: number[] = [];
  for (let k = 0; k < 5; k++) {
    const a = performance.now();
    gc!();
    full.push(performance.now() - a);
  }
  full.sort((x, y) => x - y);
  return {
    items: c.size,
    nsPerAdd: (ms * 1e6) / (2 * ITEMS),
    worstAddMs: worst,
    addsOver1ms: over1ms,
    gcPauses: during.length,
    gcMaxMs: during.at(-1) ?? 0,
    gcTotalMs: during.reduce((x, y) => x + y, 0),
    fullGcMs: full[2]!,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

console.log(`relay-cache.bench  node ${process.version}  ${ITEMS} items of ${FRAME} B into 64 MiB, then as many again`);
for (let r = 0; r < ROUNDS; r++) {
  const x = await round();
  console.log(
    `round ${r + 1}: ${x.items} items, ${x.nsPerAdd!.toFixed(0)} ns/add, worst add ${x.worstAddMs!.toFixed(2)} ms (${x.addsOver1ms} over 1 ms), ` +
      `GC ${x.gcPauses} pauses max ${x.gcMaxMs!.toFixed(2)} ms total ${x.gcTotalMs!.toFixed(1)} ms, full GC ${x.fullGcMs!.toFixed(2)} ms, heap ${x.heapUsedMb!.toFixed(1)} MB`,
  );
}
