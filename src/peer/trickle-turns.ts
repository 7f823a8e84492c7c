/**
 * Trickled announcements spread over event-loop turns: at most TRICKLE_ENTRIES_PER_TURN queued
 * entries are looked at per turn, across all peers (issue 21, bounded turns). A peer whose trickle
 * is due gets what is left of this turn's budget at once; whatever does not fit goes on in the
 * next turns, the waiting peers served round-robin, each with an equal share, with socket I/O in
 * between.
 *
 * Without it a flood made one turn of it: 1M transactions relayed within a 10 s trickle interval
 * were 1M entries for the good peer's trickle, drained (known-inventory checks, inv frames) in a
 * single 400 ms turn that delayed every other peer's pings by as much (`npm run attack`, tx-push).
 */

/** Entries (known-inventory check, frame copy: ~0.4 µs each here) per turn, all peers together: ~4 ms. */
export const TRICKLE_ENTRIES_PER_TURN = 10_000;
/** A waiting peer's share of a turn is never below this (one full inv message). */
const MIN_SHARE = 1000;

/** A peer's trickle as the scheduler sees it. */
export interface TrickleSource {
  /** Sends up to `budget` queued entries; returns how many it looked at. */
  drainSome(budget: number): number;
  /** Due entries are left (a drain's budget ran out). */
  readonly trickling: boolean;
}

export class TrickleTurns {
  private left = TRICKLE_ENTRIES_PER_TURN;
  private armed = false;
  private waiting = new Set<TrickleSource>();

  /** A trickle is due: drained now as far as this turn's budget goes, the rest in later turns. */
  drain(src: TrickleSource): void {
    this.arm();
    if (this.waiting.has(src)) return;
    if (this.left > 0) this.left -= src.drainSome(this.left);
    if (src.trickling) this.waiting.add(src);
  }

  /** The peer is gone (its queue was cleared). */
  forget(src: TrickleSource): void {
    this.waiting.delete(src);
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(this.nextTurn);
  }

  private readonly nextTurn = (): void => {
    this.armed = false;
    this.left = TRICKLE_ENTRIES_PER_TURN;
    if (this.waiting.size === 0) return;
    const round = [...this.waiting];
    this.waiting.clear();
    const again: TrickleSource[] = [];
    let served = 0;
    for (const src of round) {
      if (this.left <= 0) {
        // Not served this turn: first in line next turn (a Set keeps insertion order).
        this.waiting.add(src);
        continue;
      }
      const share = Math.max(MIN_SHARE, Math.ceil(this.left / (round.length - served)));
      this.left -= src.drainSome(Math.min(share, this.left));
      served++;
      if (src.trickling) again.push(src);
    }
    for (const src of again) this.waiting.add(src);
    if (this.waiting.size > 0) this.arm();
  };
}
