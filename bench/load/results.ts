/**
 * The load harness's result schema: what bench/results/load.json holds and what the report and the
 * chart are rendered from. Rates are per second of the measurement window; latencies in ms.
 */
import type { RunOptions } from './run.js';

export type TargetName = 'wirerelay' | 'raw-forwarder' | 'naive-relay';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface StepResult {
  readonly target: TargetName;
  /** Offered transactions per second from all sources, or 'max' (as fast as the target accepts). */
  readonly offeredTxPerSec: number | 'max';
  /** Deliveries the offer implies: offered tx/s × sink connections that should each get every tx. */
  readonly offeredMsgsPerSec: number | null;
  readonly sentTxPerSec: number;
  /** Transactions that arrived at sinks per second (the "relayed messages"). */
  readonly msgsPerSec: number;
  readonly bytesPerSec: number;
  readonly latencyMs: LatencySummary;
  /** By reason; `undelivered` = expected at sinks after the drain but never arrived (harness-side). */
  readonly drops: Readonly<Record<string, number>>;
  readonly cpu: number;
  readonly rssBytes: number;
  readonly eventLoopLagMs: { readonly p99: number; readonly max: number } | null;
  readonly poolQueueDepth: number | null;
  /** Paced sending fell behind (the target pushed back through TCP). */
  readonly senderBehind: number;
  readonly windowMs: number;
  /** Why this step counts as past the knee, if it does. */
  readonly blownUp: string | null;
}

export interface PeerSweepRow {
  readonly peers: number;
  readonly established: number;
  readonly msgsPerSec: number;
  /** Node CPU µs per delivered message, the idle cost of the connected peers subtracted. */
  readonly cpuUsPerMsg: number;
  /** Node CPU share with the peers connected and no traffic. */
  readonly idleCpu: number;
  readonly rssBytes: number;
  readonly rssIdleBytes: number;
  readonly bytesPerPeer: number;
  readonly latencyMs: LatencySummary;
}

export interface FlowSweepRow {
  readonly flows: number;
  readonly nsPerRecordHot: number;
  readonly nsPerRecordUniform: number;
  readonly bytesPerFlow: number;
}

export interface LoadResult {
  readonly bench: 'load';
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { readonly node: string; readonly cpu: string; readonly cores: number };
  readonly setup: Pick<RunOptions, 'sourceConns' | 'sinkConns' | 'txBytes' | 'invFraction' | 'workers' | 'trickleMs' | 'stepMs'>;
  readonly steps: readonly StepResult[];
  /** Max-rate runs (offered 'max') per target. */
  readonly max: Readonly<Partial<Record<TargetName, StepResult>>>;
  /** wirerelay at half of its measured maximum. */
  readonly halfMax: StepResult | null;
  readonly peerSweep: readonly PeerSweepRow[];
  readonly flowSweep: readonly FlowSweepRow[];
  readonly flowSweepNote: string;
  readonly profile: string | null;
  readonly notes: readonly string[];
}

export interface Verdict {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

/** Ratio a / b, or null when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Largest relative deviation of `xs` from its first element (0.2 = 20 %). */
export function spread(xs: readonly number[]): number | null {
  if (xs.length < 2 || !(xs[0]! > 0)) return null;
  return Math.max(...xs.map((x) => Math.abs(x - xs[0]!) / xs[0]!));
}

/** The targets, evaluated on a result. */
export function verdicts(r: LoadResult): Verdict[] {
  const out: Verdict[] = [];
  const wr = r.max.wirerelay?.msgsPerSec;
  const raw = r.max['raw-forwarder']?.msgsPerSec;
  const q = ratio(wr, raw);
  out.push({ name: 'throughput vs raw forwarder', target: '≥ 50 %', measured: q === null ? 'n/a' : `${(q * 100).toFixed(1)} %`, met: q === null ? null : q >= 0.5 });
  const p99 = r.halfMax?.latencyMs.p99;
  out.push({ name: 'p99 latency at half max', target: '≤ 2 ms', measured: p99 === undefined ? 'n/a' : `${p99.toFixed(2)} ms`, met: p99 === undefined ? null : p99 <= 2 });
  const ps = spread(r.peerSweep.map((x) => x.cpuUsPerMsg));
  out.push({
    name: `cost per message, ${r.peerSweep.map((x) => x.peers).join('/')} peers`,
    target: 'within 20 %',
    measured: ps === null ? 'n/a' : `±${(ps * 100).toFixed(0)} %`,
    met: ps === null ? null : ps <= 0.2,
  });
  // Flows enter a message's cost only through FlowTable.record: the sweep's extra ns per record at
  // 1M flows, over what one relayed message costs the node end to end at 10k.
  const f0 = r.flowSweep[0];
  const fN = r.flowSweep[r.flowSweep.length - 1];
  const w = r.max.wirerelay;
  const perMsgUs = w !== undefined && w.msgsPerSec > 0 ? (w.cpu * 1e6) / w.msgsPerSec : NaN;
  const fs = f0 === undefined || fN === undefined || f0 === fN || !Number.isFinite(perMsgUs) ? null : Math.abs(fN.nsPerRecordHot - f0.nsPerRecordHot) / 1000 / perMsgUs;
  out.push({
    name: `cost per message, ${r.flowSweep.map((x) => x.flows).join('/')} flows`,
    target: 'within 20 %',
    measured:
      fs === null
        ? 'n/a'
        : `±${(fs * 100).toFixed(2)} % end to end (record alone ${f0!.nsPerRecordHot.toFixed(0)} → ${fN!.nsPerRecordHot.toFixed(0)} ns, of ${perMsgUs.toFixed(0)} µs per message)`,
    met: fs === null ? null : fs <= 0.2,
  });
  const big = r.peerSweep.find((x) => x.peers >= 1000);
  out.push({
    name: 'RSS with 1,000 peers',
    target: '< 512 MB',
    measured: big === undefined ? 'n/a (not run)' : `${(big.rssBytes / 2 ** 20).toFixed(0)} MiB`,
    met: big === undefined ? null : big.rssBytes < 512 * 2 ** 20,
  });
  return out;
}
