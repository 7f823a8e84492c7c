/**
 * Decode-and-verify throughput of a framed stream fed in 64 KiB chunks, for three message mixes,
 * with the baseline measured in the same run: a plain TypeScript framer that checks each checksum
 * with two `crypto.hash('sha256')` calls (bench/baselines/naive-decoder.ts). Also encode throughput.
 *
 *   npm run bench:wire          (add -- --quick for a short run)
 *
 * Contenders: baseline; wirerelay inline (WASM on this thread); wirerelay through the worker pool.
 * Node starts WASM in its baseline tier and optimises after ~1 s of hot use, so every contender is
 * warmed up by time before it is measured. Writes bench/results/wire.json.
 */
import Benchmark from 'benchmark';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NaiveDecoder, naiveEncode } from './baselines/naive-decoder.js';
import { StreamDecoder } from '../src/framing/stream-decoder.js';
import { FrameVerifier } from '../src/framing/frame-verifier.js';
import type { DecoderSink } from '../src/framing/stream-decoder.js';
import { WorkerPool } from '../src/pool/pool.js';
import { FrameScanner } from '../src/wasm/frame-scanner.js';
import { NETWORKS } from '../src/wire/constants.js';
import { CHUNK, buildMix, chunked, type MixFrame, type MixName } from './support/mixes.js';

const quick = process.argv.includes('--quick');
const magic = NETWORKS.mainnet.magic;
const scanner = new FrameScanner();

/** Frames of a mix as FrameScanner.encodeFrames takes them. */
interface Mix {
  readonly name: MixName;
  readonly frames: readonly MixFrame[];
}

function v1Mix(name: MixName, targetBytes: number): Mix {
  return { name, frames: buildMix(name, targetBytes, (f) => 24 + f.payload.length) };
}

interface Row {
  mix: string;
  contender: string;
  msgsPerSec: number;
  mbPerSec: number;
  ratio: number;
  rme: number;
  samples: number;
}

function countingSink(): DecoderSink & { frames: number; errors: number } {
  const s = {
    frames: 0,
    errors: 0,
    onFrame() {
      s.frames++;
    },
    onFrameError() {
      s.errors++;
    },
  };
  return s;
}

function warm(fn: () => void, ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) fn();
}

async function warmAsync(fn: () => Promise<void>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) await fn();
}

function runSuite(build: (suite: Benchmark.Suite) => void): Promise<Benchmark[]> {
  return new Promise((resolve) => {
    const suite = new Benchmark.Suite();
    build(suite);
    suite.on('complete', function (this: Benchmark.Suite) {
      resolve(this.map((b: Benchmark) => b) as unknown as Benchmark[]);
    });
    suite.run({ async: true });
  });
}

async function benchMix(mix: Mix, pool: WorkerPool): Promise<Row[]> {
  const stream = scanner.encodeFrames(magic, mix.frames);
  const chunks = chunked(stream);
  const nMsgs = mix.frames.length;
  const mb = stream.length / 1e6;
  const inlineVerifier = new FrameVerifier(undefined, {}, scanner);
  const poolVerifier = new FrameVerifier(pool, { poolMinBytes: 0 }, scanner);

  const baseline = (): void => {
    const d = new NaiveDecoder(magic);
    for (const c of chunks) d.push(c);
    if (d.frames !== nMsgs) throw new Error(`baseline decoded ${d.frames}/${nMsgs}`);
  };
  const inline = (): void => {
    const sink = countingSink();
    const d = new StreamDecoder(magic, inlineVerifier, sink);
    for (const c of chunks) d.push(c);
    if (sink.frames !== nMsgs) throw new Error(`inline decoded ${sink.frames}/${nMsgs}`);
  };
  const pooled = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const sink = countingSink();
      // A decoder that stalls would otherwise empty the event loop and end the run silently.
      const watchdog = setTimeout(() => reject(new Error(`pool decoded ${sink.frames}/${nMsgs} and stalled`)), 30_000);
      const d = new StreamDecoder(magic, poolVerifier, {
        onFrame: () => {
          sink.frames++;
          if (sink.frames === nMsgs) {
            clearTimeout(watchdog);
            resolve();
          }
        },
        onFrameError: (e) => reject(e),
      });
      for (const c of chunks) d.push(c);
    });

  const warmMs = quick ? 300 : 1500;
  warm(baseline, warmMs);
  warm(inline, warmMs);
  await warmAsync(pooled, warmMs);

  const minTime = quick ? 0.5 : 2;
  const benches = await runSuite((suite) => {
    suite.add('baseline (TS + crypto.hash x2)', baseline, { minTime });
    suite.add('wirerelay inline', inline, { minTime });
    suite.add('wirerelay pool', {
      defer: true,
      minTime,
      fn: (deferred: { resolve(): void }) => {
        pooled().then(() => deferred.resolve(), (e) => {
          console.error(e);
          process.exit(1);
        });
      },
    });
  });
  const base = benches[0]!.hz;
  return benches.map((b) => ({
    mix: mix.name,
    contender: b.name ?? '',
    msgsPerSec: b.hz * nMsgs,
    mbPerSec: b.hz * mb,
    ratio: b.hz / base,
    rme: b.stats.rme,
    samples: b.stats.sample.length,
  }));
}

async function benchEncode(): Promise<Row[]> {
  const mix = v1Mix('small', 1024 * 1024);
  const nMsgs = mix.frames.length;
  const bytes = mix.frames.reduce((n, f) => n + 24 + f.payload.length, 0);
  const naive = (): void => {
    for (const f of mix.frames) naiveEncode(magic, f.command, f.payload);
  };
  const batch = (): void => {
    scanner.encodeFrames(magic, mix.frames);
  };
  const single = (): void => {
    for (const f of mix.frames) scanner.encodeFrame(magic, f.command, f.payload);
  };
  const warmMs = quick ? 300 : 1500;
  warm(naive, warmMs);
  warm(batch, warmMs);
  warm(single, warmMs);
  const minTime = quick ? 0.5 : 2;
  const benches = await runSuite((s) => {
    s.add('encode baseline (TS + crypto.hash x2)', naive, { minTime });
    s.add('encode wirerelay batch', batch, { minTime });
    s.add('encode wirerelay one by one', single, { minTime });
  });
  const base = benches[0]!.hz;
  return benches.map((b) => ({
    mix: 'small-encode',
    contender: b.name ?? '',
    msgsPerSec: b.hz * nMsgs,
    mbPerSec: (b.hz * bytes) / 1e6,
    ratio: b.hz / base,
    rme: b.stats.rme,
    samples: b.stats.sample.length,
  }));
}

function print(rows: Row[]): void {
  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1));
  for (const r of rows) {
    console.log(
      `${r.mix.padEnd(13)} ${r.contender.padEnd(36)} ${fmt(r.msgsPerSec).padStart(8)} msgs/s ${r.mbPerSec.toFixed(1).padStart(8)} MB/s  x${r.ratio.toFixed(2)}  ±${r.rme.toFixed(1)}%`,
    );
  }
}

async function main(): Promise<void> {
  const pool = new WorkerPool({ threads: 1 });
  const targets = { small: 5, tx: 2, block: 0.9 };
  const rows: Row[] = [];
  const sizes = { small: quick ? 1 << 20 : 4 << 20, tx: quick ? 1 << 20 : 4 << 20, block: quick ? 4 << 20 : 8 << 20 };
  for (const name of ['small', 'tx', 'block'] as const) {
    const r = await benchMix(v1Mix(name, sizes[name]), pool);
    print(r);
    rows.push(...r);
  }
  const enc = await benchEncode();
  print(enc);
  rows.push(...enc);
  await pool.close();

  const verdicts = (['small', 'tx', 'block'] as const).map((mix) => {
    const inline = rows.find((r) => r.mix === mix && r.contender === 'wirerelay inline')!;
    return { mix, target: targets[mix], inlineRatio: inline.ratio, met: inline.ratio >= targets[mix] };
  });
  console.log('\ntargets (inline vs baseline, one core):');
  for (const v of verdicts) console.log(`  ${v.mix.padEnd(6)} x${v.inlineRatio.toFixed(2)} (target x${v.target}) ${v.met ? 'met' : 'MISSED'}`);

  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}wire.json`;
  writeFileSync(
    file,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, quick, chunkBytes: CHUNK, rows, verdicts }, null, 2) + '\n',
  );
  console.log(`\nwrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
