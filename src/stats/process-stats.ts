import { performance } from 'node:perf_hooks';
import { EVENT_LOOP_RESOLUTION_MS, EventLoopDelayWindow } from './event-loop-delay.js';

/**
 * The process as the status page shows it: event-loop lag, CPU and RSS over the last ticker
 * interval. Sampled by the node's ticker (`sample()`), read by `/status` without side effects.
 * The lag comes from the process's one event-loop sampler (event-loop-delay.ts), in a window of
 * its own. Prometheus gets the same quantities from RelayMetrics (nodejs_eventloop_lag_*, same
 * sampler) and prom-client's defaults (process_cpu_*, process_resident_memory_bytes), not from here.
 */
export interface ProcessSnapshot {
  /** p99 and max of the event-loop delay over the last interval, beyond the sampling resolution. */
  readonly eventLoopLagMs: number;
  readonly eventLoopLagMaxMs: number;
  /** User + system CPU over the last interval, in percent of one core. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
}

export class ProcessStats {
  private readonly loop = new EventLoopDelayWindow();
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  private current: ProcessSnapshot = { eventLoopLagMs: 0, eventLoopLagMaxMs: 0, cpuPercent: 0, rssBytes: process.memoryUsage.rss() };

  /** Closes the interval since the previous call. */
  sample(): void {
    // The window records whole sampling intervals (an idle loop reads ~10 ms at 10 ms
    // resolution); the lag is what exceeds the interval.
    const loop = this.loop.histogram;
    const lag = (ns: number): number => Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS);
    const cpu = process.cpuUsage(this.lastCpu);
    const wall = performance.now();
    const wallUs = (wall - this.lastWall) * 1000;
    this.current = {
      eventLoopLagMs: loop.count > 0 ? lag(loop.percentile(99)) : 0,
      eventLoopLagMaxMs: loop.count > 0 ? lag(loop.max) : 0,
      cpuPercent: wallUs > 0 ? ((cpu.user + cpu.system) / wallUs) * 100 : 0,
      rssBytes: process.memoryUsage.rss(),
    };
    loop.reset();
    this.lastCpu = process.cpuUsage();
    this.lastWall = wall;
  }

  snapshot(): ProcessSnapshot {
    return this.current;
  }

  close(): void {
    this.loop.close();
  }
}
