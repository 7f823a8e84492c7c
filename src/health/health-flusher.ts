import type { Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { errText, type LogFn, stderrLog } from '../persist/logger.js';
import type { FlapEntry, HealthStore } from './health-store.js';

/** lnd FlapCountFlushRate: flap counts are written hourly and on shutdown. */
export const FLAP_FLUSH_INTERVAL_MS = 3_600_000;
/** How often the timer looks at the clock; the interval itself is measured on the injected clock. */
const TIMER_PERIOD_MS = 60_000;

export interface HealthFlusherOptions {
  store: HealthStore;
  save: (entries: readonly FlapEntry[]) => void | Promise<void>;
  clock: Clock;
  intervalMs?: number;
  log?: LogFn;
}

/**
 * Saves the store's flap counts every interval and on stop. Only a changed store is written (its
 * version moved since the last good save), and one save runs at a time. A failed save is logged and
 * retried at the next tick; nothing here throws, since it runs from a timer.
 */
export class HealthFlusher {
  private readonly opts: Required<HealthFlusherOptions>;
  private lastFlushMs: number;
  private savedVersion = -1;
  private inFlight: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(opts: HealthFlusherOptions) {
    const intervalMs = opts.intervalMs ?? FLAP_FLUSH_INTERVAL_MS;
    if (!(intervalMs > 0)) throw new ConfigError('HealthFlusher: intervalMs must be > 0');
    this.opts = { ...opts, intervalMs, log: opts.log ?? stderrLog };
    this.lastFlushMs = opts.clock.now();
  }

  /** Starts the (unref'd) timer that calls tick(). */
  start(): this {
    if (this.timer === undefined && !this.stopped) {
      this.timer = setInterval(() => void this.tick(), Math.min(TIMER_PERIOD_MS, this.opts.intervalMs));
      this.timer.unref();
    }
    return this;
  }

  /** Flushes if an interval has passed on the clock; resolves to whether a save happened. */
  async tick(): Promise<boolean> {
    if (this.opts.clock.now() - this.lastFlushMs < this.opts.intervalMs) return false;
    return this.flush();
  }

  /** Saves now if anything changed; waits for a save already running instead of starting another. */
  async flush(): Promise<boolean> {
    while (this.inFlight !== undefined) await this.inFlight;
    this.lastFlushMs = this.opts.clock.now();
    const version = this.opts.store.version;
    if (version === this.savedVersion) return false;
    this.inFlight = this.save(version);
    try {
      return await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Stops the timer and writes a last time; resolves to false only if that write failed. */
  async stop(): Promise<boolean> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    return this.savedVersion === this.opts.store.version;
  }

  private async save(version: number): Promise<boolean> {
    try {
      await this.opts.save(this.opts.store.exportFlaps());
      this.savedVersion = version;
      return true;
    } catch (err) {
      this.opts.log('warn', 'saving flap counts failed; will retry', { error: errText(err) });
      return false;
    }
  }
}
