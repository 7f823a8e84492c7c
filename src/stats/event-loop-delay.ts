import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/**
 * The process's one event-loop delay sampler. A timer every EVENT_LOOP_RESOLUTION_MS records the
 * time since its previous run (one whole interval, plus whatever held the loop up) into every open
 * window, the way monitorEventLoopDelay does; the lag proper is a value minus the interval.
 *
 * Each reader owns a window and resets it on its own schedule: the status page closes one every
 * ticker second (ProcessStats), /metrics one per scrape (RelayMetrics). One monitorEventLoopDelay
 * histogram cannot serve both, because reading a window means resetting it; a RecordableHistogram
 * per reader fed from one timer can. The timer runs while a window is open, and never keeps the
 * process alive.
 */
export const EVENT_LOOP_RESOLUTION_MS = 10;

const open = new Set<RecordableHistogram>();
let timer: NodeJS.Timeout | undefined;
let last = 0n;

function sample(): void {
  const now = process.hrtime.bigint();
  const delay = now - last;
  last = now;
  for (const h of open) h.record(delay);
}

/** A reader's window on the sampler: event-loop delays (whole intervals, ns) since its last reset. */
export class EventLoopDelayWindow {
  readonly histogram: RecordableHistogram = createHistogram();

  constructor() {
    open.add(this.histogram);
    if (timer === undefined) {
      last = process.hrtime.bigint();
      timer = setInterval(sample, EVENT_LOOP_RESOLUTION_MS).unref();
    }
  }

  /** Stops feeding this window (the sampler stops with the last one); what it holds stays readable. */
  close(): void {
    if (!open.delete(this.histogram) || open.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  }
}
