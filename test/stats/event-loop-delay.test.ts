/**
 * The process's one event-loop sampler, read by the status page (ProcessStats, reset every ticker
 * second) and /metrics (RelayMetrics, reset at each scrape): a stall shows up in both, and each
 * reader's reset leaves the other's window alone.
 */
import { describe, expect, it } from 'vitest';
import { RelayMetrics } from '../../src/metrics/metrics.js';
import { EVENT_LOOP_RESOLUTION_MS } from '../../src/stats/event-loop-delay.js';
import { ProcessStats } from '../../src/stats/process-stats.js';
import { parseExposition, value } from '../helpers/prometheus.js';

const STALL_MS = 120;

/** Holds the event loop for `ms`, then lets the sampler run at least once after it. */
async function stall(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until);
  await new Promise((r) => setTimeout(r, 3 * EVENT_LOOP_RESOLUTION_MS));
}

describe('the event-loop sampler', () => {
  it('a stall reaches the status page and /metrics alike, and each reader resets only its own window', async () => {
    const m = new RelayMetrics();
    const p = new ProcessStats();
    try {
      await m.text();
      p.sample();
      await stall(STALL_MS);
      // The status page reads (and resets) its window first: /metrics still sees the stall.
      p.sample();
      expect(p.snapshot().eventLoopLagMaxMs).toBeGreaterThanOrEqual(STALL_MS - EVENT_LOOP_RESOLUTION_MS);
      const first = parseExposition(await m.text());
      // Whole sampling intervals, as prom-client's gauges: the stall plus (about) one interval.
      expect(value(first, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(STALL_MS / 1000);
      expect(value(first, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
      expect(value(first, 'nodejs_eventloop_lag_min_seconds')).toBeLessThanOrEqual(value(first, 'nodejs_eventloop_lag_mean_seconds')!);
      // A scrape resets the scrape window: nothing ran between these two scrapes.
      const second = parseExposition(await m.text());
      expect(value(second, 'nodejs_eventloop_lag_max_seconds')).toBe(0);
      expect(value(second, 'nodejs_eventloop_lag_p99_seconds')).toBe(0);
    } finally {
      m.close();
      p.close();
    }
  });

  it('/metrics exports every name prom-client exports by default, event-loop lag included', async () => {
    const { collectDefaultMetrics, Registry } = await import('prom-client');
    const reference = new Registry();
    collectDefaultMetrics({ register: reference });
    const m = new RelayMetrics();
    try {
      const ours = [...parseExposition(await m.text()).keys()].filter((n) => !n.startsWith('wirerelay_'));
      const theirs = [...parseExposition(await reference.metrics()).keys()];
      expect(ours.sort()).toEqual(theirs.sort());
      expect(theirs).toContain('nodejs_eventloop_lag_p99_seconds');
    } finally {
      m.close();
    }
  });
});
