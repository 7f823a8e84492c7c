/**
 * The load harness's result schema: what bench/results/load.json holds and what the report and the
 * charts are rendered from, plus the verdicts (issue 9's targets, and which side limited each run).
 * Rates are per second of the measurement window; latencies in ms; CPU in cores (1.0 = one core).
 *
 * Kept for other tools: `max.<target>.msgsPerSec` and `steps[].{target, offeredMsgsPerSec,
 * msgsPerSec, cpu, blownUp}`. `max` is push mode; `maxByMode` has both modes.
 */
import type { Accounting } from './accounting.js';
import type { KneeBracket, KneeCause } from './knee.js';

/** What one run of the load harness does (bench/load/run.ts parseRunArgs). */
export interface RunOptions {
  readonly quick: boolean;
  readonly cpuProfDir?: string;
  readonly heapProf?: boolean;
  readonly sourceConns: number;
  readonly sinkConns: number;
  readonly txBytes: number;
  readonly modes: readonly Mode[];
  readonly workers: number;
  readonly trickleMs: number;
  readonly stepMs: number;
  readonly warmMs: number;
  readonly baselines: boolean;
  readonly sweeps: boolean;
  /** Which sweeps run (`--sweep fan-in` or `--sweep fan-out`; both by default). */
  readonly sweepKinds: readonly SweepRow['kind'][];
  readonly peerCounts: readonly number[];
  /** Deliveries/s offered in every sweep row. */
  readonly sweepRate: number;
  /** Also search wirerelay's knee with the generators speaking BIP324 v2 (push, or the first mode). */
  readonly v2: boolean;
  readonly outDir: string;
}

export type TargetName = 'wirerelay' | 'raw-forwarder' | 'naive-relay';
export const TARGETS: readonly TargetName[] = ['wirerelay', 'naive-relay', 'raw-forwarder'];
/** push: sources send every transaction as tx. inv: every one announced by inv, sent on getdata. */
export type Mode = 'push' | 'inv';
export const MODES: readonly Mode[] = ['push', 'inv'];

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The load generators over the measurement window. */
export interface GeneratorStats {
  /** CPU of the source and sink processes, in cores. */
  readonly sourceCpu: number;
  readonly sinkCpu: number;
  readonly sourceElu: number;
  readonly sinkElu: number;
  /** Generators' CPU (sources + sinks) per delivery, µs: compare with the node's. */
  readonly usPerMsg: number;
  /** How late the sources sent measured transactions against their schedule, p99 ms. */
  readonly lateP99Ms: number;
}

export interface StepResult {
  readonly target: TargetName;
  readonly mode: Mode;
  /**
   * How the step was chosen: climbing the ladder, bisecting the knee, repeating a step that failed on
   * latency alone, half of the maximum, the naive relay's best load (equal-load comparison), the
   * raw forwarder at wirerelay's half of the maximum (the harness's latency floor), a sweep.
   */
  readonly phase: 'ladder' | 'bisect' | 'repeat' | 'half' | 'equal' | 'floor' | 'sweep';
  readonly offeredTxPerSec: number;
  /** Deliveries the offer implies: offered tx/s × sink connections that should each get every tx. */
  readonly offeredMsgsPerSec: number;
  readonly sentTxPerSec: number;
  /** Transactions that arrived at sinks per second during the window (the "relayed messages"). */
  readonly msgsPerSec: number;
  readonly bytesPerSec: number;
  /** Source → sink, from each measured transaction's scheduled send time. */
  readonly latencyMs: LatencySummary;
  /** Every expected delivery: arrived, explained by a counted cause, or unexplained. */
  readonly drops: Accounting;
  /**
   * Where transactions went, counted from the window's start to the end of the drain (all
   * transactions, not only the measured ones): what the sources sent, what the node read and wrote
   * (its message counters; null for baselines), what the sinks received. Locates unexplained loss.
   */
  readonly path: { readonly sourceSentTx: number; readonly nodeTxIn: number | null; readonly nodeTxOut: number | null; readonly sinkReceivedTx: number };
  /** Node CPU (all threads), cores. */
  readonly cpu: number;
  /** Node CPU per delivery, µs. */
  readonly nodeUsPerMsg: number;
  readonly rssBytes: number;
  /** The target's main-thread event-loop utilization over the window (probe.ts). */
  readonly nodeElu: number | null;
  /** GC pause time per second of window, and pauses. */
  readonly gcMsPerSec: number | null;
  readonly gcCount: number | null;
  /** The window's GC pauses: p99 and longest, and how many were full (mark-compact) collections (probe.ts). */
  readonly gcPauseMs: { readonly p99: number; readonly max: number; readonly major: number } | null;
  /** Turn lengths at 1 ms granularity, duration-weighted: how late a 1 ms timer fired (probe.ts). */
  readonly turnMs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
  readonly eventLoopLagMs: { readonly p99: number; readonly max: number } | null;
  /**
   * The target's main thread waiting for a CPU while runnable (/proc/<pid>/schedstat): ms per
   * second of window, and µs per time it got a CPU. Latency the machine's other threads caused.
   */
  readonly runQueueWait: { readonly msPerSec: number; readonly usPerSlice: number } | null;
  /** The node's worker-pool queue when its /metrics is read after the window (the sources stopped). */
  readonly poolQueueDepth: number | null;
  /**
   * Batches (and their frames) the node sent to the worker pool from its /metrics read in the
   * warm-up to the one after the sources stopped (never read inside the window: a scrape stalls the node).
   */
  readonly poolBatches: number | null;
  readonly poolFrames: number | null;
  /** Frames per socket read / write over the same span; null while the node exports no read/write counts. */
  readonly framesPerRead: number | null;
  readonly framesPerWrite: number | null;
  readonly generators: GeneratorStats;
  /** All CPU in use on the machine, and the part no process of this run used, in cores (/proc/stat). */
  readonly machineCpu: number | null;
  readonly otherCpu: number | null;
  /** Ticks in which a source could not send what was due (the target pushed back through TCP). */
  readonly senderBehind: number;
  /** Generator connections the target closed during the step (a ban, a timeout). */
  readonly closedConnections: { readonly sources: number; readonly sinks: number };
  /** Warnings the node logged during the step, by message (and offence); null for baselines. */
  readonly nodeWarnings: Readonly<Record<string, number>> | null;
  readonly windowMs: number;
  readonly causes: readonly KneeCause[];
  /** Why this step counts as past the knee, if it does. */
  readonly blownUp: string | null;
}

/** Which side held a run back at its knee. */
export interface Limit {
  readonly side: 'node' | 'generators' | 'machine' | 'none';
  readonly text: string;
}

/** One target in one mode: its ladder and knee search. */
export interface TargetRun {
  readonly target: TargetName;
  readonly mode: Mode;
  /** Best delivered rate among the steps that held. */
  readonly best: StepResult | null;
  readonly knee: KneeBracket & { readonly cause: string | null; readonly limit: Limit | null };
  readonly half: StepResult | null;
}

export interface SweepRow {
  readonly kind: 'fan-in' | 'fan-out';
  readonly mode: Mode;
  readonly peers: number;
  readonly sources: number;
  readonly sinks: number;
  readonly established: number;
  readonly offeredMsgsPerSec: number;
  readonly msgsPerSec: number;
  /** Node CPU µs per delivery, the idle cost of the connected peers subtracted. */
  readonly nodeUsPerMsg: number;
  readonly idleCpu: number;
  readonly nodeElu: number | null;
  readonly rssBytes: number;
  readonly rssIdleBytes: number;
  readonly bytesPerPeer: number;
  readonly latencyMs: LatencySummary;
  readonly generators: GeneratorStats;
  readonly drops: Accounting;
}

export interface LoadResult {
  readonly bench: 'load';
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { readonly node: string; readonly cpu: string; readonly cores: number };
  readonly setup: Pick<RunOptions, 'sourceConns' | 'sinkConns' | 'txBytes' | 'workers' | 'trickleMs' | 'stepMs' | 'warmMs' | 'modes'>;
  readonly steps: readonly StepResult[];
  /** Push mode: best sustained step per target. */
  readonly max: Readonly<Partial<Record<TargetName, StepResult>>>;
  readonly maxByMode: Readonly<Partial<Record<Mode, Readonly<Partial<Record<TargetName, StepResult>>>>>>;
  /** wirerelay at half of its push-mode maximum (halfByMode: both modes). */
  readonly halfMax: StepResult | null;
  readonly halfByMode: Readonly<Partial<Record<Mode, StepResult>>>;
  readonly runs: readonly TargetRun[];
  readonly fanIn: readonly SweepRow[];
  readonly fanOut: readonly SweepRow[];
  /** Metric names the harness reads that the node did not export (should be empty). */
  readonly missingMetrics: readonly string[];
  /** CPU profiles of the node, one per knee search ("push", "inv", "v2 push"; npm run profile). */
  readonly profiles: Readonly<Partial<Record<string, string>>>;
  readonly notes: readonly string[];
  /** `--v2`: wirerelay's knee search again with the generators speaking BIP324 v2 (one mode). */
  readonly v2?: V2Section | null;
}

/** wirerelay with every generator connection on BIP324 v2, beside the same run's v1 search. */
export interface V2Section {
  readonly mode: Mode;
  readonly run: TargetRun;
  readonly steps: readonly StepResult[];
}

/** issue 12: end to end, v2 throughput at least this share of v1's in the same run. */
export const V2_GOAL = 0.7;

/** wirerelay's best sustained deliveries/s over v2 and over v1 in the v2 section's mode, and their ratio. */
export function v2Comparison(r: LoadResult): { mode: Mode; v1: number | null; v2: number | null; ratio: number | null } | null {
  if (r.v2 === undefined || r.v2 === null) return null;
  const v1 = r.maxByMode[r.v2.mode]?.wirerelay?.msgsPerSec ?? null;
  const v2 = r.v2.run.best?.msgsPerSec ?? null;
  return { mode: r.v2.mode, v1, v2, ratio: ratio(v2, v1) };
}

export interface Verdict {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

/** Ratio a / b, or null when either side is missing or b is 0. */
export function ratio(a: number | undefined | null, b: number | undefined | null): number | null {
  if (a === undefined || b === undefined || a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Largest over smallest of positive values (1.0 = all equal); null with fewer than two. */
export function spreadRatio(xs: readonly number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length < 2) return null;
  return Math.max(...v) / Math.min(...v);
}

/** Node CPU per delivery, µs. */
export function usPerMsg(cpu: number, msgsPerSec: number): number {
  return msgsPerSec > 0 ? (cpu * 1e6) / msgsPerSec : NaN;
}

/** A side counts as saturated at this event-loop utilization (or share of the machine's cores). */
export const SATURATED = 0.9;

/**
 * Which side held the step back: the node's loop, the generators' loops (saturated, or sending so
 * late that their lateness is most of the latency), the machine's cores, or none.
 */
export function limitOf(s: StepResult, cores: number): Limit {
  const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
  const g = s.generators;
  const genElu = Math.max(g.sourceElu, g.sinkElu);
  const genName = g.sourceElu >= g.sinkElu ? 'sources' : 'sinks';
  const node = s.nodeElu === null ? 'n/a' : s.nodeElu.toFixed(2);
  const closed = s.closedConnections.sources + s.closedConnections.sinks;
  if (closed > 0) {
    const w = Object.entries(s.nodeWarnings ?? {}).map(([k, v]) => `${k} ×${v}`);
    return {
      side: 'node',
      text: `the target: it closed ${closed} generator connection${closed === 1 ? '' : 's'} (${s.closedConnections.sinks} sink, ${s.closedConnections.sources} source)${w.length === 0 ? '' : `; it warned: ${w.join(', ')}`}`,
    };
  }
  if (s.nodeElu !== null && s.nodeElu >= SATURATED) return { side: 'node', text: `the node: event-loop utilization ${node} ≥ ${SATURATED} (generators ${genElu.toFixed(2)})` };
  if (genElu >= SATURATED) return { side: 'generators', text: `the generators: ${genName}' event-loop utilization ${genElu.toFixed(2)} ≥ ${SATURATED} while the node's was ${node}` };
  if (s.causes.length === 1 && s.causes[0] === 'latency' && g.lateP99Ms >= 0.5 * s.latencyMs.p99) {
    return {
      side: 'generators',
      text: `the generators: the sources sent late (p99 ${g.lateP99Ms.toFixed(1)} ms of the ${s.latencyMs.p99.toFixed(1)} ms end-to-end p99) while the node's event-loop utilization was ${node}${s.otherCpu !== null && s.otherCpu > 0.25 * cores ? ` and other work took ${s.otherCpu.toFixed(2)} cores` : ''}`,
    };
  }
  if (s.machineCpu !== null && s.machineCpu >= SATURATED * cores) {
    return {
      side: 'machine',
      text: `the machine: ${s.machineCpu.toFixed(2)} of ${cores} cores busy (node ${s.cpu.toFixed(2)}, generators ${(g.sourceCpu + g.sinkCpu).toFixed(2)}, other work ${(s.otherCpu ?? 0).toFixed(2)}); no event loop saturated (node ${node}, generators ${genElu.toFixed(2)})`,
    };
  }
  return {
    side: 'none',
    text: `no side saturated (node ELU ${node}${s.runQueueWait === null ? '' : `, and runnable but waiting for a CPU ${(s.runQueueWait.msPerSec / 1000).toFixed(2)} s/s`}, generators ${genElu.toFixed(2)}, machine ${s.machineCpu === null ? 'n/a' : pct(s.machineCpu / cores)} of its cores): the knee is the protocol's waiting (round trips, timers), not CPU`,
  };
}

/**
 * issue 9: "at the highest offered load that both wirerelay and the naive relay sustain". Steps of
 * both ladders sit at the same offered loads (same start and factor), so the comparison is at the
 * highest offered load where both have a step that held.
 */
export function equalLoad(steps: readonly StepResult[], mode: Mode): { offered: number; wirerelay: StepResult; naive: StepResult; ratio: number } | null {
  const held = (t: TargetName): StepResult[] => steps.filter((s) => s.target === t && s.mode === mode && s.blownUp === null && s.phase !== 'sweep');
  let best: { offered: number; wirerelay: StepResult; naive: StepResult; ratio: number } | null = null;
  for (const w of held('wirerelay')) {
    const n = held('naive-relay').find((x) => Math.abs(x.offeredMsgsPerSec - w.offeredMsgsPerSec) <= 0.02 * w.offeredMsgsPerSec);
    if (n === undefined || (best !== null && w.offeredMsgsPerSec <= best.offered)) continue;
    const r = ratio(w.nodeUsPerMsg, n.nodeUsPerMsg);
    if (r !== null) best = { offered: w.offeredMsgsPerSec, wirerelay: w, naive: n, ratio: r };
  }
  return best;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** issue 9's targets, evaluated on a result (n/a where a side was not measured). */
export function verdicts(r: LoadResult): Verdict[] {
  const out: Verdict[] = [];
  const raw = r.maxByMode.push?.['raw-forwarder']?.msgsPerSec;
  for (const [mode, goal] of [
    ['push', 0.5],
    ['inv', 0.25],
  ] as const) {
    const q = ratio(r.maxByMode[mode]?.wirerelay?.msgsPerSec, raw);
    out.push({ name: `${mode}: max sustained deliveries/s vs raw forwarder`, target: `≥ ${goal * 100} %`, measured: q === null ? 'n/a' : pct(q), met: q === null ? null : q >= goal });
  }
  for (const mode of MODES) {
    const e = equalLoad(r.steps, mode);
    out.push({
      name: `${mode}: node CPU per delivery vs naive relay at equal load`,
      target: '≤ 0.5×',
      measured: e === null ? 'n/a (no offered load both held)' : `${e.ratio.toFixed(2)}× (${e.wirerelay.nodeUsPerMsg.toFixed(1)} vs ${e.naive.nodeUsPerMsg.toFixed(1)} µs at ${Math.round(e.offered)} deliveries/s)`,
      met: e === null ? null : e.ratio <= 0.5,
    });
  }
  for (const mode of MODES) {
    const h = r.halfByMode[mode];
    const p99 = h?.latencyMs.p99;
    const floor = h === undefined ? undefined : r.steps.find((s) => s.target === 'raw-forwarder' && s.mode === mode && s.phase !== 'sweep' && Math.abs(s.offeredMsgsPerSec - h.offeredMsgsPerSec) <= 0.02 * h.offeredMsgsPerSec);
    const floorText = floor === undefined ? '' : ` (the raw forwarder at the same load: ${floor.latencyMs.p99.toFixed(2)} ms)`;
    out.push({
      name: `${mode}: p99 at half of max`,
      target: '≤ 2 ms',
      measured: p99 === undefined || !Number.isFinite(p99) ? 'n/a' : `${p99.toFixed(2)} ms${floorText}`,
      met: p99 === undefined || !Number.isFinite(p99) ? null : p99 <= 2,
    });
  }
  for (const [kind, rows] of [
    ['fan-in', r.fanIn],
    ['fan-out', r.fanOut],
  ] as const) {
    const s = spreadRatio(rows.map((x) => x.nodeUsPerMsg));
    out.push({
      name: `${kind}: node CPU per delivery, ${rows.map((x) => x.peers).join('/')} peers`,
      target: 'within 1.5×',
      measured: s === null ? 'n/a' : `${s.toFixed(2)}× (${rows.map((x) => x.nodeUsPerMsg.toFixed(1)).join(' / ')} µs)`,
      met: s === null ? null : s <= 1.5,
    });
    const big = rows.find((x) => x.peers >= 1000);
    out.push({
      name: `${kind}: p99 with 1,000 peers`,
      target: '≤ 50 ms',
      measured: big === undefined || !Number.isFinite(big.latencyMs.p99) ? 'n/a' : `${big.latencyMs.p99.toFixed(1)} ms`,
      met: big === undefined || !Number.isFinite(big.latencyMs.p99) ? null : big.latencyMs.p99 <= 50,
    });
  }
  const v = v2Comparison(r);
  if (v !== null) {
    out.push({
      name: `${v.mode}: wirerelay max sustained deliveries/s, v2 vs v1 (same run)`,
      target: `≥ ${V2_GOAL * 100} %`,
      measured: v.ratio === null ? 'n/a' : `${pct(v.ratio)} (${Math.round(v.v2!)} vs ${Math.round(v.v1!)})`,
      met: v.ratio === null ? null : v.ratio >= V2_GOAL,
    });
    const p99 = r.v2?.run.half?.latencyMs.p99;
    out.push({
      name: `${v.mode}: p99 at half of max, v2`,
      target: '≤ 5 ms',
      measured: p99 === undefined || !Number.isFinite(p99) ? 'n/a' : `${p99.toFixed(2)} ms`,
      met: p99 === undefined || !Number.isFinite(p99) ? null : p99 <= 5,
    });
  }
  return out;
}

/** The closing lines: per run, where the knee is, why, and which side limited it. */
export function limitLines(r: LoadResult): string[] {
  const k = (x: number | null): string => (x === null ? 'n/a' : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
  const order = (x: TargetRun): number => TARGETS.indexOf(x.target) * 10 + MODES.indexOf(x.mode);
  const line = (run: TargetRun, label: string): string => {
    const b = run.knee;
    const where =
      b.failed === null
        ? `no knee up to ${k(b.held)} deliveries/s offered`
        : b.held === null
          ? `failed already at ${k(b.failed)} deliveries/s offered`
          : `knee between ${k(b.held)} and ${k(b.failed)} deliveries/s offered (${b.resolved ? 'within' : 'NOT within'} 10 %)`;
    const best = run.best === null ? '' : `, best ${k(run.best.msgsPerSec)} deliveries/s`;
    const cause = b.cause === null ? '' : `; cause: ${b.cause}`;
    const limit = b.limit === null ? '' : `; limit: ${b.limit.text}`;
    return `verdict ${run.mode} ${label}: ${where}${best}${cause}${limit}`;
  };
  const out = [...r.runs].sort((a, b) => order(a) - order(b)).map((run) => line(run, run.target));
  if (r.v2 !== undefined && r.v2 !== null) {
    out.push(line(r.v2.run, `${r.v2.run.target} v2`));
    const v = v2Comparison(r)!;
    const met = v.ratio === null ? 'n/a' : v.ratio >= V2_GOAL ? 'met' : 'MISSED';
    out.push(`verdict ${v.mode} v2/v1: wirerelay ${k(v.v2)} vs ${k(v.v1)} deliveries/s = ${v.ratio === null ? 'n/a' : pct(v.ratio)} (goal ≥ ${V2_GOAL * 100} %: ${met})`);
  }
  return out;
}
