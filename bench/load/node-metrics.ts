/**
 * Every metric name the load harness reads from a wirerelay node's /metrics, in one place, read
 * strictly: a name the node does not export is reported as missing instead of silently reading 0
 * (which is how "drops always read 0" went unnoticed). test/bench/node-metrics.test.ts checks each
 * REQUIRED name against a real node's /metrics.
 */
import { EVENT_LOOP_RESOLUTION_MS } from '../../src/metrics/metrics.js';
import { DROP_REASONS } from '../../src/stats/drop-reasons.js';
import type { MetricSample } from './proc-stats.js';

export const NODE_METRICS = {
  /** Relayed messages dropped, by reason (src/stats/drop-reasons.ts). */
  droppedPackets: 'wirerelay_dropped_packets_total',
  messagesIn: 'wirerelay_received_messages_total',
  messagesOut: 'wirerelay_sent_messages_total',
  /** Histogram: frames per batch sent to the worker pool (_count = batches, _sum = frames). */
  poolBatchFramesCount: 'wirerelay_batch_frames_count',
  poolBatchFramesSum: 'wirerelay_batch_frames_sum',
  poolQueueDepth: 'wirerelay_pool_queue_depth',
  /** prom-client's event-loop delay since the previous scrape (sampled every EVENT_LOOP_RESOLUTION_MS). */
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
  eventLoopLagMax: 'nodejs_eventloop_lag_max_seconds',
  /** Socket reads and writes: messages in (out) per read (write) = mean frames per read (write). */
  socketReads: 'wirerelay_socket_reads_total',
  socketWrites: 'wirerelay_socket_writes_total',
} as const;

export const REQUIRED_METRIC_NAMES: readonly string[] = Object.values(NODE_METRICS);

/** Sum of `name` over the samples whose labels include `match`; null when the node does not export `name`. */
export function readMetric(samples: readonly MetricSample[], name: string, match: Readonly<Record<string, string>> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    found = true;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return found ? sum : null;
}

/** The REQUIRED names absent from a scrape. */
export function missingMetrics(samples: readonly MetricSample[]): string[] {
  const have = new Set(samples.map((s) => s.name));
  return REQUIRED_METRIC_NAMES.filter((n) => !have.has(n));
}

/** What one scrape says, by the names above (null where the node exports no such metric). */
export interface NodeCounters {
  readonly dropsByReason: Readonly<Record<string, number>> | null;
  readonly txIn: number | null;
  readonly txOut: number | null;
  readonly messagesIn: number | null;
  readonly messagesOut: number | null;
  readonly poolBatches: number | null;
  readonly poolFrames: number | null;
  readonly poolQueueDepth: number | null;
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
  readonly socketReads: number | null;
  readonly socketWrites: number | null;
}

export function nodeCounters(m: readonly MetricSample[]): NodeCounters {
  let drops: Record<string, number> | null = null;
  if (readMetric(m, NODE_METRICS.droppedPackets) !== null) {
    drops = {};
    for (const r of DROP_REASONS) drops[r] = readMetric(m, NODE_METRICS.droppedPackets, { reason: r }) ?? 0;
  }
  // The histogram records whole sampling intervals: the lag is what exceeds one.
  const lag = (x: number | null): number | null => (x === null ? null : Math.max(0, x * 1000 - EVENT_LOOP_RESOLUTION_MS));
  return {
    dropsByReason: drops,
    txIn: readMetric(m, NODE_METRICS.messagesIn, { command: 'tx' }),
    txOut: readMetric(m, NODE_METRICS.messagesOut, { command: 'tx' }),
    messagesIn: readMetric(m, NODE_METRICS.messagesIn),
    messagesOut: readMetric(m, NODE_METRICS.messagesOut),
    poolBatches: readMetric(m, NODE_METRICS.poolBatchFramesCount),
    poolFrames: readMetric(m, NODE_METRICS.poolBatchFramesSum),
    poolQueueDepth: readMetric(m, NODE_METRICS.poolQueueDepth),
    loopDelayP99Ms: lag(readMetric(m, NODE_METRICS.eventLoopLagP99)),
    loopDelayMaxMs: lag(readMetric(m, NODE_METRICS.eventLoopLagMax)),
    socketReads: readMetric(m, NODE_METRICS.socketReads),
    socketWrites: readMetric(m, NODE_METRICS.socketWrites),
  };
}

/** b − a for a counter, null if either side lacks it. */
export function delta(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : b - a;
}
