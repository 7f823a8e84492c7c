/**
 * Double SHA-256 per message: WASM scalar vs WASM 4-lane SIMD batch vs node:crypto (`crypto.hash`
 * twice), from 8 B to 1 MiB. Every variant includes copying its input into place and producing a
 * 32-byte result, as the callers in src/wasm/hasher.ts do. Prints messages/s and the ratio to
 * node:crypto; the crossovers it reports are NATIVE_HASH_MIN (scalar) and NATIVE_BATCH_HASH_MIN.
 * Writes bench/results/hash.json.
 *
 *   npm run build && node dist/bench/hash.bench.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { hash as cryptoHash } from 'node:crypto';
import Benchmark from 'benchmark';
import { loadWasm } from '../src/wasm/loader.js';

const SIZES = [8, 64, 128, 256, 384, 512, 1024, 2048, 4096, 65536, 1 << 20];
const w = loadWasm();
const x = w.exports;

/** Messages per batch call: 64 small ones, fewer when large (at most ~4 MiB staged per call). */
const batchCount = (size: number): number => Math.max(4, Math.min(64, Math.floor((4 << 20) / size)));

function message(size: number, seed: number): Uint8Array {
  const m = new Uint8Array(size);
  for (let i = 0; i < size; i++) m[i] = (i * 13 + seed) & 0xff;
  return m;
}

interface Variant {
  name: string;
  /** Messages hashed per call of fn. */
  perCall: number;
  fn: () => void;
}

let sink = 0;

function variants(size: number): Variant[] {
  const msg = message(size, 1);
  const n = batchCount(size);
  const batch = Array.from({ length: n }, (_, i) => message(size, i));
  x.ensureInput(Math.max(size, n * size));
  x.ensureScratch(n * 40);
  return [
    {
      name: 'wasm scalar',
      perCall: 1,
      fn: () => {
        const p = x.inputPtr() >>> 0;
        w.mem.u8().set(msg, p);
        const out = x.scratchPtr() >>> 0;
        x.hash256(p, size, out);
        sink ^= w.mem.u8().slice(out, out + 32)[0]!;
      },
    },
    {
      name: 'wasm simd batch',
      perCall: n,
      fn: () => {
        const input = x.inputPtr() >>> 0;
        const desc = x.scratchPtr() >>> 0;
        const out = desc + 8 * n;
        const u8 = w.mem.u8();
        const u32 = w.mem.u32();
        let at = input;
        for (let i = 0; i < n; i++) {
          u8.set(batch[i]!, at);
          u32[(desc >>> 2) + 2 * i] = at;
          u32[(desc >>> 2) + 2 * i + 1] = size;
          at += size;
        }
        x.hash256Batch(desc, n, out);
        for (let i = 0; i < n; i++) sink ^= u8.slice(out + 32 * i, out + 32 * i + 32)[0]!;
      },
    },
    {
      name: 'node:crypto',
      perCall: 1,
      fn: () => {
        sink ^= cryptoHash('sha256', cryptoHash('sha256', msg, 'buffer'), 'buffer')[0]!;
      },
    },
  ];
}

/** Node starts WASM in its baseline tier and optimises after ~1 s of use: warm by time. */
function warm(fn: () => void, ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) for (let i = 0; i < 16; i++) fn();
}

interface Row {
  size: number;
  variant: string;
  msgsPerSec: number;
  mbPerSec: number;
  rme: number;
  vsNative: number;
}

const rows: Row[] = [];
for (const size of SIZES) {
  const vs = variants(size);
  for (const v of vs) warm(v.fn, size >= 65536 ? 300 : 800);
  const suite = new Benchmark.Suite(`${size} B`);
  for (const v of vs) suite.add(v.name, v.fn, { minSamples: 8, maxTime: size >= 65536 ? 1.5 : 2 });
  const hz = new Map<string, { hz: number; rme: number }>();
  suite.on('cycle', (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    hz.set(String(b.name), { hz: b.hz ?? 0, rme: b.stats?.rme ?? 0 });
  });
  suite.run({ async: false });
  const native = hz.get('node:crypto')!.hz;
  for (const v of vs) {
    const r = hz.get(v.name)!;
    const msgs = r.hz * v.perCall;
    rows.push({ size, variant: v.name, msgsPerSec: msgs, mbPerSec: (msgs * size) / 1e6, rme: r.rme, vsNative: msgs / native });
  }
  const line = rows
    .filter((r) => r.size === size)
    .map((r) => `${r.variant} ${fmt(r.msgsPerSec)}/s (${r.vsNative.toFixed(2)}×, ±${r.rme.toFixed(1)}%)`)
    .join('  |  ');
  console.log(`${String(size).padStart(8)} B  ${line}`);
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

/** Smallest measured size at which node:crypto is at least as fast as the variant. */
function crossover(variant: string): number | null {
  for (const size of SIZES) {
    const r = rows.find((row) => row.size === size && row.variant === variant)!;
    if (r.vsNative <= 1) return size;
  }
  return null;
}

const result = {
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  node: process.version,
  rows,
  crossover: { scalar: crossover('wasm scalar'), batch: crossover('wasm simd batch') },
  sink,
};
console.log(`crossover (node:crypto ≥ WASM): scalar at ${result.crossover.scalar} B, SIMD batch at ${result.crossover.batch} B`);
mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../bench/results/hash.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
