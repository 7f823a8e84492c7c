/**
 * The worker pool: the only module that imports piscina. Frames are verified in worker threads,
 * each holding its own WASM instance; buffers move to the worker and back with transfer lists.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { RelayError } from '../errors.js';
import { compiledSibling } from '../util/compiled-path.js';
import type { PoolRequest, PoolResponse, ScanResponse } from './messages.js';

export interface PoolOptions {
  /** Worker threads. Default: 1 — on 2 cores the main thread plus one busy worker fill the machine. */
  readonly threads?: number;
  /** Tasks that may wait for a worker before `scan` rejects (backpressure). Default 256. */
  readonly maxQueue?: number;
  /** Worker entry file; tests substitute fixtures. Default: the compiled `worker.js`. */
  readonly filename?: string;
}

export interface PoolScanResult {
  /** The batch's bytes, moved back from the worker (the caller's source buffer is now detached). */
  readonly bytes: Uint8Array;
  readonly records: Uint32Array;
  readonly count: number;
  readonly consumed: number;
  readonly need: number;
}

export class WorkerPool {
  private readonly piscina: Piscina<PoolRequest, PoolResponse>;
  private closed = false;
  /** Called with each task's round trip in ms, e.g. to feed a histogram. */
  onTaskLatency: ((ms: number) => void) | undefined;

  constructor(options: PoolOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > Math.max(64, availableParallelism() * 4)) {
      throw new TypeError(`pool threads must be a positive integer, got ${threads}`);
    }
    this.piscina = new Piscina<PoolRequest, PoolResponse>({
      filename: options.filename ?? compiledSibling('./worker.js', import.meta.url),
      minThreads: threads,
      maxThreads: threads,
      maxQueue: options.maxQueue ?? 256,
      // Workers hold WASM instances that take ~1 s to tier up: keep them alive.
      idleTimeout: 2 ** 31 - 1,
      // 'async' lets a worker run background work between tasks (piscina#332).
      atomics: 'async',
      // piscina loads the worker file with require() first and falls back to import(). On Node
      // 20.19+ require() of our ES module goes through require(esm), which intermittently aborts
      // the whole process in ModuleWrap::CreateRequiredModuleFacade while the worker starts
      // (seen under load in the README example). Without require(esm) the require() throws
      // ERR_REQUIRE_ESM and piscina imports the module instead.
      execArgv: [...process.execArgv, '--no-experimental-require-module'],
    });
    // Piscina re-emits worker errors; they also reject the task, which is where we report them.
    this.piscina.on('error', () => {});
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  get queueDepth(): number {
    return this.piscina.queueSize;
  }

  /**
   * Verifies every complete frame in `bytes`. `bytes` must be the only view of a buffer that owns its
   * memory (not a slice of a shared slab): the buffer is transferred and the source becomes detached.
   */
  async scan(bytes: Uint8Array, magic: number): Promise<PoolScanResult> {
    const buffer = bytes.buffer as ArrayBuffer;
    const { byteOffset, byteLength } = bytes; // read before the transfer detaches `bytes`
    const res = (await this.run(
      { op: 'scan', buffer, byteOffset, byteLength, magic },
      [buffer],
    )) as ScanResponse;
    return {
      bytes: new Uint8Array(res.buffer, byteOffset, byteLength),
      records: res.records,
      count: res.count,
      consumed: res.consumed,
      need: res.need,
    };
  }

  /** Stops taking tasks, lets running and queued tasks finish, then ends the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.close();
  }

  private async run(req: PoolRequest, transferList: ArrayBuffer[]): Promise<PoolResponse> {
    if (this.closed) throw new RelayError('ERR_POOL_CLOSED', 'the worker pool is closed');
    const started = performance.now();
    let res: PoolResponse;
    try {
      res = await this.piscina.run(req, { transferList });
    } catch (err) {
      const e = err as Error;
      if (/queue is at limit/i.test(e.message ?? '')) {
        throw new RelayError('ERR_POOL_CLOSED', 'the worker pool queue is full', { queueDepth: this.queueDepth }, { cause: err });
      }
      if (/terminated|closed/i.test(e.message ?? '') && this.closed) {
        throw new RelayError('ERR_POOL_CLOSED', 'the worker pool closed before the task ran', {}, { cause: err });
      }
      throw new RelayError('ERR_POOL_WORKER_CRASHED', `pool worker failed: ${e.message ?? String(err)}`, { op: req.op }, { cause: err });
    }
    const ms = performance.now() - started;
    this.onTaskLatency?.(ms);
    if (!res.ok) {
      throw new RelayError('ERR_WASM', res.message, { op: res.op, workerCode: res.code });
    }
    return res;
  }
}
