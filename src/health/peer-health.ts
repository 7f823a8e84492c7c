import { ConfigError } from '../errors.js';

/**
 * One peer address's online/offline history, after lnd's chanfitness peerLog (lnd chanfitness/chaneventstore.go).
 * Pure: every method takes the time, so the store owns the clock and tests need no sleeping.
 *
 * Deliberate differences from lnd (docs/flows-and-health.md):
 * - A flap is a change of state. lnd counts every event, so a repeated "online" while online is a
 *   flap there; here it is ignored. We keep lnd's choice that both directions count, so its tier
 *   scale (200 flaps ≈ 100 disconnect/reconnect cycles) carries over unchanged.
 * - The first event for an address sets its state without counting a flap (lnd's new monitor
 *   counts the seeding event).
 * - The event log is capped at MAX_EVENTS; older events are folded into an uptime aggregate.
 */

/** Flaps per rate-limit tier (lnd rateLimitScale). */
export const FLAP_TIER_SIZE = 200;
/** Minimum spacing of logged events per tier (lnd rateLimits); the last tier is clamped. */
export const FLAP_RATE_LIMITS_MS: readonly number[] = Object.freeze([1_000, 5_000, 30_000, 60_000, 1_800_000, 3_600_000]);
/** The flap count decays by COOLDOWN_FACTOR per period without flaps (lnd flapCountCooldown*). */
export const COOLDOWN_PERIOD_MS = 8 * 3_600_000;
export const COOLDOWN_FACTOR = 0.95;
/**
 * Events kept per peer beyond the staged one. lnd's rate limit alone still lets a tier-0 peer log
 * one event per second (86,400 a day); at the cap the oldest event is folded into an aggregate.
 */
export const MAX_EVENTS = 128;
/** Pseudo-history a preference score starts from: an hour at a 50 % uptime ratio. */
export const PREFERENCE_PRIOR_MS = 3_600_000;
export const PREFERENCE_PRIOR_RATIO = 0.5;

export function flapTier(flapCount: number): number {
  return Math.min(Math.floor(flapCount / FLAP_TIER_SIZE), FLAP_RATE_LIMITS_MS.length - 1);
}

export function rateLimitForCount(flapCount: number): number {
  return FLAP_RATE_LIMITS_MS[flapTier(flapCount)]!;
}

/** lnd cooldownFlapCount: no change within a period, then ×0.95 per (fractional) period, truncated. */
export function cooledFlapCount(count: number, lastFlapMs: number, nowMs: number): number {
  const elapsed = nowMs - lastFlapMs;
  if (elapsed < COOLDOWN_PERIOD_MS) return count;
  return Math.trunc(count * COOLDOWN_FACTOR ** (elapsed / COOLDOWN_PERIOD_MS));
}

export interface HealthEvent {
  readonly atMs: number;
  readonly online: boolean;
}

export interface HealthReport {
  /** Time since the first event seen for this address (since start: not persisted). */
  readonly lifespanMs: number;
  readonly uptimeMs: number;
  /** uptimeMs / lifespanMs; 0 when nothing is known. */
  readonly uptimeRatio: number;
  /** All-time count with the cooldown applied as of now. */
  readonly flapCount: number;
  readonly lastFlap: number | undefined;
  readonly tier: number;
  readonly rateLimitMs: number;
  readonly online: boolean;
}

export class PeerHealth {
  private firstSeenMs: number | undefined;
  private isOnline = false;
  private readonly events: HealthEvent[] = [];
  private staged: HealthEvent | undefined;
  private flaps = 0;
  private lastFlapMs: number | undefined;
  /** Events before foldedUntilMs were folded: foldedUpMs of uptime in [firstSeenMs, foldedUntilMs]. */
  private foldedUntilMs: number | undefined;
  private foldedUpMs = 0;

  get online(): boolean {
    return this.isOnline;
  }

  get lastFlap(): number | undefined {
    return this.lastFlapMs;
  }

  /** Raw stored count; the cooldown is applied on read and at the next flap. */
  get rawFlapCount(): number {
    return this.flaps;
  }

  /** Events held, staged one included: bounded by MAX_EVENTS + 1. */
  get eventCount(): number {
    return this.events.length + (this.staged === undefined ? 0 : 1);
  }

  /** Records an online/offline report; true when it was a flap (a change of state). */
  event(online: boolean, nowMs: number): boolean {
    if (this.firstSeenMs === undefined) {
      this.firstSeenMs = nowMs;
      this.isOnline = online;
      this.staged = { atMs: nowMs, online };
      return false;
    }
    if (online === this.isOnline) return false;
    if (this.lastFlapMs !== undefined) this.flaps = cooledFlapCount(this.flaps, this.lastFlapMs, nowMs);
    this.flaps++;
    this.lastFlapMs = nowMs;
    this.isOnline = online;
    const ev: HealthEvent = { atMs: nowMs, online };
    // lnd addEvent: the staged event is logged only if it outlived the tier's spacing; either way
    // the new one replaces it, so a burst leaves only its final outcome.
    if (this.staged !== undefined && this.staged.atMs + rateLimitForCount(this.flaps) < nowMs) {
      this.events.push(this.staged);
      if (this.events.length > MAX_EVENTS) this.foldOldest();
    }
    this.staged = ev;
    return true;
  }

  /** Restores persisted flap state (count, last flap); events are not persisted. */
  restoreFlaps(count: number, lastFlapMs: number): void {
    this.flaps = count;
    this.lastFlapMs = lastFlapMs;
  }

  flapCount(nowMs: number): number {
    return this.lastFlapMs === undefined ? this.flaps : cooledFlapCount(this.flaps, this.lastFlapMs, nowMs);
  }

  /**
   * Time online within [startMs, endMs], periods clipped to the window (lnd uptime). A window
   * reaching into the folded history gets the folded uptime pro rata to its overlap: exact when it
   * covers all of it, an estimate otherwise.
   */
  uptime(startMs: number, endMs: number, nowMs: number): number {
    if (!(endMs >= startMs)) throw new ConfigError('uptime: end before start', { startMs, endMs });
    if (this.firstSeenMs === undefined) return 0;
    let up = 0;
    if (this.foldedUntilMs !== undefined && startMs < this.foldedUntilMs) {
      const span = this.foldedUntilMs - this.firstSeenMs;
      const overlap = Math.min(endMs, this.foldedUntilMs) - Math.max(startMs, this.firstSeenMs);
      if (span > 0 && overlap > 0) up += (this.foldedUpMs * overlap) / span;
    }
    const clip = (a: number, b: number): number => Math.max(0, Math.min(b, endMs) - Math.max(a, startMs));
    let since: number | undefined;
    const visit = (ev: HealthEvent): void => {
      if (ev.online) {
        since ??= ev.atMs;
      } else if (since !== undefined) {
        up += clip(since, ev.atMs);
        since = undefined;
      }
    };
    for (const ev of this.events) visit(ev);
    if (this.staged !== undefined) visit(this.staged);
    if (since !== undefined) up += clip(since, nowMs);
    return up;
  }

  report(nowMs: number): HealthReport {
    const lifespanMs = this.firstSeenMs === undefined ? 0 : Math.max(0, nowMs - this.firstSeenMs);
    const uptimeMs = this.firstSeenMs === undefined ? 0 : this.uptime(this.firstSeenMs, nowMs, nowMs);
    const flapCount = this.flapCount(nowMs);
    return Object.freeze({
      lifespanMs,
      uptimeMs,
      uptimeRatio: lifespanMs > 0 ? uptimeMs / lifespanMs : 0,
      flapCount,
      lastFlap: this.lastFlapMs,
      tier: flapTier(flapCount),
      rateLimitMs: rateLimitForCount(flapCount),
      online: this.isOnline,
    });
  }

  /**
   * Outbound preference in [0, 1]: the uptime ratio smoothed towards 50 % by an hour of
   * pseudo-history (so a new address is neither shunned nor favoured), divided by 1 + flap tier.
   */
  preferenceScore(nowMs: number): number {
    const r = this.report(nowMs);
    const smoothed = (r.uptimeMs + PREFERENCE_PRIOR_RATIO * PREFERENCE_PRIOR_MS) / (r.lifespanMs + PREFERENCE_PRIOR_MS);
    return smoothed / (1 + r.tier);
  }

  private foldOldest(): void {
    const first = this.events.shift()!;
    const next = this.events[0] ?? this.staged!;
    if (first.online) this.foldedUpMs += next.atMs - first.atMs;
    this.foldedUntilMs = next.atMs;
  }
}
