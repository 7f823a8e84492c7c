/**
 * BIP324 v2 receive path: decrypt + authenticate + frame a stream fed in 64 KiB chunks, for the
 * small / tx / block mixes of bench/wire.bench.ts, against a baseline measured in the same run:
 * the same path with node:crypto `chacha20-poly1305` per packet (bench/v2-baseline.ts). Also the
 * per-packet-size sweep that fixes NATIVE_AEAD_MIN (WASM vs node:crypto), and the write side:
 * one batch seal vs node:crypto per packet, and the per-frame cost of sealing the node's v1 frames
 * (V2Session.sendFrames vs the former path through a command string per frame).
 *
 *   npm run bench:wire   (runs this after the v1 sections)
 *   node dist/bench/v2.bench.js [--quick] [--only=small|tx|block|sweep|seal|seal-frames|packet]
 *
 * Writes bench/results/v2.json.
 */
import Benchmark from 'benchmark';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NaiveV2Decoder, NaiveV2Encoder } from './v2-baseline.js';
import { NATIVE_AEAD_MIN, PacketCipher } from '../src/wasm/v2-cipher.js';
import { LONG_TYPE_BYTES, encodeContents, shortId } from '../src/wire/v2-message-types.js';
import { PacketReader } from '../src/transport/v2/packet-reader.js';
import { V2Session, type V2Message } from '../src/transport/v2/session.js';
import { FrameScanner } from '../src/wasm/frame-scanner.js';
import { HEADER_SIZE, NETWORKS, readCommand } from '../src/wire/constants.js';
import { CHUNK, buildMix, chunked, randomPayload, type MixFrame, type MixName } from './support/mixes.js';

const quick = process.argv.includes('--quick');
/** `--only=block` (or small, tx, sweep, seal, seal-frames, packet): run one section. */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const runs = (what: string): boolean => only === undefined || only === what;
const AEAD_KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);
const LENGTH_KEY = new Uint8Array(32).map((_, i) => 255 - i * 3);
const MAGIC = NETWORKS.regtest.magic;

/** Contents (message type + payload) of the mix of bench/wire.bench.ts; each packet adds 20 B. */
function v2Mix(name: MixName, targetBytes: number): Uint8Array[] {
  const contentsBytes = (f: MixFrame): number => (shortId(f.command) !== 0 ? 1 : LONG_TYPE_BYTES) + f.payload.length;
  return buildMix(name, targetBytes, (f) => 20 + contentsBytes(f)).map((f) => encodeContents(f.command, f.payload));
}

interface Row {
  section: string;
  case: string;
  contender: string;
  perSec: number;
  mbPerSec: number;
  ratio: number;
  rme: number;
}

function warm(fn: () => void, ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) fn();
}

/**
 * Benchmark.js samples each contender until `maxTime` (default 5 s): with ~60 contenders the quick
 * run took ~9 minutes. Quick runs sample for ~0.5 s each (wider error bars, same ratios).
 */
const SUITE_OPTIONS: Benchmark.Options = quick ? { minTime: 0.05, maxTime: 0.5, minSamples: 5 } : { minTime: 1.5 };

function runSuite(entries: Array<[string, () => void]>): Promise<Benchmark[]> {
  return new Promise((resolve) => {
    const suite = new Benchmark.Suite();
    for (const [name, fn] of entries) suite.add(name, fn, SUITE_OPTIONS);
    suite.on('complete', function (this: Benchmark.Suite) {
      resolve(this.map((b: Benchmark) => b) as unknown as Benchmark[]);
    });
    suite.run({ async: true });
  });
}

function rows(section: string, name: string, benches: Benchmark[], units: number, bytes: number): Row[] {
  const base = benches[0]!.hz;
  return benches.map((b) => ({
    section,
    case: name,
    contender: b.name ?? '',
    perSec: b.hz * units,
    mbPerSec: (b.hz * bytes) / 1e6,
    ratio: b.hz / base,
    rme: b.stats.rme,
  }));
}

function print(r: Row[]): void {
  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1));
  for (const x of r) {
    console.log(`${x.case.padEnd(10)} ${x.contender.padEnd(40)} ${fmt(x.perSec).padStart(8)} /s ${x.mbPerSec.toFixed(1).padStart(8)} MB/s  x${x.ratio.toFixed(2)}  ±${x.rme.toFixed(1)}%`);
  }
}

/** Receive path of one mix: chunks in, messages out. */
async function benchMix(name: MixName): Promise<Row[]> {
  const sizes = { small: quick ? 1 << 20 : 4 << 20, tx: quick ? 1 << 20 : 4 << 20, block: quick ? 4 << 20 : 8 << 20 };
  const contents = v2Mix(name, sizes[name]);
  const stream = new PacketCipher(AEAD_KEY, LENGTH_KEY).seal(contents.map((c) => ({ contents: c })));
  const chunks = chunked(stream);
  const n = contents.length;
  const baseline = (): void => {
    const d = new NaiveV2Decoder(AEAD_KEY, LENGTH_KEY, MAGIC);
    for (const c of chunks) d.push(c);
    if (d.messages !== n) throw new Error(`baseline framed ${d.messages}/${n}`);
  };
  const wasm = (): void => {
    const r = new PacketReader(new PacketCipher(AEAD_KEY, LENGTH_KEY), MAGIC);
    let got = 0;
    for (const c of chunks) {
      const out = r.push(c);
      if (out.failure !== undefined) throw new Error(out.failure);
      for (const run of out.runs) got += run.records.count;
    }
    if (got !== n) throw new Error(`wirerelay framed ${got}/${n}`);
  };
  const warmMs = quick ? 300 : 1500;
  warm(baseline, warmMs);
  warm(wasm, warmMs);
  const b = await runSuite([
    ['baseline (node:crypto per packet)', baseline],
    [`wirerelay (WASM batch, native >= ${NATIVE_AEAD_MIN} B)`, wasm],
  ]);
  return rows('receive', name, b, n, stream.length);
}

/** One packet size: the whole stream opened by WASM only vs node:crypto only, same API. */
async function benchSize(size: number): Promise<Row[]> {
  const count = Math.max(8, Math.floor((quick ? 1 << 20 : 2 << 20) / (size + 20)));
  const contents = Array.from({ length: count }, () => randomPayload(size));
  const stream = new PacketCipher(AEAD_KEY, LENGTH_KEY).seal(contents.map((c) => ({ contents: c })));
  const run = (nativeMin: number) => (): void => {
    let opened = 0;
    new PacketCipher(AEAD_KEY, LENGTH_KEY, { nativeMin }).open(stream, undefined, (n) => (opened += n));
    if (opened !== count) throw new Error(`opened ${opened}/${count}`);
  };
  const native = run(0);
  const wasm = run(0xffffffff);
  const warmMs = quick ? 200 : 700;
  warm(native, warmMs);
  warm(wasm, warmMs);
  const b = await runSuite([
    ['node:crypto per packet', native],
    ['WASM', wasm],
  ]);
  return rows('crossover', `${size} B`, b, count, stream.length);
}

/** Write side, small mix: one seal call for all vs node:crypto per packet. */
async function benchSeal(): Promise<Row[]> {
  const contents = v2Mix('small', 1 << 20);
  const packets = contents.map((c) => ({ contents: c }));
  const baseline = (): void => {
    const e = new NaiveV2Encoder(AEAD_KEY, LENGTH_KEY);
    for (const c of contents) e.seal(c);
  };
  const batch = (): void => {
    new PacketCipher(AEAD_KEY, LENGTH_KEY).seal(packets);
  };
  const warmMs = quick ? 300 : 1000;
  warm(baseline, warmMs);
  warm(batch, warmMs);
  const total = contents.reduce((n, c) => n + 20 + c.length, 0);
  const b = await runSuite([
    ['seal baseline (node:crypto per packet)', baseline],
    ['seal wirerelay (one WASM batch)', batch],
  ]);
  return rows('seal', 'small', b, contents.length, total);
}

/** An initiator session whose handshake with a responder is done in memory: ready to seal. */
function establishedSession(magic: number): V2Session {
  const a = new V2Session({ initiating: true, magic });
  const b = new V2Session({ initiating: false, magic });
  let toB = a.start();
  while (!a.established && toB !== undefined) {
    const toA = b.receive(toB).send;
    toB = toA === undefined ? undefined : a.receive(toA).send;
    if (toB !== undefined) b.receive(toB);
  }
  if (!a.established) throw new Error('v2 handshake did not complete');
  return a;
}

/** Process CPU microseconds (all threads: GC helpers count) of `iterations` calls of `fn`. */
function cpuMicros(fn: () => void, iterations: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

/**
 * Per-frame cost of sealing the node's cached v1 frames (250-B tx payloads) in runs of 1, 8 and
 * 64, as the writer hands them to V2Transport.wrapMany: sendFrames (no string, no object per
 * frame) vs the former path, a command string and a message object per frame
 * (send(frames.map(unframe))). Measured in process CPU time, old and new alternating over several
 * rounds, median of each: on a shared machine wall time mostly measures the neighbours.
 * Ratio = new / old throughput (old CPU per frame / new CPU per frame).
 */
function benchSealFrames(): Row[] {
  const magic = NETWORKS.regtest.magic;
  const scanner = new FrameScanner();
  const all = Array.from({ length: 64 }, (_, i) => scanner.encodeFrame(magic, 'tx', randomPayload(250 + (i & 7))).slice());
  const unframe = (f: Uint8Array): V2Message => ({ command: readCommand(f, 0), payload: f.subarray(HEADER_SIZE) });
  const framesPerRound = quick ? 50_000 : 400_000;
  const rounds = quick ? 5 : 9;
  const out: Row[] = [];
  for (const batch of [1, 8, 64]) {
    const frames = all.slice(0, batch);
    const bytes = frames.reduce((n, f) => n + f.length, 0);
    const oldSession = establishedSession(magic);
    const newSession = establishedSession(magic);
    const contenders: Array<[string, () => void]> = [
      ['old: send(frames.map(unframe))', () => void oldSession.send(frames.map(unframe))],
      ['new: sendFrames(frames)', () => void newSession.sendFrames(frames)],
    ];
    const calls = Math.ceil(framesPerRound / batch);
    for (const [, fn] of contenders) cpuMicros(fn, calls >> 2); // warm up
    const micros: number[][] = contenders.map(() => []);
    for (let round = 0; round < rounds; round++) contenders.forEach(([, fn], i) => micros[i]!.push(cpuMicros(fn, calls) / (calls * batch)));
    const median = (v: number[]): number => [...v].sort((x, y) => x - y)[v.length >> 1]!;
    const perFrame = micros.map(median);
    contenders.forEach(([contender], i) => {
      const us = perFrame[i]!;
      const spread = ((Math.max(...micros[i]!) - Math.min(...micros[i]!)) / us) * 50;
      out.push({ section: 'seal-frames', case: `x${batch}`, contender, perSec: 1e6 / us, mbPerSec: bytes / batch / us, ratio: perFrame[0]! / us, rme: spread });
      console.log(`x${String(batch).padEnd(3)} ${contender.padEnd(32)} ${us.toFixed(3)} µs CPU/frame (rounds ${Math.min(...micros[i]!).toFixed(3)}–${Math.max(...micros[i]!).toFixed(3)})`);
    });
  }
  return out;
}

/**
 * Per packet, small packets: seal `batch` packets per call and open a stream read `batch` packets
 * per chunk, WASM (PacketCipher, all in WASM) vs node:crypto one packet at a time. Both keep their
 * state across calls, so the 224-packet rekeys are included.
 */
async function benchPacket(size: number, batch: number): Promise<Row[]> {
  const packets = Array.from({ length: batch }, () => ({ contents: randomPayload(size) }));
  const tx = new PacketCipher(AEAD_KEY, LENGTH_KEY, { nativeMin: 0xffffffff });
  const enc = new NaiveV2Encoder(AEAD_KEY, LENGTH_KEY);
  const sealWasm = (): void => {
    tx.seal(packets);
  };
  const sealNative = (): void => {
    for (const p of packets) enc.seal(p.contents);
  };
  // 448 packets (two rekey intervals) in chunks of `batch` packets, opened from the start each run.
  const sealer = new PacketCipher(AEAD_KEY, LENGTH_KEY);
  const chunks = Array.from({ length: Math.ceil(448 / batch) }, () => Buffer.from(sealer.seal(packets)));
  const count = chunks.length * batch;
  const openWasm = (): void => {
    const rx = new PacketCipher(AEAD_KEY, LENGTH_KEY, { nativeMin: 0xffffffff });
    let got = 0;
    for (const c of chunks) rx.open(c, undefined, (n) => (got += n));
    if (got !== count) throw new Error(`opened ${got}/${count}`);
  };
  const openNative = (): void => {
    const d = new NaiveV2Decoder(AEAD_KEY, LENGTH_KEY);
    for (const c of chunks) d.push(c);
    if (d.errors !== 0) throw new Error('baseline failed to open');
  };
  const warmMs = quick ? 200 : 600;
  for (const fn of [sealNative, sealWasm, openNative, openWasm]) warm(fn, warmMs);
  const name = `${size} B x${batch}`;
  const seal = rows('packet seal', name, await runSuite([['node:crypto per packet', sealNative], ['WASM', sealWasm]]), batch, batch * (size + 20));
  const open = rows('packet open', name, await runSuite([['node:crypto per packet', openNative], ['WASM', openWasm]]), count, count * (size + 20));
  return [...seal, ...open];
}

function printPacket(r: Row[]): void {
  for (const x of r) {
    console.log(`${x.section.padEnd(12)} ${x.case.padEnd(12)} ${x.contender.padEnd(24)} ${(1e6 / x.perSec).toFixed(3).padStart(8)} µs/packet  x${x.ratio.toFixed(2)}  ±${x.rme.toFixed(1)}%`);
  }
}

async function main(): Promise<void> {
  console.log('\n== v2 (BIP324) receive: decrypt + authenticate + frame, 64 KiB chunks ==');
  const all: Row[] = [];
  for (const mix of ['small', 'tx', 'block'] as const) {
    if (!runs(mix)) continue;
    const r = await benchMix(mix);
    print(r);
    all.push(...r);
  }
  console.log('\n== v2 packet-size sweep: WASM vs node:crypto (ratio = WASM / node:crypto) ==');
  // Quick: the sizes around the crossover and one at each end.
  const sizes = quick ? [64, 4096, 8192, 16384, 1048576] : [64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 262144, 1048576];
  let crossover: number | undefined;
  for (const s of runs('sweep') ? sizes : []) {
    const r = await benchSize(s);
    print(r);
    all.push(...r);
    if (crossover === undefined && r[1]!.ratio < 1) crossover = s;
  }
  if (runs('sweep')) console.log(`\ncrossover: node:crypto is faster from ${crossover ?? '>1 MiB'} B (NATIVE_AEAD_MIN is ${NATIVE_AEAD_MIN})`);
  console.log('\n== v2 write side ==');
  if (runs('seal')) {
    const seal = await benchSeal();
    print(seal);
    all.push(...seal);
  }
  if (runs('seal-frames')) {
    console.log('\n== v2 write side per frame: 250-B tx frames in runs of 1, 8, 64, CPU time (ratio = new / old) ==');
    const r = benchSealFrames();
    print(r);
    all.push(...r);
  }

  console.log('\n== v2 per packet: seal / open, WASM vs node:crypto (ratio = speed vs node:crypto) ==');
  for (const size of runs('packet') ? [60, 260, 1000, 4000] : []) {
    for (const batch of [1, 64]) {
      const r = await benchPacket(size, batch);
      printPacket(r);
      all.push(...r);
    }
  }

  const targets = { small: 3, tx: 1.5, block: 0.9 };
  console.log('\ntargets (wirerelay vs baseline, one core):');
  const verdicts = (['small', 'tx', 'block'] as const).filter(runs).map((mix) => {
    const r = all.find((x) => x.section === 'receive' && x.case === mix && x.contender.startsWith('wirerelay'))!;
    const met = r.ratio >= targets[mix];
    console.log(`  ${mix.padEnd(6)} x${r.ratio.toFixed(2)} (target x${targets[mix]}) ${met ? 'met' : 'MISSED'}`);
    return { mix, target: targets[mix], ratio: r.ratio, met };
  });

  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}v2.json`;
  writeFileSync(
    file,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, quick, chunkBytes: CHUNK, nativeAeadMin: NATIVE_AEAD_MIN, crossover, rows: all, verdicts }, null, 2) + '\n',
  );
  console.log(`\nwrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
