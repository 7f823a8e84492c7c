/**
 * One full garbage collection when the service turns idle after being busy, and when its relay
 * cache has given memory back (issue 21: memory that comes back after a flood).
 *
 * A relay's memory is mostly ArrayBuffers outside the JS heap: cached frames in 1 MiB slabs, the
 * sockets' read buffers, write buffers. Their backing stores are freed only when a collection
 * finds them dead, and V8 collects when JS allocates. While traffic flows that is often; once it
 * stops, nothing allocates, so the buffers of the last seconds of a flood (and every slab the
 * cache drops as its entries age out) stay mapped for as long as the node stays quiet: 25–30 MB of
 * dead buffers 30 s after an unsolicited-tx flood (docs/performance.md, issue 21). A collection at
 * that moment costs a pause (~25 ms here) on an event loop with nothing else to do.
 *
 * Only after QUIET_SAMPLES idle samples in a row: a forced collection also resets V8's heap limits
 * and ages compiled code, which a node between two bursts of work should not pay for.
 *
 * The decision is a pure step over samples (IdleCollector.sample), so it is tested without a
 * clock; `start` samples event-loop utilization and the cache's bytes every SAMPLE_MS.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/** How often the loop's utilization and the cache's size are sampled. */
export const SAMPLE_MS = 2000;
/** A sample at or above this utilization marks the node busy. */
export const BUSY_ELU = 0.2;
/** A sample below this utilization is idle. */
export const IDLE_ELU = 0.05;
/**
 * Idle samples in a row before a collection (10 s): the load harness's pauses between steps are
 * shorter, and a forced collection at each of them cost the push knee 16 % (215k against 257k
 * deliveries/s, two alternating pairs): it resets V8's heap limits to the live size and ages the
 * compiled code, so each step began with more collections and colder code.
 */
export const QUIET_SAMPLES = 5;
/** The cache giving back this much since the last collection is worth one while idle. */
export const RELEASED_BYTES = 16 * 1024 * 1024;

export class IdleCollector {
  private busy = false;
  private peakBytes = 0;
  private quiet = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Collections run. */
  collections = 0;

  constructor(
    private readonly collect: () => void,
    /** Bytes the relay cache holds now. */
    private readonly cacheBytes: () => number,
  ) {}

  /**
   * One sample: the event loop's utilization since the last one and the cache's bytes now.
   * Returns true when it collected: idle for QUIET_SAMPLES samples in a row now, and busy since
   * the last collection or the cache RELEASED_BYTES below its peak since then.
   */
  sample(elu: number, bytes: number): boolean {
    this.peakBytes = Math.max(this.peakBytes, bytes);
    this.quiet = elu < IDLE_ELU ? this.quiet + 1 : 0;
    if (elu >= BUSY_ELU) {
      this.busy = true;
      return false;
    }
    if (this.quiet < QUIET_SAMPLES || (!this.busy && this.peakBytes - bytes < RELEASED_BYTES)) return false;
    this.collect();
    this.collections++;
    this.busy = false;
    this.peakBytes = bytes;
    return true;
  }

  start(): void {
    if (this.timer !== undefined) return;
    let last = performance.eventLoopUtilization();
    let bytes = this.cacheBytes();
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      const elu = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      // The cache is read only when the loop is idle: a busy spell collects anyway once it ends.
      if (elu < IDLE_ELU) bytes = this.cacheBytes();
      this.sample(elu, bytes);
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * A full collection, for the service process only: `--expose-gc` set now applies to contexts made
 * after it, so a new context hands out the `gc` function (the process's own global does not get
 * it). Undefined when the flag cannot be set.
 */
export function exposeGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
