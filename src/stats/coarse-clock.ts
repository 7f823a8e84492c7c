import { type Clock, systemClock } from '../clock.js';

/**
 * A Clock whose `now()` is a field read, refreshed from a source clock by an unref'd timer.
 *
 * Why: `Date.now()` costs ~50 ns on this VM (2 vCPU EPYC, Node 20.20, measured 2026-11), more than
 * a whole flow-table `record()`. The table's time only has to be good to its 60 s activity step,
 * so the node hands it a CoarseClock; tests hand it a ManualClock, whose `now()` is already a
 * field read, and the table code is the same in both. The error is at most the refresh period
 * plus however long the event loop was blocked.
 *
 * Move to src/clock.ts if other hot paths want it.
 */
export class CoarseClock implements Clock {
  private t: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly source: Clock = systemClock,
    readonly resolutionMs = 250,
  ) {
    this.t = source.now();
  }

  now(): number {
    return this.t;
  }

  /** Re-reads the source; the timer calls this, and so can code that needs a fresh value. */
  refresh(): number {
    this.t = this.source.now();
    return this.t;
  }

  start(): this {
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.refresh(), this.resolutionMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
