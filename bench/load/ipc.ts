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
  /** Share of transactions offered as inv → getdata → tx; the rest are pushed as tx directly. */
  readonly invFraction: number;
  /** Connections opened per event-loop turn, so 1,000 connects do not all land at once. */
  readonly connectBatch?: number;
}

export type ParentCommand =
  | { readonly cmd: 'connect' }
  /** Offered transactions per second over all this process's connections; 'max' = as fast as TCP accepts. */
  | { readonly cmd: 'rate'; readonly rate: number | 'max' }
  | { readonly cmd: 'pause' }
  | { readonly cmd: 'snapshot'; readonly reset: boolean }
  /** Slow reader: stop (or resume) reading every socket (soak). */
  | { readonly cmd: 'reading'; readonly on: boolean }
  | { readonly cmd: 'exit' };

export interface Snapshot {
  readonly role: PeerRole;
  readonly atMs: number;
  readonly open: number;
  /** Transactions offered (source): pushed, or announced by inv. */
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
  /** Source → sink latency in µs, one sample per arrived transaction. */
  readonly latency: HistogramJSON;
  /** Ticks in which paced sending fell behind its schedule (the target did not take the load). */
  readonly behind: number;
}

export type ChildEvent =
  | { readonly evt: 'ready'; readonly established: number; readonly failed: number; readonly error?: string }
  | { readonly evt: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly evt: 'closed'; readonly count: number };
