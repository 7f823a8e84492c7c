/**
 * One address the manager knows, with the bookkeeping btcd keeps in addrmgr/knownaddress.go, and
 * the two scores that steer selection and eviction: chance() and isBad() (btcd addrmgr/knownaddress.go).
 * Times are Unix milliseconds; 0 means "never".
 */

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** An address attempted this recently is picked at 1 % of its usual weight (btcd chance()). */
export const RECENT_ATTEMPT_MS = 10 * MINUTE_MS;
/** Each failed attempt divides the weight by this. */
export const ATTEMPT_PENALTY = 1.5;
/** An address attempted within this window is never bad: give a fresh attempt time to finish. */
export const BAD_GRACE_MS = MINUTE_MS;
/** Timestamps further ahead than this are lies (or broken clocks). */
export const FUTURE_SLACK_MS = 10 * MINUTE_MS;
/** btcd numMissingDays: not heard of for a month. */
export const MISSING_MS = 30 * DAY_MS;
/** btcd numRetries: never succeeded after this many attempts. */
export const NUM_RETRIES = 3;
/** btcd maxFailures / minBadDays: this many failures with no success for a week. */
export const MAX_FAILURES = 10;
export const MIN_BAD_MS = 7 * DAY_MS;

export class KnownAddress {
  /** Canonical `HOST:PORT`; the index key. */
  readonly addr: string;
  /** Canonical `HOST:PORT` of the peer that told us first. */
  readonly src: string;
  /** Service bits, ORed over every announcement. */
  services: bigint;
  /** Last-seen time as announced (wire timestamps are seconds; stored ×1000). */
  timestampMs: number;
  /** Failed attempts since the last success. */
  attempts = 0;
  lastAttemptMs = 0;
  lastSuccessMs = 0;
  /** Number of new buckets that hold this address (0 when tried). */
  refs = 0;
  tried = false;

  constructor(addr: string, src: string, services: bigint, timestampMs: number) {
    this.addr = addr;
    this.src = src;
    this.services = services;
    this.timestampMs = timestampMs;
  }

  /**
   * Relative selection weight: 1, × 0.01 if attempted in the last 10 minutes (a negative age from
   * a clock step counts as 0, i.e. recent), ÷ 1.5 per failed attempt. No age term, as btcd.
   */
  chance(nowMs: number): number {
    const sinceAttempt = Math.max(0, nowMs - this.lastAttemptMs);
    let c = 1;
    if (sinceAttempt < RECENT_ATTEMPT_MS) c *= 0.01;
    return c / ATTEMPT_PENALTY ** this.attempts;
  }

  /** Worth evicting first when a new bucket overflows (btcd isBad()). */
  isBad(nowMs: number): boolean {
    if (this.lastAttemptMs > nowMs - BAD_GRACE_MS) return false;
    if (this.timestampMs > nowMs + FUTURE_SLACK_MS) return true;
    if (this.timestampMs < nowMs - MISSING_MS) return true;
    if (this.lastSuccessMs === 0 && this.attempts >= NUM_RETRIES) return true;
    if (!(this.lastSuccessMs > nowMs - MIN_BAD_MS) && this.attempts >= MAX_FAILURES) return true;
    return false;
  }
}
