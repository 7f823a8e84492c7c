/**
 * A manual timer scheduler bound to a ManualClock: `advance(ms)` moves the clock timer by timer
 * and runs each due callback, letting promise callbacks (dial results) settle in between, so a
 * test drives minutes of retries without sleeping.
 */
import type { ManualClock } from '../../src/clock.js';
import type { TimerScheduler } from '../../src/conn/conn-manager.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export interface ManualScheduler extends TimerScheduler {
  /** Delays of every setTimeout call, in order. */
  readonly delays: number[];
  /** Timers not yet run. */
  pending(): number;
  /** Moves time forward by `ms`, running due timers in order; settles microtasks after each. */
  advance(ms: number): Promise<void>;
  /** Runs the earliest timer, moving the clock to it; returns the time moved, or null if none. */
  runNext(): Promise<number | null>;
}

/** Lets queued promise callbacks run (several rounds: dial → then → handler). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export function schedulerFor(clock: ManualClock): ManualScheduler {
  let nextId = 0;
  const timers: Timer[] = [];
  const delays: number[] = [];
  const due = (): Timer | undefined => {
    let best: Timer | undefined;
    for (const t of timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    return best;
  };
  const runOne = async (t: Timer): Promise<void> => {
    timers.splice(timers.indexOf(t), 1);
    if (t.at > clock.now()) clock.set(t.at);
    t.fn();
    await settle();
  };
  return {
    delays,
    setTimeout(fn: () => void, delayMs: number): unknown {
      delays.push(delayMs);
      const t = { id: ++nextId, at: clock.now() + Math.max(0, delayMs), fn };
      timers.push(t);
      return t.id;
    },
    clearTimeout(handle: unknown): void {
      const i = timers.findIndex((t) => t.id === handle);
      if (i >= 0) timers.splice(i, 1);
    },
    pending: () => timers.length,
    async advance(ms: number): Promise<void> {
      const end = clock.now() + ms;
      await settle();
      for (;;) {
        const t = due();
        if (t === undefined || t.at > end) break;
        await runOne(t);
      }
      clock.set(end);
      await settle();
    },
    async runNext(): Promise<number | null> {
      await settle();
      const t = due();
      if (t === undefined) return null;
      const before = clock.now();
      await runOne(t);
      return clock.now() - before;
    },
  };
}
