/**
 * Ban-score updates per second: WASM `banApply` (one call per batch of 1024 increases over 10k
 * slots), the same through `BanTable.applyBatch` (key → slot map, staging), and a plain TS
 * implementation of the same math in this file (objects in a Map), run in the same process.
 * Writes bench/results/banscore.json.
 *
 *   npm run build && node dist/bench/banscore.bench.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { BanTable, type BanIncrease } from '../src/wasm/ban-table.js';
import { loadWasm } from '../src/wasm/loader.js';

const PEERS = 10_000;
const BATCH = 1024;
const T0 = 1_700_000_000;
const LAMBDA = Math.LN2 / 60;
const LIFETIME_SEC = 1800;
const DECAY = Array.from({ length: 64 }, (_, t) => Math.exp(-t * LAMBDA));

/** The TS baseline: btcd's algorithm over one object per peer. */
class TsScore {
  persistent = 0;
  transient = 0;
  lastSec = 0;
  increase(p: number, tr: number, nowSec: number): number {
    const now = Math.floor(nowSec);
    this.persistent = Math.min(0xffffffff, this.persistent + p);
    if (tr > 0) {
      const dt = now - this.lastSec;
      if (dt > LIFETIME_SEC) this.transient = 0;
      else if (this.transient > 1 && dt > 0) this.transient *= dt < 64 ? DECAY[dt]! : Math.exp(-dt * LAMBDA);
      this.transient += tr;
      this.lastSec = now;
    }
    const dt = now - this.lastSec;
    if (!(this.transient >= 1) || dt < 0 || dt > LIFETIME_SEC) return this.persistent;
    return Math.min(0xffffffff, this.persistent + Math.trunc(this.transient * (dt < 64 ? DECAY[dt]! : Math.exp(-dt * LAMBDA))));
  }
}

let seed = 7;
const rnd = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const ops: BanIncrease<string>[] = Array.from({ length: BATCH }, () => ({
  key: `peer${rnd(PEERS)}`,
  persistent: rnd(4) === 0 ? rnd(20) : 0,
  transient: rnd(3) === 0 ? 0 : 1 + rnd(50),
}));
const slotOps = ops.map((o) => ({ slot: Number(o.key.slice(4)), persistent: o.persistent, transient: o.transient }));

const w = loadWasm();
const x = w.exports;
x.banEnsure(PEERS);
const desc = x.ensureScratch(BATCH * 20) >>> 0;
const out = desc + BATCH * 16;
let sink = 0;

const raw = (now: number): void => {
  const u32 = w.mem.u32();
  const f64 = w.mem.f64();
  for (let i = 0; i < BATCH; i++) {
    const o = slotOps[i]!;
    u32[(desc >>> 2) + 4 * i] = o.slot;
    u32[(desc >>> 2) + 4 * i + 1] = o.persistent;
    f64[(desc >>> 3) + 2 * i + 1] = o.transient;
  }
  x.banApply(desc, BATCH, now, out);
  sink ^= w.mem.u32()[out >>> 2]!;
};
const table = new BanTable<string>(loadWasm());
const viaTable = (now: number): void => {
  sink ^= table.applyBatch(ops, now)[0]!;
};
const tsTable = new Map<string, TsScore>();
const ts = (now: number): void => {
  for (const o of ops) {
    let s = tsTable.get(o.key);
    if (s === undefined) tsTable.set(o.key, (s = new TsScore()));
    sink ^= s.increase(o.persistent, o.transient, now);
  }
};

const variants: [string, (now: number) => void][] = [
  ['TS objects in a Map', ts],
  ['BanTable.applyBatch', viaTable],
  ['raw banApply', raw],
];

function measure(fn: (now: number) => void, ms: number): number {
  let n = 0;
  let now = T0;
  const start = performance.now();
  let t = start;
  while (t - start < ms) {
    for (let i = 0; i < 16; i++) fn((now += 3));
    n += 16 * BATCH;
    t = performance.now();
  }
  return (n / (t - start)) * 1000;
}

for (const [, fn] of variants) measure(fn, 1000);
const rates = variants.map(() => [] as number[]);
for (let round = 0; round < 5; round++) variants.forEach(([, fn], i) => rates[i]!.push(measure(fn, 400)));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(rates[0]!);
const results = variants.map(([name], i) => ({ variant: name, updatesPerSec: Math.round(median(rates[i]!)), ratio: median(rates[i]!) / base }));
for (const r of results) console.log(`${r.variant.padEnd(22)} ${(r.updatesPerSec / 1e6).toFixed(2)}M updates/s  ${r.ratio.toFixed(2)}×`);
mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../../bench/results/banscore.json', import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`, node: process.version, peers: PEERS, batch: BATCH, results, sink }, null, 2) + '\n',
);
