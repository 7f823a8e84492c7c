/**
 * A token bucket driven by an injected clock: `ratePerSec` tokens accrue continuously up to
 * `burst`. Grants (`grant`) may lift the level above `burst`, and refilling never cuts it back:
 * this is Bitcoin Core's addr bucket rule (#22387), where the getaddr we send earns the peer room
 * for a full reply even when its bucket is already full.
 */
import type { Clock } from '../clock.js';

export interface TokenBucketOptions {
  readonly clock: Clock;
  /** Tokens added per second; 0 means only grants refill the bucket. */
  readonly ratePerSec: number;
  /** Level that refilling stops at. */
  readonly burst: number;
  /** Starting level; defaults to `burst`. */
  readonly initial?: number;
}

export class TokenBucket {
  private readonly clock: Clock;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private level: number;
  private lastMs: number;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.ratePerSec >= 0) || !Number.isFinite(opts.ratePerSec)) {
      throw new RangeError(`TokenBucket: ratePerSec must be a finite number >= 0, got ${opts.ratePerSec}`);
    }
    if (!(opts.burst >= 0) || !Number.isFinite(opts.burst)) {
      throw new RangeError(`TokenBucket: burst must be a finite number >= 0, got ${opts.burst}`);
    }
    this.clock = opts.clock;
    this.ratePerMs = opts.ratePerSec / 1000;
    this.burst = opts.burst;
    this.level = opts.initial ?? opts.burst;
    this.lastMs = opts.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps backwards (NTP) earns nothing rather than a negative refill.
    const elapsed = Math.max(0, now - this.lastMs);
    this.lastMs = Math.max(this.lastMs, now);
    if (this.level < this.burst) this.level = Math.min(this.burst, this.level + elapsed * this.ratePerMs);
  }

  /** Current level (fractional). */
  available(): number {
    this.refill();
    return this.level;
  }

  /** Takes `n` tokens if all are there; otherwise takes none. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.level < n) return false;
    this.level -= n;
    return true;
  }

  /** Takes as many whole tokens as are available, up to `n`; returns how many. */
  takeUpTo(n: number): number {
    this.refill();
    const k = Math.max(0, Math.min(Math.floor(n), Math.floor(this.level)));
    this.level -= k;
    return k;
  }

  /** Adds `n` tokens; the level may exceed `burst`. */
  grant(n: number): void {
    this.refill();
    this.level += n;
  }
}
