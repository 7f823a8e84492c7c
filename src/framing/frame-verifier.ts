/**
 * Decides, per batch, whether frames are verified inline on the calling thread or in the worker pool.
 * A pool round trip costs tens of microseconds, so small batches are cheaper inline; large ones
 * (block payloads, many queued chunks) free the main thread for socket and relay work.
 */
import type { WorkerPool } from '../pool/pool.js';
import { FrameScanner } from '../wasm/frame-scanner.js';

export interface ScanOutcome {
  /** Batch bytes the records refer to (a pool task hands back the transferred buffer). */
  readonly bytes: Uint8Array;
  /** 4 × u32 per frame: offset, payload length, command id, status (see docs/wasm-abi.md). */
  readonly records: Uint32Array;
  readonly count: number;
  readonly consumed: number;
  readonly need: number;
}

export interface VerifierOptions {
  /** Batches of at least this many bytes go to the pool when there is one. */
  readonly poolMinBytes?: number;
}

/**
 * Default pool threshold: below it, inline verification is cheaper than a pool round trip
 * (measured by bench/wire.bench.ts; see docs/performance.md).
 */
export const DEFAULT_POOL_MIN_BYTES = 256 * 1024;

export class FrameVerifier {
  readonly poolMinBytes: number;
  private readonly scanner: FrameScanner;
  /** Called with the frame count of every batch verified in the pool (metrics). */
  onPoolBatch: ((frames: number) => void) | undefined;

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

  /** True when this batch would be sent to the pool. */
  offloads(byteLength: number): boolean {
    return this.pool !== undefined && byteLength >= this.poolMinBytes;
  }

  verifyInline(bytes: Uint8Array, magic: number): ScanOutcome {
    const r = this.scanner.scan(bytes, magic);
    return { bytes, records: r.records, count: r.count, consumed: r.consumed, need: r.need };
  }

  /** `bytes` must own its buffer: it is transferred to a worker and comes back in the outcome. */
  async verifyInPool(bytes: Uint8Array, magic: number): Promise<ScanOutcome> {
    if (this.pool === undefined) return this.verifyInline(bytes, magic);
    const outcome = await this.pool.scan(bytes, magic);
    this.onPoolBatch?.(outcome.count);
    return outcome;
  }
}
