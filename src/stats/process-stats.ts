import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * The process as the status page shows it: event-loop lag, CPU and RSS over the last ticker
 * interval. Sampled by the node's ticker (`sample()`), read by `/status` without side effects.
 * Prometheus gets the same quantities from prom-client's default metrics
 * (nodejs_eventloop_lag_*, process_cpu_*, process_resident_memory_bytes), not from here.
 */
export interface ProcessSnapshot {
  /** p99 and max of the event-loop delay over the last interval, beyond the sampling resolution. */
  readonly eventLoopLagMs: number;
  readonly eventLoopLagMaxMs: number;
  /** User + system CPU over the last interval, in percent of one core. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
}

const RESOLUTION_MS = 20;

/** Where CPU time and wall time are read; tests pass fixed readings so the percentage is exact. */
export interface CpuClock {
  /** User + system CPU time of the process since it started, in microseconds. */
  cpuMicros(): number;
  /** A monotonic wall clock in milliseconds. */
  wallMs(): number;
}

export const processCpuClock: CpuClock = {
  cpuMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  wallMs: () => performance.now(),
};

export class ProcessStats {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastCpu: number;
  private lastWall: number;
  private current: ProcessSnapshot = { eventLoopLagMs: 0, eventLoopLagMaxMs: 0, cpuPercent: 0, rssBytes: process.memoryUsage.rss() };

  constructor(private readonly clock: CpuClock = processCpuClock) {
    this.lastCpu = clock.cpuMicros();
    this.lastWall = clock.wallMs();
    this.loop.enable();
  }

  /** Closes the interval since the previous call. */
  sample(): void {
    // The histogram records whole sampling intervals (an idle loop reads ~20 ms at 20 ms
    // resolution); the lag is what exceeds the interval.
    const lag = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
    const cpu = this.clock.cpuMicros();
    const wall = this.clock.wallMs();
    const wallUs = (wall - this.lastWall) * 1000;
    this.current = {
      eventLoopLagMs: this.loop.count > 0 ? lag(this.loop.percentile(99)) : 0,
      eventLoopLagMaxMs: this.loop.count > 0 ? lag(this.loop.max) : 0,
      cpuPercent: wallUs > 0 ? ((cpu - this.lastCpu) / wallUs) * 100 : 0,
      rssBytes: process.memoryUsage.rss(),
    };
    this.loop.reset();
    this.lastCpu = cpu;
    this.lastWall = wall;
  }

  snapshot(): ProcessSnapshot {
    return this.current;
  }

  close(): void {
    this.loop.disable();
  }
}
