/**
 * Event-loop turns, for fair service: each peer may take TURN_BUDGET_BYTES of input per turn;
 * past that its socket is not read again until the next turn, so a flooding peer delays itself,
 * not the others (Bitcoin Core's message handler serves peers round-robin for the same reason).
 * The input stays in the kernel meanwhile and TCP slows the sender.
 */

/** Bytes a peer may feed us per event-loop turn before its reads wait for the next turn. */
export const TURN_BUDGET_BYTES = 256 * 1024;

export class Turns {
  private epoch = 0;
  private armed = false;
  private waiting: (() => void)[] = [];
  private readonly advance = (): void => {
    this.armed = false;
    this.epoch++;
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  };

  /** The current turn's number (a turn ends at the next setImmediate). */
  current(): number {
    if (!this.armed) {
      this.armed = true;
      setImmediate(this.advance);
    }
    return this.epoch;
  }

  /** Runs `fn` when this turn is over. */
  next(fn: () => void): void {
    this.waiting.push(fn);
    this.current();
  }
}
