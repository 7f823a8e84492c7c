/**
 * Every read of the time goes through a Clock, so tests inject a manual one and never sleep.
 * Milliseconds since the Unix epoch, like Date.now().
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that moves only when told to: for tests and simulations. */
export class ManualClock implements Clock {
  private t: number;
  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

export const nowSec = (clock: Clock): number => Math.floor(clock.now() / 1000);
