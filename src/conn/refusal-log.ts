/**
 * Info-level log lines for refused or evicted inbound connections, at most one per reason per
 * interval: an operator sees that slots are under pressure, and a flood of connections cannot
 * turn into a flood of log lines. Each line carries how many refusals it stands for.
 */
import type { Clock } from '../clock.js';

export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 10_000;

export type InfoLog = (message: string, fields: Record<string, unknown>) => void;

export class RefusalLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly info: InfoLog,
    private readonly intervalMs = DEFAULT_REFUSAL_LOG_INTERVAL_MS,
  ) {}

  /** Logs `message` for `reason` unless one was logged within the interval; then only counts it. */
  note(reason: string, message: string, fields: Record<string, unknown>): boolean {
    const now = this.clock.now();
    const seen = this.last.get(reason);
    if (seen !== undefined && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(reason, { at: now, suppressed: 0 });
    this.info(message, suppressed > 0 ? { ...fields, reason, alsoSinceLastLine: suppressed } : { ...fields, reason });
    return true;
  }
}
