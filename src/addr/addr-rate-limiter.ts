/**
 * Per-peer budget for addr/addrv2 entries (Bitcoin Core #22387): 0.1 entries/s, burst 1,000, and
 * +1,000 when we send the peer a getaddr, so the solicited reply fits. Without it one peer can
 * stream 1,000 fresh addresses per message and rewrite our new table until every slot points at
 * them (an eclipse set-up). Whitelisted peers are exempt.
 */
import type { Clock } from '../clock.js';
import { MAX_ADDR_PER_MSG } from '../wire/constants.js';
import { TokenBucket } from '../util/token-bucket.js';

/** Core MAX_ADDR_RATE_PER_SECOND. */
export const ADDR_RATE_PER_SEC = 0.1;
/** Core MAX_ADDR_PROCESSING_TOKEN_BUCKET. */
export const ADDR_BURST = 1000;
/** Tokens a peer starts with: Core starts at 1, so an unsolicited self-announcement gets through. */
export const ADDR_INITIAL_TOKENS = 1;

export interface AddrRateLimiterOptions {
  readonly clock: Clock;
  readonly whitelisted?: boolean;
  readonly ratePerSec?: number;
  readonly burst?: number;
  readonly initial?: number;
}

export class AddrRateLimiter {
  readonly whitelisted: boolean;
  private readonly bucket: TokenBucket;
  /** Entries let through over the limiter's life. */
  processed = 0;
  /** Entries dropped for lack of tokens. */
  rateLimited = 0;

  constructor(opts: AddrRateLimiterOptions) {
    this.whitelisted = opts.whitelisted ?? false;
    this.bucket = new TokenBucket({
      clock: opts.clock,
      ratePerSec: opts.ratePerSec ?? ADDR_RATE_PER_SEC,
      burst: opts.burst ?? ADDR_BURST,
      initial: opts.initial ?? ADDR_INITIAL_TOKENS,
    });
  }

  /** How many of `n` offered entries may be processed now; consumes that many tokens. */
  take(n: number): number {
    const k = this.whitelisted ? n : this.bucket.takeUpTo(n);
    this.processed += k;
    this.rateLimited += n - k;
    return k;
  }

  /** Call when we send this peer a getaddr: its reply (up to 1,000 entries) is solicited. */
  onGetAddrSent(): void {
    this.bucket.grant(MAX_ADDR_PER_MSG);
  }

  /** Tokens available now (fractional). */
  available(): number {
    return this.whitelisted ? Infinity : this.bucket.available();
  }
}
