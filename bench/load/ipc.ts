/**
 * Messages between the harness (parent) and its generator processes (peer-proc.ts), over the
 * child_process IPC channel. Plain JSON: no class instances cross the boundary.
 */
import type { HistogramJSON } from './histogram.js';

export type PeerRole = 'source' | 'sink';

export interface PeerProcConfig {
  readonly role: PeerRole;
  readonly host: string;
  readonly port: number;
  readonly conns: number;
  /** Local addresses cycled over the connections (distinct 127.0.0.x: no ban or slot collisions). */
  readonly localIps: readonly string[];
  /** false against the raw forwarder: it carries bytes, it does not speak the protocol. */
  readonly handshake: boolean;
  /** Unique per source process; stamped into every transaction. */
  readonly sourceId: number;
  readonly txBytes: number;
  /** Share of transactions offered as inv → getdata → tx in continuous mode ('rate'); the rest are pushed. */
  readonly invFraction: number;
  /** Speak BIP324 v2 (as initiator) on every connection instead of v1; needs `handshake`. */
  readonly v2?: boolean;
  /** Connections opened per event-loop turn, so 1,000 connects do not all land at once. */
  readonly connectBatch?: number;
}

export type ParentCommand =
  | { readonly cmd: 'connect' }
  /** Continuous sending (soak): offered transactions per second over all connections, until paused. */
  | { readonly cmd: 'rate'; readonly rate: number }
  /**
   * Source: encode every frame of one step ahead of time (warm-up then measured window, at `rate`
   * tx/s), so sending costs only the writes. Answered by 'prepared'.
   */
  | { readonly cmd: 'prepare'; readonly epoch: number; readonly rate: number; readonly invFraction: number; readonly warmMs: number; readonly stepMs: number }
  /** Source: start sending the prepared step; frame k is due at t0 + k / rate. */
  | { readonly cmd: 'go'; readonly epoch: number; readonly t0: number }
  /** Sink: the epoch's start (wall clock, ms), and a fresh count of its measured transactions. */
  | { readonly cmd: 'epoch'; readonly epoch: number; readonly t0: number }
  | { readonly cmd: 'pause' }
  | { readonly cmd: 'snapshot'; readonly reset: boolean }
  /** Slow reader: stop (or resume) reading every socket (soak). */
  | { readonly cmd: 'reading'; readonly on: boolean }
  | { readonly cmd: 'exit' };

/**
 * Transactions of the current step whose intended send time falls in its measured window, counted
 * by the stamp they carry (not by when they happen to arrive), so expected and delivered are the
 * same set of transactions.
 */
export interface MeasuredCounts {
  /** Source: offered (pushed, or announced by inv). */
  readonly offered: number;
  readonly pushed: number;
  readonly announced: number;
  /** Source: announced ones the node asked for with getdata and that were sent. */
  readonly served: number;
  /** Sink: arrived. */
  readonly received: number;
  /** Sink: entries of notfound the node answered a getdata with. */
  readonly notfound: number;
  /** Sink: source → sink latency in µs from the intended send time. Source: how late each was sent. */
  readonly latency: HistogramJSON;
}

export interface Snapshot {
  readonly role: PeerRole;
  readonly atMs: number;
  readonly open: number;
  /** Since the last snapshot with reset: transactions offered (source), pushed or announced. */
  readonly offeredTx: number;
  /** Transactions sent (source): pushed, or served after a getdata. */
  readonly sentTx: number;
  readonly sentInv: number;
  readonly sentBytes: number;
  /** Transactions that arrived (sink). */
  readonly receivedTx: number;
  readonly receivedBytes: number;
  readonly notfound: number;
  readonly getdataSent: number;
  /** Ticks in which paced sending fell behind its schedule (the target did not take the load). */
  readonly behind: number;
  /** This process's event-loop utilization since the last reset (0..1). */
  readonly elu: number;
  readonly measured: MeasuredCounts;
  /** Source: every frame of the prepared step has been offered. */
  readonly planDone: boolean;
}

export type ChildEvent =
  | { readonly evt: 'ready'; readonly established: number; readonly failed: number; readonly error?: string }
  | { readonly evt: 'prepared'; readonly frames: number; readonly encodeMs: number }
  | { readonly evt: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly evt: 'closed'; readonly count: number };
