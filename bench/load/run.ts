/**
 * Load harness: wirerelay against two baselines measured in the same run, over loopback TCP with
 * generator processes that speak the real protocol (handshake, inv → getdata → tx, pushed tx).
 *
 *   npm run bench:load                 full run (several minutes)
 *   npm run bench:load -- --quick      smoke run, under two minutes
 *   npm run profile                    the same with the node under --cpu-prof (see profile.ts)
 *
 * Per target: a max-rate step (sources write as fast as TCP accepts), then a ladder of offered
 * loads at fractions of that maximum, so the report shows the knee. The ratio wirerelay / baseline
 * is taken from the max-rate steps. Then a peer sweep (10/100/1,000 connections, fresh node each)
 * and a flow sweep (in process, see flow-sweep.ts). Writes bench/results/load.json (+ a dated copy),
 * load-report.md and load-chart.svg. See docs/benchmarks.md for how to read them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { LatencyHistogram } from './histogram.js';
import type { Snapshot } from './ipc.js';
import { cpuShare, metric, procSample } from './proc-stats.js';
import type { MetricSample } from './proc-stats.js';
import { GenProc, ROOT, loopbackIps, sleep, startBaseline, startWirerelay } from './procs.js';
import type { Target } from './procs.js';
import type { FlowSweepRow, LatencySummary, LoadResult, PeerSweepRow, StepResult, TargetName } from './results.js';
import { renderChart } from './chart.js';
import { renderReport } from './report.js';
import { DROP_REASONS } from '../../src/stats/drop-reasons.js';
import { EVENT_LOOP_RESOLUTION_MS } from '../../src/metrics/metrics.js';

/** prom-client's event-loop delay since the previous scrape, less its sampling interval (ms). */
function loopLagMs(m: readonly MetricSample[], stat: 'p99' | 'max'): number {
  return Math.max(0, metric(m, `nodejs_eventloop_lag_${stat}_seconds`) * 1000 - EVENT_LOOP_RESOLUTION_MS);
}

export interface RunOptions {
  readonly quick: boolean;
  readonly cpuProfDir?: string;
  readonly heapProf?: boolean;
  readonly sourceConns: number;
  readonly sinkConns: number;
  readonly txBytes: number;
  readonly invFraction: number;
  readonly workers: number;
  readonly trickleMs: number;
  readonly stepMs: number;
  readonly warmMs: number;
  readonly baselines: boolean;
  readonly sweeps: boolean;
  readonly peerCounts: readonly number[];
  readonly outDir: string;
}

export function parseRunArgs(argv: readonly string[]): RunOptions {
  const has = (f: string): boolean => argv.includes(f);
  const num = (f: string, d: number): number => {
    const i = argv.indexOf(f);
    if (i < 0) return d;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${f} needs a non-negative number`);
    return v;
  };
  const quick = has('--quick');
  return {
    quick,
    heapProf: has('--heap-prof'),
    sourceConns: num('--source-conns', 4),
    sinkConns: num('--sink-conns', 4),
    txBytes: num('--tx-bytes', 250),
    invFraction: num('--inv-fraction', 0.5),
    workers: num('--workers', 1),
    trickleMs: num('--trickle-ms', 0),
    stepMs: num('--step-ms', quick ? 2000 : 8000),
    warmMs: num('--warm-ms', quick ? 500 : 2000),
    baselines: !has('--no-baselines'),
    sweeps: !has('--no-sweeps'),
    peerCounts: [10, 100, 1000],
    outDir: join(ROOT, 'bench/results'),
  };
}

/** Offered loads (deliveries/s): geometric, so a few steps cover two orders of magnitude. */
const LADDER_FULL: Ladder = { startMsgs: 2000, factor: 1.5, maxSteps: 14 };
const LADDER_QUICK: Ladder = { startMsgs: 4000, factor: 2, maxSteps: 7 };
/** Past these a step is "blown up": the knee. */
const KNEE_P99_MS = 50;
const KNEE_LOSS = 0.01;
const KNEE_SHORTFALL = 0.9;

interface Rig {
  readonly target: Target;
  readonly sources: GenProc;
  readonly sinks: GenProc;
  /** Sink connections that should each receive every transaction. */
  readonly fanout: number;
}

async function rig(target: Target, o: RunOptions, sinkConns = o.sinkConns, sourceConns = o.sourceConns): Promise<Rig> {
  const common = { host: target.host, handshake: target.handshake, txBytes: o.txBytes, invFraction: o.invFraction };
  // The raw forwarder pairs each source connection with its own `sinkConns` sinks (see raw-forwarder.ts).
  const sinkTotal = target.name === 'raw-forwarder' ? sinkConns * sourceConns : sinkConns;
  const sinks = new GenProc({ ...common, role: 'sink', port: target.sinkPort, conns: sinkTotal, localIps: loopbackIps(2, 250), sourceId: 0 });
  const sinkReady = await sinks.connect();
  if (sinkReady.established < sinkTotal) throw new Error(`${target.name}: only ${sinkReady.established}/${sinkTotal} sinks connected`);
  // The forwarder must have accepted every sink before the first source takes its share.
  await sleep(300);
  const sources = new GenProc({ ...common, role: 'source', port: target.sourcePort, conns: sourceConns, localIps: loopbackIps(1, 16), sourceId: 1 + (process.pid % 1000) });
  const srcReady = await sources.connect();
  if (srcReady.established < sourceConns) throw new Error(`${target.name}: only ${srcReady.established}/${sourceConns} sources connected`);
  return { target, sources, sinks, fanout: sinkConns };
}

async function unrig(r: Rig): Promise<void> {
  await Promise.all([r.sources.exit(), r.sinks.exit()]);
}

function summary(h: LatencyHistogram): LatencySummary {
  const ms = (us: number): number => (Number.isFinite(us) ? us / 1000 : NaN);
  return { count: h.count, p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.count === 0 ? NaN : h.max) };
}

function dropsOf(m: MetricSample[] | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (m === null) return out;
  for (const r of DROP_REASONS) out[r] = metric(m, 'wirerelay_dropped_messages_total', { reason: r });
  return out;
}

async function drained(sinks: GenProc, maxMs: number): Promise<Snapshot> {
  const end = Date.now() + maxMs;
  let last = -1;
  let still = 0;
  for (;;) {
    const s = await sinks.snapshot(false);
    if (s.receivedTx === last) still++;
    else still = 0;
    last = s.receivedTx;
    if (still >= 2 || Date.now() > end) return s;
    await sleep(150);
  }
}

/** One measured step: warm up at `rate`, reset counters, measure for stepMs, stop, drain, account. */
async function step(r: Rig, rate: number | 'max', o: RunOptions, tick: (info: string) => void): Promise<StepResult> {
  const { target, sources, sinks } = r;
  sources.send({ cmd: 'rate', rate });
  await sleep(o.warmMs);
  await Promise.all([sources.snapshot(true), sinks.snapshot(true)]);
  const m0 = await target.metrics().catch(() => null); // also resets the node's loop-delay window
  const p0 = procSample(target.pid);
  const t0 = Date.now();
  const end = t0 + o.stepMs;
  while (Date.now() < end) {
    await sleep(Math.min(500, end - Date.now()));
    tick(`${target.name} ${rate === 'max' ? 'max' : `${Math.round(rate)} tx/s`}`);
  }
  const [srcMid, sinkMid] = await Promise.all([sources.snapshot(false), sinks.snapshot(false)]);
  const p1 = procSample(target.pid);
  const m1 = await target.metrics().catch(() => null);
  const windowMs = Math.max(1, Date.now() - t0);
  sources.send({ cmd: 'pause' });
  const sinkEnd = await drained(sinks, 10_000);
  const srcEnd = await sources.snapshot(true);
  await sinks.snapshot(true);
  const m2 = await target.metrics().catch(() => null);

  const h = LatencyHistogram.fromJSON(sinkEnd.latency);
  const expected = srcEnd.offeredTx * r.fanout;
  const undelivered = Math.max(0, expected - sinkEnd.receivedTx);
  const d0 = dropsOf(m0);
  const d2 = dropsOf(m2);
  const drops: Record<string, number> = { undelivered };
  for (const k of Object.keys(d2)) drops[k] = d2[k]! - (d0[k] ?? 0);
  const msgsPerSec = (sinkMid.receivedTx * 1000) / windowMs;
  const offeredMsgs = rate === 'max' ? null : rate * r.fanout;
  const lat = summary(h);
  let blownUp: string | null = null;
  if (rate !== 'max') {
    if (expected > 0 && undelivered / expected > KNEE_LOSS) blownUp = `${((100 * undelivered) / expected).toFixed(1)} % undelivered`;
    else if (offeredMsgs !== null && msgsPerSec < KNEE_SHORTFALL * offeredMsgs) blownUp = `throughput ${((100 * msgsPerSec) / offeredMsgs).toFixed(0)} % of offered`;
    else if (lat.p99 > KNEE_P99_MS) blownUp = `p99 ${lat.p99.toFixed(1)} ms > ${KNEE_P99_MS} ms`;
  }
  return {
    target: target.name,
    offeredTxPerSec: rate,
    offeredMsgsPerSec: offeredMsgs,
    sentTxPerSec: (srcMid.offeredTx * 1000) / windowMs,
    msgsPerSec,
    bytesPerSec: (sinkMid.receivedBytes * 1000) / windowMs,
    latencyMs: lat,
    drops,
    cpu: p0 !== null && p1 !== null ? cpuShare(p0, p1) : NaN,
    rssBytes: p1?.rssBytes ?? 0,
    eventLoopLagMs:
      m1 === null
        ? null
        : { p99: loopLagMs(m1, 'p99'), max: loopLagMs(m1, 'max') },
    poolQueueDepth: m1 === null ? null : metric(m1, 'wirerelay_pool_queue_depth'),
    senderBehind: srcMid.behind,
    windowMs,
    blownUp,
  };
}

interface Progress {
  tick(info: string): void;
  done(): void;
  /** Planned steps that will not run (a ladder ended at its knee). */
  skip(n: number): void;
  stop(): void;
}

function progress(total: number): Progress {
  const bar = new cliProgress.SingleBar(
    { format: 'load {bar} {value}/{total} steps | {eta_formatted} left | {info}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000, etaBuffer: 4 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: 'starting' });
  let planned = total;
  return {
    tick: (info) => bar.update({ info }),
    done: () => bar.increment(),
    skip: (n) => {
      planned -= n;
      bar.setTotal(planned);
    },
    stop: () => bar.stop(),
  };
}

function fmtStep(s: StepResult): string {
  const k = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
  return `${s.target} ${s.offeredTxPerSec === 'max' ? 'max' : `${k(s.offeredTxPerSec)} tx/s`}: ${k(s.msgsPerSec)} msgs/s, p50 ${s.latencyMs.p50.toFixed(2)} ms, p99 ${s.latencyMs.p99.toFixed(2)} ms, cpu ${(s.cpu * 100).toFixed(0)} %${s.blownUp === null ? '' : ` [${s.blownUp}]`}`;
}

interface Ladder {
  /** First offered load, in deliveries per second (offered tx/s × sink connections). */
  readonly startMsgs: number;
  readonly factor: number;
  readonly maxSteps: number;
}

/**
 * Steps the offered load up by `factor` until a step blows up (the knee), then, if asked, measures
 * once more at half of the best sustained rate. "Sustained" = relayed msgs/s of a step that did not
 * blow up: past the knee throughput may still rise a little, but only by queueing without bound.
 */
async function runTarget(
  make: () => Promise<Target>,
  o: RunOptions,
  ladder: Ladder,
  halfMax: boolean,
  p: Progress,
  log: (s: string) => void,
): Promise<{ best: StepResult | undefined; steps: StepResult[]; half: StepResult | null }> {
  const target = await make();
  let r: Rig | undefined;
  try {
    r = await rig(target, o);
    const steps: StepResult[] = [];
    let offered = ladder.startMsgs;
    for (let i = 0; i < ladder.maxSteps; i++) {
      const s = await step(r, offered / r.fanout, o, p.tick);
      p.done();
      log(fmtStep(s));
      steps.push(s);
      if (s.blownUp !== null) {
        p.skip(ladder.maxSteps - i - 1);
        break;
      }
      offered *= ladder.factor;
    }
    const ok = steps.filter((s) => s.blownUp === null);
    const best = (ok.length > 0 ? ok : steps.slice(0, 1)).reduce<StepResult | undefined>((a, b) => (a === undefined || b.msgsPerSec > a.msgsPerSec ? b : a), undefined);
    let half: StepResult | null = null;
    if (halfMax && best !== undefined) {
      half = await step(r, best.msgsPerSec / 2 / r.fanout, o, p.tick);
      p.done();
      log(`half of max: ${fmtStep(half)}`);
    }
    return { best, steps, half };
  } finally {
    if (r !== undefined) await unrig(r);
    await target.stop();
  }
}

async function peerSweep(o: RunOptions, deliveriesPerSec: number, p: Progress, log: (s: string) => void): Promise<PeerSweepRow[]> {
  const rows: PeerSweepRow[] = [];
  for (const peers of o.peerCounts) {
    const target = await startWirerelay({ workers: o.workers, trickleMs: o.trickleMs, maxInbound: 2000 });
    let r: Rig | undefined;
    try {
      await sleep(500);
      const idle = procSample(target.pid);
      const sourceConns = 2;
      r = await rig(target, o, peers - sourceConns, sourceConns);
      // What the connected peers cost with no traffic (ticker, pings, metrics): not per message.
      const q0 = procSample(target.pid);
      await sleep(1500);
      const q1 = procSample(target.pid);
      const idleCpu = q0 !== null && q1 !== null ? cpuShare(q0, q1) : 0;
      const s = await step(r, deliveriesPerSec / r.fanout, o, p.tick);
      p.done();
      const status = (await target.status()) as { peers?: { established?: number } } | null;
      const cpuUsPerMsg = s.msgsPerSec > 0 ? (Math.max(0, s.cpu - idleCpu) * 1e6) / s.msgsPerSec : NaN;
      const row: PeerSweepRow = {
        peers,
        established: status?.peers?.established ?? 0,
        msgsPerSec: s.msgsPerSec,
        cpuUsPerMsg,
        idleCpu,
        rssBytes: s.rssBytes,
        rssIdleBytes: idle?.rssBytes ?? 0,
        bytesPerPeer: (s.rssBytes - (idle?.rssBytes ?? 0)) / peers,
        latencyMs: s.latencyMs,
      };
      log(`peers ${peers}: ${row.msgsPerSec.toFixed(0)} msgs/s, ${cpuUsPerMsg.toFixed(1)} µs CPU/msg, RSS ${(row.rssBytes / 2 ** 20).toFixed(0)} MiB (${(row.bytesPerPeer / 1024).toFixed(1)} KiB/peer), p99 ${s.latencyMs.p99.toFixed(2)} ms`);
      rows.push(row);
    } finally {
      if (r !== undefined) await unrig(r);
      await target.stop();
    }
  }
  return rows;
}

function flowSweep(quick: boolean): FlowSweepRow[] {
  const out = execFileSync(process.execPath, ['--expose-gc', join(ROOT, 'dist/bench/load/flow-sweep.js'), String(quick ? 300_000 : 2_000_000)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return (JSON.parse(out) as { rows: FlowSweepRow[] }).rows;
}

function newestProfile(dir: string, since: number): string | null {
  try {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ f: join(dir, f), t: statSync(join(dir, f)).mtimeMs }))
      .filter((x) => x.t >= since)
      .sort((a, b) => b.t - a.t);
    return files[0]?.f ?? null;
  } catch {
    return null;
  }
}

export async function runLoad(o: RunOptions): Promise<LoadResult> {
  const started = Date.now();
  mkdirSync(o.outDir, { recursive: true });
  const ladder = o.quick ? LADDER_QUICK : LADDER_FULL;
  const total = ladder.maxSteps + 1 + (o.baselines ? 2 * ladder.maxSteps : 0) + (o.sweeps ? o.peerCounts.length : 0);
  const lines: string[] = [];
  const p = progress(total);
  const log = (s: string): void => {
    lines.push(s);
  };
  const notes: string[] = [`Load average at start: ${loadavg().map((x) => x.toFixed(2)).join(', ')} on ${cpus().length} cores (other work on the machine competes with every target alike).`];
  const steps: StepResult[] = [];
  const max: Partial<Record<TargetName, StepResult>> = {};
  let halfMax: StepResult | null = null;
  let profile: string | null = null;
  let peerRows: PeerSweepRow[] = [];
  let flowRows: FlowSweepRow[] = [];
  try {
    const wr = await runTarget(
      () => startWirerelay({ workers: o.workers, trickleMs: o.trickleMs, maxInbound: 2000, cpuProfDir: o.cpuProfDir, heapProf: o.heapProf }),
      o,
      ladder,
      true,
      p,
      log,
    );
    if (wr.best !== undefined) max.wirerelay = wr.best;
    halfMax = wr.half;
    steps.push(...wr.steps);
    if (o.cpuProfDir !== undefined) profile = newestProfile(o.cpuProfDir, started);
    if (o.baselines) {
      for (const kind of ['raw', 'naive'] as const) {
        const b = await runTarget(() => startBaseline(kind, o.sinkConns), o, ladder, false, p, log);
        if (b.best !== undefined) max[b.best.target] = b.best;
        steps.push(...b.steps);
      }
    }
    if (o.sweeps) {
      // A delivery rate every peer count can carry: a third of wirerelay's sustained maximum, capped.
      const d = Math.min(20_000, Math.max(1000, (max.wirerelay?.msgsPerSec ?? 3000) / 3));
      peerRows = await peerSweep(o, d, p, log);
      p.tick('flow sweep (in process)');
      flowRows = flowSweep(o.quick);
      notes.push(`Peer sweep offered ${d.toFixed(0)} deliveries/s at every peer count (2 source connections, the rest sinks).`);
    }
  } finally {
    p.stop();
    for (const l of lines) console.log(l);
  }
  const result: LoadResult = {
    bench: 'load',
    date: new Date().toISOString(),
    quick: o.quick,
    machine: { node: process.version, cpu: cpus()[0]?.model ?? '?', cores: cpus().length },
    setup: {
      sourceConns: o.sourceConns,
      sinkConns: o.sinkConns,
      txBytes: o.txBytes,
      invFraction: o.invFraction,
      workers: o.workers,
      trickleMs: o.trickleMs,
      stepMs: o.stepMs,
    },
    steps,
    max,
    halfMax,
    peerSweep: peerRows,
    flowSweep: flowRows,
    flowSweepNote:
      'Flow sweep runs FlowTable in process (bench/load/flow-sweep.ts): 1M flows over sockets would need ~1,000 × 1,000 connected peer pairs, beyond this machine.',
    profile,
    notes,
  };
  const stamp = result.date.replace(/[:.]/g, '-');
  writeFileSync(join(o.outDir, 'load.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(o.outDir, `load-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(o.outDir, 'load-chart.svg'), renderChart(result));
  writeFileSync(join(o.outDir, 'load-report.md'), renderReport(result));
  console.log(`\nwrote ${join(o.outDir, 'load.json')}, load-report.md, load-chart.svg in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return result;
}
