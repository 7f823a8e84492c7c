/**
 * Flow-table cost per relayed message and bytes per flow at 10k, 100k and 1M flows, against a
 * naive Map<string, object> table keyed "src>dst" measured in the same run.
 *
 *   npm run build:ts && node --expose-gc dist/bench/flows.bench.js   (npm run bench:flows)
 *
 * Two access patterns over the same table:
 * - uniform: every flow equally likely: the worst case for the CPU caches (1M flows do not fit),
 *   and for the per-peer LRU (each of P sources has P destinations, so 100 entries hit 100/P).
 * - hot: 10k flows picked at random among all of them carry every message: what a relay sees
 *   when most flows are idle history. Table size should not matter here, only the active set.
 * Bytes per flow: (heapUsed + arrayBuffers) after a forced GC, minus the same before the table was
 * built, over the flow count. Without --expose-gc the figures include garbage and are flagged.
 * Writes bench/results/flows.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../src/clock.js';
import { CoarseClock } from '../src/stats/coarse-clock.js';
import { DROP_REASONS, type DropReason } from '../src/stats/drop-reasons.js';
import { FlowTable, type FlowKind, type FlowTableOptions } from '../src/stats/flow-table.js';

interface Recorder {
  record(src: number, dst: number, bytes: number, kind: FlowKind): void;
}

/** The design a first version would write: one object per flow under a string key. */
class NaiveFlowTable implements Recorder {
  private readonly flows = new Map<string, NaiveFlow>();
  packetsLocal = 0;
  bytesLocal = 0;
  packetsMesh = 0;
  bytesMesh = 0;
  constructor(private readonly clock: Clock) {}
  record(src: number, dst: number, bytes: number, kind: FlowKind): void {
    const key = `${src}>${dst}`;
    const now = this.clock.now();
    let f = this.flows.get(key);
    if (f === undefined) {
      f = { src, dst, createdMs: now, lastActiveMs: now, packetsLocal: 0, bytesLocal: 0, packetsMesh: 0, bytesMesh: 0, drops: null };
      this.flows.set(key, f);
    }
    if (now - f.lastActiveMs >= 60_000) f.lastActiveMs = now;
    if (kind === 'local') {
      f.packetsLocal++;
      f.bytesLocal += bytes;
      this.packetsLocal++;
      this.bytesLocal += bytes;
    } else {
      f.packetsMesh++;
      f.bytesMesh += bytes;
      this.packetsMesh++;
      this.bytesMesh += bytes;
    }
  }
}

interface NaiveFlow {
  src: number;
  dst: number;
  createdMs: number;
  lastActiveMs: number;
  packetsLocal: number;
  bytesLocal: number;
  packetsMesh: number;
  bytesMesh: number;
  /** Created on the first drop only, to be fair to the baseline's memory. */
  drops: Record<DropReason, number> | null;
}

const SIZES = [10_000, 100_000, 1_000_000];
const OPS = 2_000_000;
const ROUNDS = 5;

const gc = (globalThis as { gc?: () => void }).gc;
const mem = (): number => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

type Variant = { name: string; make: (clock: Clock) => Recorder & { registerPeer?: FlowTable['registerPeer'] } };
const table = (opts: Partial<FlowTableOptions>) => (clock: Clock) => new FlowTable({ clock, ...opts });
const VARIANTS: Variant[] = [
  { name: 'naive Map<string, object>', make: (clock) => new NaiveFlowTable(clock) },
  { name: 'FlowTable (default: open index)', make: table({}) },
];
const BASELINE = VARIANTS[0]!.name;


type Picks = { srcs: Uint32Array; dsts: Uint32Array; sizes: Uint16Array };
const PATTERNS = ['uniform', 'hot'] as const;
const HOT_FLOWS = 10_000;

function picks(flows: number, active: number): Picks {
  const peers = Math.ceil(Math.sqrt(flows));
  const srcs = new Uint32Array(OPS);
  const dsts = new Uint32Array(OPS);
  const sizes = new Uint16Array(OPS);
  let x = 0x9e3779b9 ^ flows ^ active;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const set = new Uint32Array(active);
  for (let k = 0; k < active; k++) set[k] = active === flows ? k : next() % flows;
  for (let k = 0; k < OPS; k++) {
    const f = set[next() % active]!;
    srcs[k] = 1 + ((f / peers) | 0);
    dsts[k] = 1 + (f % peers);
    sizes[k] = 24 + (next() & 1023);
  }
  return { srcs, dsts, sizes };
}

type Built = { variant: Variant; table: Recorder; bytesPerFlow: number };

/** Builds one variant's table with every flow present and measures its memory. */
function build(flows: number, variant: Variant, clock: Clock): Built {
  const peers = Math.ceil(Math.sqrt(flows));
  const before = mem();
  const t = variant.make(clock);
  if (t instanceof FlowTable) for (let p = 1; p <= peers; p++) t.registerPeer(p, `10.${p >> 16}.${(p >> 8) & 255}.${p & 255}:8333`, { mesh: p % 10 === 0 });
  for (let f = 0; f < flows; f++) t.record(1 + ((f / peers) | 0), 1 + (f % peers), 100, 'local');
  return { variant, table: t, bytesPerFlow: (mem() - before) / flows };
}

function run(t: Recorder, { srcs, dsts, sizes }: Picks): number {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < OPS; k++) t.record(srcs[k]!, dsts[k]!, sizes[k]!, (k & 7) === 0 ? 'mesh' : 'local');
  return Number(process.hrtime.bigint() - t0) / OPS;
}

/**
 * Rounds interleave the variants (A B C D A B C D …) so load from other processes on a shared
 * machine lands on all of them alike; each keeps its best round.
 */
function measure(flows: number, clock: Clock, byPattern: Record<(typeof PATTERNS)[number], Picks>) {
  const built = VARIANTS.map((v) => build(flows, v, clock));
  const ns = built.map(() => ({ uniform: Infinity, hot: Infinity }));
  for (const pattern of PATTERNS) {
    for (const b of built) run(b.table, byPattern[pattern]); // warm-up: JIT and caches
    for (let r = 0; r < ROUNDS; r++) {
      built.forEach((b, k) => {
        ns[k]![pattern] = Math.min(ns[k]![pattern], run(b.table, byPattern[pattern]));
      });
    }
  }
  const out: Record<string, { nsPerRecord: { uniform: number; hot: number }; bytesPerFlow: number }> = {};
  built.forEach((b, k) => {
    if (b.table instanceof FlowTable && b.table.stats().count !== flows) throw new Error(`expected ${flows} flows, got ${b.table.stats().count}`);
    out[b.variant.name] = { nsPerRecord: ns[k]!, bytesPerFlow: b.bytesPerFlow };
  });
  return out;
}

function main(): void {
  if (gc === undefined) console.warn('note: run node with --expose-gc; bytes/flow below include uncollected garbage');
  const clock = new CoarseClock(systemClock, 250).start();
  const results: Array<{ flows: number; variants: ReturnType<typeof measure> }> = [];
  for (const flows of SIZES) {
    // Picks are drawn before any table exists so they are outside every memory delta.
    const byPattern = { uniform: picks(flows, flows), hot: picks(flows, Math.min(HOT_FLOWS, flows)) };
    results.push({ flows, variants: measure(flows, clock, byPattern) });
  }
  clock.stop();

  const first = results[0]!;
  const x = (a: number, b: number): string => `${(a / b).toFixed(2)}x`.padStart(7);
  console.log(`flows.bench  node ${process.version}  ${cpus()[0]?.model ?? '?'} ×${cpus().length}  ${OPS} records per round, best of ${ROUNDS}`);
  console.log('ns/record: uniform over all flows | hot 10k of them. "naive" = ratio to the Map<string, object> baseline; "10k" = ratio to the same variant at 10k flows');
  console.log('flows     variant                            uniform  naive    10k |    hot  naive    10k | bytes/flow  naive');
  for (const r of results) {
    const base = r.variants[BASELINE]!;
    for (const [name, m] of Object.entries(r.variants)) {
      const f = first.variants[name]!;
      console.log(
        `${String(r.flows).padEnd(9)} ${name.padEnd(33)} ${m.nsPerRecord.uniform.toFixed(1).padStart(8)} ${x(m.nsPerRecord.uniform, base.nsPerRecord.uniform)} ${x(m.nsPerRecord.uniform, f.nsPerRecord.uniform)} |` +
          ` ${m.nsPerRecord.hot.toFixed(1).padStart(6)} ${x(m.nsPerRecord.hot, base.nsPerRecord.hot)} ${x(m.nsPerRecord.hot, f.nsPerRecord.hot)} |` +
          ` ${m.bytesPerFlow.toFixed(1).padStart(10)} ${x(m.bytesPerFlow, base.bytesPerFlow)}`,
      );
    }
  }
  const out = fileURLToPath(new URL('../../bench/results/flows.json', import.meta.url));
  mkdirSync(fileURLToPath(new URL('../../bench/results/', import.meta.url)), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        bench: 'flows',
        date: new Date().toISOString(),
        node: process.version,
        cpu: `${cpus()[0]?.model ?? '?'} x${cpus().length}`,
        exposeGc: gc !== undefined,
        opsPerRound: OPS,
        hotFlows: HOT_FLOWS,
        rounds: ROUNDS,
        dropReasons: DROP_REASONS.length,
        baseline: BASELINE,
        results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${out}`);
}

main();
