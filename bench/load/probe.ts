/**
 * Loaded into a target process (the wirerelay node via `node --import`, the baselines by import):
 * reports what only the process itself can see, over its IPC channel, so the harness reads the
 * node from the outside without a hook in the node's code:
 * - event-loop utilization of the main thread (`performance.eventLoopUtilization`),
 * - GC pauses (`PerformanceObserver` 'gc' entries: count and total duration).
 * Each 'probe' request answers with the figures since the previous one with `reset`.
 * Does nothing when the process has no IPC channel (the node started by hand).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';

export interface ProbeReport {
  readonly evt: 'probe';
  readonly elu: number;
  readonly gcCount: number;
  readonly gcMs: number;
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
  let gcCount = 0;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  process.on('message', (m: ProbeRequest) => {
    if (m?.cmd !== 'probe') return;
    const r: ProbeReport = { evt: 'probe', elu: performance.eventLoopUtilization(elu0).utilization, gcCount, gcMs, windowMs: performance.now() - t0 };
    if (m.reset) {
      elu0 = performance.eventLoopUtilization();
      t0 = performance.now();
      gcCount = 0;
      gcMs = 0;
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
