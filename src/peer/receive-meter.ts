/**
 * Per-peer receive limit (tailscale#19222), on a token bucket of bytes: past its rate a peer's
 * socket is not read until the budget refills, so TCP slows the sender; nothing is dropped and
 * nothing piles up here. The burst lets a whole block through at once.
 */
import type { Clock } from '../clock.js';
import { TokenBucket } from '../util/token-bucket.js';

export class ReceiveMeter {
  private readonly bucket: TokenBucket | undefined;
  /** Bytes received past the budget, paid back from the next refill. */
  private debt = 0;

  constructor(
    clock: Clock,
    private readonly rateBytesPerSec: number,
    burstBytes: number,
  ) {
    this.bucket = rateBytesPerSec === 0 ? undefined : new TokenBucket({ clock, ratePerSec: rateBytesPerSec, burst: burstBytes });
  }

  /**
   * Charges `bytes` just received; returns 0 when within budget, else the milliseconds to stop
   * reading for the budget to cover them.
   */
  charge(bytes: number): number {
    if (this.bucket === undefined) return 0;
    const want = bytes + this.debt;
    const got = this.bucket.takeUpTo(want);
    this.debt = want - got;
    return this.debt === 0 ? 0 : Math.ceil((this.debt * 1000) / this.rateBytesPerSec);
  }
}
