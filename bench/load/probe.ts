/**
 * Loaded into a target process (the wirerelay node via `node --import`, the baselines by import):
 * reports what only the process itself can see, over its IPC channel, so the harness reads the
 * node from the outside without a hook in the node's code:
 * - event-loop utilization of the main thread (`performance.eventLoopUtilization`),
 * - GC pauses (`PerformanceObserver` 'gc' entries: count, total, p99, max, major collections),
 * - turn lengths: how late a 1 ms timer fires (`monitorEventLoopDelay`, resolution 1 ms). Timers
 *   run once per loop iteration, so a timer that falls due during a turn waits for the rest of it:
 *   the maximum is the longest turn, and the percentiles are turn lengths weighted by duration
 *   (what a message arriving at a random moment waits), at 1 ms granularity.
 * Each 'probe' request answers with the figures since the previous one with `reset`.
 * Does nothing when the process has no IPC channel (the node started by hand).
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import { exactPercentile } from './histogram.js';

export interface ProbeReport {
  readonly evt: 'probe';
  readonly elu: number;
  readonly gcCount: number;
  readonly gcMs: number;
  /** Mark-compact (full) collections among gcCount. */
  readonly gcMajorCount: number;
  readonly gcPauseMs: { readonly p99: number; readonly max: number };
  readonly turnMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly windowMs: number;
}

export interface ProbeRequest {
  readonly cmd: 'probe';
  readonly reset: boolean;
}

export function startProbe(): void {
  if (process.send === undefined) return;
  let elu0 = performance.eventLoopUtilization();
  let t0 = performance.now();
  let pauses: number[] = [];
  let gcMajorCount = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      pauses.push(e.duration);
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcMajorCount++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
  process.on('message', (m: ProbeRequest) => {
    if (m?.cmd !== 'probe') return;
    const gcMs = pauses.reduce((a, b) => a + b, 0);
    pauses.sort((a, b) => a - b);
    const r: ProbeReport = {
      evt: 'probe',
      elu: performance.eventLoopUtilization(elu0).utilization,
      gcCount: pauses.length,
      gcMs,
      gcMajorCount,
      gcPauseMs: { p99: pauses.length === 0 ? 0 : exactPercentile(pauses, 99), max: pauses.length === 0 ? 0 : pauses[pauses.length - 1]! },
      turnMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      windowMs: performance.now() - t0,
    };
    if (m.reset) {
      elu0 = performance.eventLoopUtilization();
      t0 = performance.now();
      pauses = [];
      gcMajorCount = 0;
      delay.reset();
    }
    process.send?.(r);
  });
  // The channel must not keep the node alive after it shuts down.
  process.channel?.unref();
}

/** Set in the environment of a process preloaded with this file (procs.ts). */
// Not WIRERELAY_*: the CLI reads those as settings and refuses names it does not know.
export const PROBE_ENV = 'LOAD_HARNESS_PROBE';

// As a preload (`--import`) it starts itself; the baselines call startProbe.
if (process.env[PROBE_ENV] === '1') startProbe();
