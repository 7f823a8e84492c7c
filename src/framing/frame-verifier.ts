/**
 * Decides, per batch, whether frames are verified inline on the calling thread or in the worker pool.
 *
 * A pool round trip costs tens of microseconds and, on a 2-core machine, the worker competes with
 * the main thread for the same cores: moving work there only pays when the main thread is the
 * bottleneck. So the decision reads the main thread's event-loop utilisation (ELU): a batch of at
 * least `poolMinBytes` goes to the pool only while the loop is busy (ELU ≥ BUSY_ELU); a block-sized
 * batch (≥ ALWAYS_POOL_BYTES) always goes, because verifying it inline stalls every other peer for
 * ~0.75 ms per MiB. docs/performance.md has the measurements behind both numbers.
 */
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { WorkerPool } from '../pool/pool.js';
import { FrameRecords } from '../wasm/frame-records.js';
import { FrameScanner } from '../wasm/frame-scanner.js';

export interface ScanOutcome {
  /** Batch bytes the records refer to (a pool task hands back the transferred buffer). */
  readonly bytes: Uint8Array;
  /** One record per frame (FrameRecords; `records.count` of them). */
  readonly records: FrameRecords;
  readonly consumed: number;
  readonly need: number;
}

export interface VerifierOptions {
  /** Batches of at least this many bytes may go to the pool while the main thread is busy. */
  readonly poolMinBytes?: number;
}

/** Default for poolMinBytes (the `--pool-min-bytes` option). */
export const DEFAULT_POOL_MIN_BYTES = 256 * 1024;
/** Batches this large always go to the pool when there is one (a block). */
export const ALWAYS_POOL_BYTES = 1024 * 1024;
/** Event-loop utilisation from which the main thread counts as the bottleneck. */
export const BUSY_ELU = 0.9;
/** How often the utilisation is re-sampled. */
const ELU_SAMPLE_MS = 100;

export class FrameVerifier {
  readonly poolMinBytes: number;
  private readonly scanner: FrameScanner;
  /** Called with the frame count of every batch verified in the pool (metrics). */
  onPoolBatch: ((frames: number) => void) | undefined;
  private eluMark: EventLoopUtilization = performance.eventLoopUtilization();
  private eluAt = performance.now();
  private busy = false;

  constructor(
    private readonly pool: WorkerPool | undefined,
    options: VerifierOptions = {},
    scanner?: FrameScanner,
  ) {
    const min = options.poolMinBytes ?? DEFAULT_POOL_MIN_BYTES;
    if (!Number.isInteger(min) || min < 0) throw new TypeError(`poolMinBytes must be a non-negative integer, got ${min}`);
    this.poolMinBytes = min;
    this.scanner = scanner ?? new FrameScanner();
  }

  /** The main thread's event-loop utilisation over the last sample window, re-sampled lazily. */
  private mainThreadBusy(): boolean {
    const now = performance.now();
    if (now - this.eluAt >= ELU_SAMPLE_MS) {
      const next = performance.eventLoopUtilization();
      this.busy = performance.eventLoopUtilization(next, this.eluMark).utilization >= BUSY_ELU;
      this.eluMark = next;
      this.eluAt = now;
    }
    return this.busy;
  }

  /** True when this batch would be sent to the pool. */
  offloads(byteLength: number): boolean {
    if (this.pool === undefined || byteLength < this.poolMinBytes) return false;
    return byteLength >= ALWAYS_POOL_BYTES || this.poolMinBytes === 0 || this.mainThreadBusy();
  }

  verifyInline(bytes: Uint8Array, magic: number): ScanOutcome {
    const r = this.scanner.scan(bytes, magic);
    return { bytes, records: r.records, consumed: r.consumed, need: r.need };
  }

  /** `bytes` must own its buffer: it is transferred to a worker and comes back in the outcome. */
  async verifyInPool(bytes: Uint8Array, magic: number): Promise<ScanOutcome> {
    if (this.pool === undefined) return this.verifyInline(bytes, magic);
    const outcome = await this.pool.scan(bytes, magic);
    this.onPoolBatch?.(outcome.count);
    const records = new FrameRecords(outcome.records);
    records.count = outcome.count;
    return { bytes: outcome.bytes, records, consumed: outcome.consumed, need: outcome.need };
  }
}
