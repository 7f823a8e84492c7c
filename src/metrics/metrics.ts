import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../errors.js';
import { COMMAND_LABELS, CommandCounts } from '../stats/command-counts.js';
import { DROP_REASONS } from '../stats/drop-reasons.js';
import { SocketCounts } from '../stats/socket-counts.js';
import type { FlowCounters, FlowTableStats } from '../stats/flow-table.js';
import { V2_FAILURE_REASONS, type V2FailureReason } from '../transport/v2/errors.js';

/**
 * Every metric the relay exports, pre-created in a private prom-client Registry (several nodes in
 * one process, as in tests, must not share the global one). Label values are closed sets known at
 * start, so a series shows up as 0 before its first event and a peer cannot mint new series: a
 * command name we do not know is counted as "other" (a peer controls that string).
 *
 * Message counts are the hottest calls: they add to a Float64Array by command id, and the numbers
 * are copied into the counters only when /metrics is scraped.
 *
 * Names follow the Prometheus conventions (unit suffix, `_total` for counters, e.g.
 * `wirerelay_received_bytes_total`). Event-loop lag, CPU and memory are prom-client's default
 * metrics (`nodejs_eventloop_lag_*`, `process_*`), not duplicated here.
 */

export const PEER_DIRECTIONS = ['inbound', 'outbound'] as const;
export type PeerDirection = (typeof PEER_DIRECTIONS)[number];
export const PEER_STATES = ['connecting', 'handshaking', 'active', 'closing'] as const;
export type PeerState = (typeof PEER_STATES)[number];

/** Codes a frame or payload decode can fail with (src/errors.ts). */
export const FRAME_ERROR_CODES = [
  'ERR_FRAME_OVERSIZE',
  'ERR_FRAME_BAD_MAGIC',
  'ERR_FRAME_BAD_COMMAND',
  'ERR_FRAME_COMMAND_OVERSIZE',
  'ERR_FRAME_BAD_CHECKSUM',
  'ERR_PAYLOAD_TRUNCATED',
  'ERR_PAYLOAD_TRAILING_BYTES',
  'ERR_PAYLOAD_NON_MINIMAL_VARINT',
  'ERR_PAYLOAD_COUNT_TOO_LARGE',
  'ERR_PAYLOAD_FIELD_TOO_LARGE',
  'ERR_PAYLOAD_INVALID',
] as const satisfies readonly ErrorCode[];
export type FrameErrorCode = (typeof FRAME_ERROR_CODES)[number];

export { OTHER_COMMAND } from '../stats/command-counts.js';

/**
 * prom-client's event-loop sampling interval. Its `nodejs_eventloop_lag_*_seconds` record whole
 * intervals (an idle loop reads about this much), so the lag proper is the value minus this.
 */
export const EVENT_LOOP_RESOLUTION_MS = 10;

/** btcd bans at 100; buckets around it show how close peers come. */
const BAN_SCORE_BUCKETS = [0, 10, 20, 30, 50, 70, 90, 100, 150, 200, 500];
/** 50 µs (an inline check) to 1 s (a badly backed-up pool). */
const TASK_LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
/** Block hop time (issue 19 targets ≤ 2 ms for a 3,000-tx compact block). */
const BLOCK_HOP_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Transactions missing from a compact block's rebuild (asked for with getblocktxn). */
const MISSING_TX_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** What the metrics read from the flow table at scrape time. */
export interface FlowSource {
  stats(): FlowTableStats;
  globals(): FlowCounters;
}

/** Merkle-tree chunks of rebuilt blocks so far, by the thread that hashed them (src/wasm/merkle-offload.ts). */
export type MerkleChunkSource = () => { readonly helper: number; readonly here: number };

/** Per-feed counts of items dropped from full subscriber buffers since start. */
export type FeedDropSource = () => ReadonlyArray<{ readonly feed: string; readonly dropped: number }>;

export interface RelayMetricsOptions {
  /** Prefix of the relay's own metrics; default "wirerelay_". */
  prefix?: string;
  /** Process metrics (CPU, memory, handles, GC, event-loop lag) in this registry; default true. */
  processMetrics?: boolean;
  /** Labels of the `build_info` gauge; the node version is added. */
  build?: { readonly version: string; readonly network: string };
}

/** Running totals over every command, for the rates ticker. */
export interface TrafficTotals {
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly messagesOut: number;
  readonly bytesOut: number;
}

export class RelayMetrics {
  readonly registry = new Registry();
  /** Socket reads and writes: the peers add to these, the counters below copy them at scrape time. */
  readonly sockets = new SocketCounts();
  private readonly received = new CommandCounts();
  private readonly sent = new CommandCounts();
  private readonly peerGauge: Gauge<'direction' | 'state'>;
  private readonly frameErrors: ReadonlyMap<string, Counter.Internal>;
  private readonly banScores: Histogram;
  private readonly bansTotal: Counter;
  private readonly bansActive: Gauge;
  private readonly relayCache: Gauge;
  private readonly relayCacheBytes: Gauge;
  private readonly relayCacheReservedBytes: Gauge;
  private readonly poolQueue: Gauge;
  private readonly v2Failures: Counter<'reason'>;
  private readonly transportPeers: Gauge<'transport'>;
  private readonly taskLatency: Histogram;
  private readonly batchSizes: Histogram;
  private readonly compactBlocks: Counter<'outcome'>;
  private readonly compactMissing: Histogram;
  private readonly blockHops: Histogram<'via'>;
  private flows: FlowSource | undefined;
  private feeds: FeedDropSource | undefined;
  private merkleChunks: MerkleChunkSource | undefined;

  constructor(opts: RelayMetricsOptions = {}) {
    const p = opts.prefix ?? 'wirerelay_';
    const reg = this.registry;
    const labels = COMMAND_LABELS;
    const inCounts = this.received.counts;
    const outCounts = this.sent.counts;
    const perCommand = (name: string, help: string, counts: Float64Array, half: 0 | 1): void => {
      new Counter({
        name,
        help,
        labelNames: ['command'],
        registers: [reg],
        collect() {
          this.reset();
          for (let id = 0; id < labels.length; id++) this.labels(labels[id]!).inc(counts[id * 2 + half]!);
        },
      });
    };
    perCommand(`${p}received_messages_total`, 'Messages received, by command ("other" = unknown to us).', inCounts, 0);
    perCommand(`${p}received_bytes_total`, 'Bytes received (header + payload), by command.', inCounts, 1);
    perCommand(`${p}sent_messages_total`, 'Messages sent, by command (relayed items once written to the socket).', outCounts, 0);
    perCommand(`${p}sent_bytes_total`, 'Bytes sent (header + payload), by command (relayed items once written to the socket).', outCounts, 1);

    const sockets = this.sockets;
    for (const [field, help] of [
      ['reads', 'Socket reads handed to the transport (received messages / this = mean frames per read).'],
      ['writes', 'Socket writes by the peer writers (sent messages / this = mean frames per write).'],
    ] as const) {
      new Counter({
        name: `${p}socket_${field}_total`,
        help,
        registers: [reg],
        collect() {
          this.reset();
          this.inc(sockets[field]);
        },
      });
    }

    const build = new Gauge({
      name: `${p}build_info`,
      help: 'Always 1; the labels say which wirerelay, on which network and Node.js.',
      labelNames: ['version', 'network', 'node_version'],
      registers: [reg],
    });
    build.labels(opts.build?.version ?? 'unknown', opts.build?.network ?? 'unknown', process.version).set(1);

    this.peerGauge = new Gauge({ name: `${p}peers`, help: 'Connected peers by direction and state.', labelNames: ['direction', 'state'], registers: [reg] });
    for (const d of PEER_DIRECTIONS) for (const s of PEER_STATES) this.peerGauge.labels(d, s).set(0);

    const frameErrors = new Counter({ name: `${p}frame_errors_total`, help: 'Frames or payloads rejected, by error code.', labelNames: ['code'], registers: [reg] });
    this.frameErrors = new Map(FRAME_ERROR_CODES.map((c) => [c, frameErrors.labels(c)]));
    for (const child of this.frameErrors.values()) child.inc(0);

    this.v2Failures = new Counter({ name: `${p}v2_failures_total`, help: 'BIP324 v2 connections dropped, by reason (no ban score).', labelNames: ['reason'], registers: [reg] });
    for (const r of V2_FAILURE_REASONS) this.v2Failures.labels(r).inc(0);
    this.transportPeers = new Gauge({ name: `${p}peers_by_transport`, help: 'Connected peers by transport (v1 plaintext, v2 BIP324).', labelNames: ['transport'], registers: [reg] });

    this.banScores = new Histogram({ name: `${p}ban_score`, help: 'Ban scores observed when a peer misbehaved.', buckets: BAN_SCORE_BUCKETS, registers: [reg] });
    this.bansTotal = new Counter({ name: `${p}bans_total`, help: 'Peers banned since start.', registers: [reg] });
    this.bansActive = new Gauge({ name: `${p}bans_active`, help: 'Bans in force now.', registers: [reg] });

    const flowsOf = (): FlowSource | undefined => this.flows;
    const feedsOf = (): FeedDropSource | undefined => this.feeds;
    const chunksOf = (): MerkleChunkSource | undefined => this.merkleChunks;
    new Counter({
      name: `${p}merkle_chunks_total`,
      help: 'Merkle-tree chunks of rebuilt compact blocks, by the thread that hashed them: "helper" (the second thread) or "here" (the event loop: taken back, raced, or no helper). A low helper share means the two trees were hashed on one thread.',
      labelNames: ['by'],
      registers: [reg],
      collect() {
        const c = chunksOf()?.();
        this.reset();
        this.labels('helper').inc(c?.helper ?? 0);
        this.labels('here').inc(c?.here ?? 0);
      },
    });
    new Counter({
      name: `${p}feed_dropped_total`,
      help: 'Items a subscriber feed dropped because its buffer was full (drop oldest), by feed: stream_tx, stream_block, zmq_<topic>.',
      labelNames: ['feed'],
      registers: [reg],
      collect() {
        this.reset();
        for (const d of feedsOf()?.() ?? []) this.labels(d.feed).inc(d.dropped);
      },
    });
    new Gauge({
      name: `${p}flows`,
      help: 'Flows (source peer, destination peer) held by the flow table.',
      registers: [reg],
      collect() {
        this.set(flowsOf()?.stats().count ?? 0);
      },
    });
    for (const [field, help] of [
      ['created', 'Flows created since start.'],
      ['evicted', 'Flows removed after an hour idle.'],
    ] as const) {
      new Counter({
        name: `${p}flows_${field}_total`,
        help,
        registers: [reg],
        collect() {
          this.reset();
          this.inc(flowsOf()?.stats()[field] ?? 0);
        },
      });
    }
    for (const [unit, key] of [
      ['packets', 'packets'],
      ['bytes', 'bytes'],
    ] as const) {
      new Counter({
        name: `${p}dropped_${unit}_total`,
        help: `Relayed messages dropped (${unit}), by reason (see src/stats/drop-reasons.ts).`,
        labelNames: ['reason'],
        registers: [reg],
        collect() {
          const drops = flowsOf()?.globals().drops;
          this.reset();
          for (const r of DROP_REASONS) this.labels(r).inc(drops?.[r][key] ?? 0);
        },
      });
    }

    this.relayCache = new Gauge({ name: `${p}relay_cache_entries`, help: 'Items in the relay cache.', registers: [reg] });
    this.relayCacheBytes = new Gauge({ name: `${p}relay_cache_bytes`, help: 'Bytes of items held in the relay cache.', registers: [reg] });
    this.relayCacheReservedBytes = new Gauge({
      name: `${p}relay_cache_reserved_bytes`,
      help: 'Memory the relay cache holds: frame slabs (in use and spare), per-slot tables and hash indexes.',
      registers: [reg],
    });
    this.poolQueue = new Gauge({ name: `${p}pool_queue_depth`, help: 'Tasks waiting for a worker.', registers: [reg] });
    this.taskLatency = new Histogram({ name: `${p}pool_task_seconds`, help: 'Worker task latency, queued to answered.', buckets: TASK_LATENCY_BUCKETS, registers: [reg] });
    this.batchSizes = new Histogram({ name: `${p}batch_frames`, help: 'Frames per batch sent to the pool.', buckets: BATCH_SIZE_BUCKETS, registers: [reg] });
    this.compactBlocks = new Counter({
      name: `${p}compact_blocks_total`,
      help: 'Compact blocks by outcome: rebuilt with no round trip, rebuilt with blocktxn, or fetched as a full block (failed rebuild, collision).',
      labelNames: ['outcome'],
      registers: [reg],
    });
    for (const o of ['rebuilt', 'blocktxn', 'full']) this.compactBlocks.inc({ outcome: o }, 0);
    this.compactMissing = new Histogram({ name: `${p}compact_block_missing_txs`, help: 'Transactions missing from the relay cache per compact block.', buckets: MISSING_TX_BUCKETS, registers: [reg] });
    this.blockHops = new Histogram({
      name: `${p}block_hop_seconds`,
      help: 'Block hop time: from handling the frame that completed a block (read and checksum-verified) to its first relay writes queued (cmpctblock pushes to high-bandwidth peers for a rebuilt block; announcements for a full block), by how it arrived.',
      labelNames: ['via'],
      buckets: BLOCK_HOP_BUCKETS,
      registers: [reg],
    });

    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: reg, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  }

  /** A message received; `command` as on the wire. */
  messageIn(command: string, bytes: number): void {
    this.received.add(command, bytes);
  }

  /** Same by the command id the WASM scanner reports (0 = unknown). */
  messageInById(id: number, bytes: number): void {
    this.received.addById(id, bytes);
  }

  messageOut(command: string, bytes: number): void {
    this.sent.add(command, bytes);
  }

  messageOutById(id: number, bytes: number): void {
    this.sent.addById(id, bytes);
  }

  /** Sums over every command: O(commands), read by the rates ticker once a second. */
  totals(): TrafficTotals {
    return {
      messagesIn: this.received.totalMessages(),
      bytesIn: this.received.totalBytes(),
      messagesOut: this.sent.totalMessages(),
      bytesOut: this.sent.totalBytes(),
    };
  }

  /** A rejected frame; codes outside FRAME_ERROR_CODES are not counted here. */
  frameError(code: ErrorCode): void {
    this.frameErrors.get(code)?.inc();
  }

  /** A v2 connection failed for `reason` (docs/v2-transport.md). */
  v2Failure(reason: V2FailureReason): void {
    this.v2Failures.labels(reason).inc();
  }

  setTransportPeers(v1: number, v2: number): void {
    this.transportPeers.labels('v1').set(v1);
    this.transportPeers.labels('v2').set(v2);
  }

  setPeers(direction: PeerDirection, state: PeerState, count: number): void {
    this.peerGauge.labels(direction, state).set(count);
  }

  banScore(score: number): void {
    this.banScores.observe(score);
  }

  banned(): void {
    this.bansTotal.inc();
  }

  setActiveBans(count: number): void {
    this.bansActive.set(count);
  }

  setRelayCacheSize(entries: number, bytes: number, reservedBytes: number): void {
    this.relayCache.set(entries);
    this.relayCacheBytes.set(bytes);
    this.relayCacheReservedBytes.set(reservedBytes);
  }

  setPoolQueueDepth(tasks: number): void {
    this.poolQueue.set(tasks);
  }

  taskSeconds(seconds: number): void {
    this.taskLatency.observe(seconds);
  }

  batchSize(frames: number): void {
    this.batchSizes.observe(frames);
  }

  /** A compact block ended: its outcome and how many of its transactions were missing. */
  compactBlock(outcome: 'rebuilt' | 'blocktxn' | 'full', missing: number): void {
    this.compactBlocks.inc({ outcome });
    this.compactMissing.observe(missing);
  }

  /** A block relayed: its hop time and how it arrived. */
  blockHop(via: 'block' | 'cmpctblock', seconds: number): void {
    this.blockHops.observe({ via }, seconds);
  }

  /** Flow counts and drops are read from `source` at each scrape. */
  attachFlowTable(source: FlowSource): void {
    this.flows = source;
  }

  /** Which thread hashed rebuilt blocks' merkle chunks is read from `source` at each scrape. */
  attachMerkleChunks(source: MerkleChunkSource): void {
    this.merkleChunks = source;
  }

  /** Drop counts of the subscriber feeds (streams, ZMQ) are read from `source` at each scrape. */
  attachFeeds(source: FeedDropSource): void {
    this.feeds = source;
  }

  /** The Prometheus text exposition for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
