/**
 * Flow sweep, in process: cost of FlowTable.record (the per-message flow accounting the node does
 * on every relayed item) and bytes per flow at 10k, 100k and 1M flows. Driving 1M flows over
 * sockets needs ~1,000 × 1,000 connected peer pairs, beyond two shared cores, so this sweep calls
 * the node's own FlowTable directly, as bench/flows.bench.ts does (which also runs baselines).
 *
 *   node --expose-gc dist/bench/load/flow-sweep.js [OPS]     prints one JSON array (FlowSweepRow[])
 *
 * Two patterns: "hot" (10k flows carry every message: what a relay sees when most flows are idle
 * history; the target is that table size does not matter) and "uniform" (every flow equally likely:
 * the CPU-cache worst case, reported for honesty).
 */
import { systemClock } from '../../src/clock.js';
import { CoarseClock } from '../../src/stats/coarse-clock.js';
import { FlowTable } from '../../src/stats/flow-table.js';
import type { FlowSweepRow } from './results.js';

const SIZES = [10_000, 100_000, 1_000_000];
const OPS = Number(process.argv[2] ?? '1000000');
const ROUNDS = 3;
const HOT = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
function mem(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function xorshift(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function measure(flows: number, clock: CoarseClock): FlowSweepRow {
  const peers = Math.ceil(Math.sqrt(flows));
  const next = xorshift(0x9e3779b9 ^ flows);
  const pick = (active: number): { s: Uint32Array; d: Uint32Array } => {
    const set = new Uint32Array(active);
    for (let k = 0; k < active; k++) set[k] = active === flows ? k : next() % flows;
    const s = new Uint32Array(OPS);
    const d = new Uint32Array(OPS);
    for (let k = 0; k < OPS; k++) {
      const f = set[next() % active]!;
      s[k] = 1 + ((f / peers) | 0);
      d[k] = 1 + (f % peers);
    }
    return { s, d };
  };
  const hot = pick(Math.min(HOT, flows));
  const uniform = pick(flows);
  const before = mem();
  const t = new FlowTable({ clock });
  for (let p = 1; p <= peers; p++) t.registerPeer(p, `10.${p >> 16}.${(p >> 8) & 255}.${p & 255}:8333`, { mesh: false });
  for (let f = 0; f < flows; f++) t.record(1 + ((f / peers) | 0), 1 + (f % peers), 250, 'local');
  const bytesPerFlow = (mem() - before) / flows;
  const run = (p: { s: Uint32Array; d: Uint32Array }): number => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < OPS; k++) t.record(p.s[k]!, p.d[k]!, 274, 'local');
    return Number(process.hrtime.bigint() - t0) / OPS;
  };
  run(hot); // warm-up
  // Best of the rounds: on a shared VM other processes only ever add time.
  const nsHot = Math.min(...Array.from({ length: ROUNDS }, () => run(hot)));
  const nsUniform = Math.min(...Array.from({ length: ROUNDS }, () => run(uniform)));
  return { flows, nsPerRecordHot: nsHot, nsPerRecordUniform: nsUniform, bytesPerFlow };
}

const clock = new CoarseClock(systemClock, 250).start();
const rows = SIZES.map((n) => measure(n, clock));
clock.stop();
process.stdout.write(JSON.stringify({ exposeGc: gc !== undefined, ops: OPS, rows }) + '\n');
