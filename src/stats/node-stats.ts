import { statfs } from 'node:fs/promises';
import { type CpuClock, processCpuClock, ProcessStats, type ProcessSnapshot } from './process-stats.js';
import { RATE_SERIES, RateTicker, zeroRates, type RateSeries, type RateVector } from './rate-ticker.js';

/** The status page's two windows. */
export const SHORT_WINDOW_MS = 10_000;
export const LONG_WINDOW_MS = 60_000;
/** statfs is a syscall on the data disk: often enough to warn before it fills, rarely enough to cost nothing. */
export const DISK_CHECK_INTERVAL_MS = 30_000;

export interface DiskSpace {
  readonly dir: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
}

export interface NodeStatsView {
  readonly rates: { readonly last10s: RateVector; readonly last1m: RateVector };
  readonly history: Readonly<Record<RateSeries, readonly number[]>>;
  readonly process: ProcessSnapshot;
  readonly disk: DiskSpace | null;
}

/**
 * Everything the node's 1 s ticker samples for `/status`: traffic rates (marks, see rate-ticker.ts),
 * the process (lag, CPU, RSS) and free space on the data disk. `tick()` moves the marks; `view()`
 * only reads, so readers never disturb each other.
 */
export class NodeStats {
  private readonly rates: RateTicker;
  private readonly process: ProcessStats;
  private disk: DiskSpace | null = null;
  private lastDiskCheck = -Infinity;
  private diskChecking = false;

  /** `cpuClock`: where CPU and wall time are read (the process's own by default). */
  constructor(
    sample: () => RateVector,
    private readonly dataDir: string | null,
    cpuClock: CpuClock = processCpuClock,
  ) {
    this.rates = new RateTicker(sample);
    this.process = new ProcessStats(cpuClock);
  }

  tick(now: number): void {
    this.rates.mark(now);
    this.process.sample();
    if (this.dataDir !== null && !this.diskChecking && now - this.lastDiskCheck >= DISK_CHECK_INTERVAL_MS) {
      this.lastDiskCheck = now;
      this.checkDisk(this.dataDir);
    }
  }

  private checkDisk(dir: string): void {
    this.diskChecking = true;
    statfs(dir).then(
      (s) => {
        this.diskChecking = false;
        this.disk = { dir, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      },
      () => {
        // A data directory we cannot stat shows up elsewhere (commits fail); no warning from here.
        this.diskChecking = false;
        this.disk = null;
      },
    );
  }

  view(): NodeStatsView {
    return {
      rates: { last10s: this.rates.rates(SHORT_WINDOW_MS), last1m: this.rates.rates(LONG_WINDOW_MS) },
      history: this.rates.history(),
      process: this.process.snapshot(),
      disk: this.disk,
    };
  }

  close(): void {
    this.process.close();
  }
}

/** What `/status` shows before the node has started (or after a failed start): all zero. */
export function emptyStatsView(): NodeStatsView {
  const rates = zeroRates();
  const history = Object.fromEntries(RATE_SERIES.map((k) => [k, []])) as unknown as Record<RateSeries, readonly number[]>;
  return {
    rates: { last10s: rates, last1m: rates },
    history,
    process: { eventLoopLagMs: 0, eventLoopLagMaxMs: 0, cpuPercent: 0, rssBytes: process.memoryUsage.rss() },
    disk: null,
  };
}
