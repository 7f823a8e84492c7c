import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/load/report.js';
import { renderChart } from '../../bench/load/chart.js';
import { ratio, spread, verdicts } from '../../bench/load/results.js';
import type { LoadResult, StepResult, TargetName } from '../../bench/load/results.js';

function step(target: TargetName, offeredMsgs: number, msgs: number, p50: number, p99: number, blownUp: string | null = null): StepResult {
  return {
    target,
    offeredTxPerSec: offeredMsgs / 4,
    offeredMsgsPerSec: offeredMsgs,
    sentTxPerSec: offeredMsgs / 4,
    msgsPerSec: msgs,
    bytesPerSec: msgs * 274,
    latencyMs: { count: msgs * 2, p50, p90: p50 * 2, p99, max: p99 * 2 },
    drops: { undelivered: blownUp === null ? 0 : 120, queue_head: 0 },
    cpu: 0.5,
    rssBytes: 100 * 2 ** 20,
    eventLoopLagMs: target === 'wirerelay' ? { p99: 1.5, max: 4 } : null,
    poolQueueDepth: target === 'wirerelay' ? 0 : null,
    senderBehind: 0,
    windowMs: 2000,
    blownUp,
  };
}

const wr = [step('wirerelay', 10_000, 10_000, 0.4, 1.2), step('wirerelay', 20_000, 20_000, 0.6, 1.9), step('wirerelay', 40_000, 31_000, 30, 180, 'throughput 78 % of offered')];
const raw = [step('raw-forwarder', 20_000, 20_000, 0.2, 0.5), step('raw-forwarder', 40_000, 40_000, 0.2, 0.8)];
const naive = [step('naive-relay', 10_000, 10_000, 0.8, 3)];

const sample: LoadResult = {
  bench: 'load',
  date: '2026-11-22T00:00:00.000Z',
  quick: true,
  machine: { node: 'v20.20.2', cpu: 'Test CPU', cores: 2 },
  setup: { sourceConns: 4, sinkConns: 4, txBytes: 250, invFraction: 0.5, workers: 1, trickleMs: 0, stepMs: 2000 },
  steps: [...wr, ...raw, ...naive],
  max: { wirerelay: wr[1]!, 'raw-forwarder': raw[1]!, 'naive-relay': naive[0]! },
  halfMax: step('wirerelay', 10_000, 10_000, 0.45, 1.5),
  peerSweep: [
    { peers: 10, established: 10, msgsPerSec: 5000, cpuUsPerMsg: 20, idleCpu: 0.01, rssBytes: 90 * 2 ** 20, rssIdleBytes: 80 * 2 ** 20, bytesPerPeer: 2 ** 20, latencyMs: { count: 1, p50: 1, p90: 1, p99: 1, max: 1 } },
    { peers: 1000, established: 1000, msgsPerSec: 5000, cpuUsPerMsg: 23, idleCpu: 0.05, rssBytes: 120 * 2 ** 20, rssIdleBytes: 80 * 2 ** 20, bytesPerPeer: 40 * 1024, latencyMs: { count: 1, p50: 1, p90: 1, p99: 1, max: 1 } },
  ],
  flowSweep: [
    { flows: 10_000, nsPerRecordHot: 30, nsPerRecordUniform: 30, bytesPerFlow: 150 },
    { flows: 1_000_000, nsPerRecordHot: 130, nsPerRecordUniform: 300, bytesPerFlow: 100 },
  ],
  flowSweepNote: 'in process',
  profile: null,
  notes: ['a note'],
};

describe('load report', () => {
  it('prints the ratios against both baselines from the max steps', () => {
    const md = renderReport(sample);
    expect(md).toContain('- wirerelay / raw forwarder: 0.50× (50.0 %)');
    expect(md).toContain('- wirerelay / naive relay: 2.00× (200.0 %)');
  });

  it('evaluates every target of the issue', () => {
    const v = Object.fromEntries(verdicts(sample).map((x) => [x.name.split(',')[0], x]));
    expect(v['throughput vs raw forwarder']!.met).toBe(true); // exactly 50 %
    expect(v['p99 latency at half max']!.measured).toBe('1.50 ms');
    expect(v['p99 latency at half max']!.met).toBe(true);
    expect(verdicts(sample).find((x) => x.name.includes('peers'))!.measured).toBe('±15 %'); // 20 → 23 µs
    expect(v['RSS with 1']!.measured).toBe('120 MiB');
    // 100 ns more per record at 1M flows, of 25 µs per message (0.5 CPU / 20k msgs/s).
    const flows = verdicts(sample).find((x) => x.name.includes('flows'))!;
    expect(flows.measured.startsWith('±0.40 % end to end')).toBe(true);
    expect(flows.met).toBe(true);
  });

  it('marks the knee and lists drops by reason, leaving zero reasons out', () => {
    const md = renderReport(sample);
    expect(md).toContain("wirerelay's knee: offered 40,000 msgs/s (throughput 78 % of offered).");
    expect(md).toContain('| undelivered 120 |');
    expect(md).not.toContain('queue_head 0');
    expect(md).toContain('| 1.50 / 4.00 | 0 | throughput 78 % of offered |');
  });

  it('is deterministic and tabulates both sweeps', () => {
    const md = renderReport(sample);
    expect(renderReport(sample)).toBe(md);
    expect(md).toContain('| 1,000 | 1,000 | 5,000 | 23.0 | 5 % | 120.0 MiB | 80.0 MiB | 40.0 KiB |');
    expect(md).toContain('| 1,000,000 | 130.0 | 300.0 | 100.0 |');
    expect(md).toContain('![throughput against latency](load-chart.svg)');
  });

  it('says n/a rather than inventing a number when a side is missing', () => {
    const partial: LoadResult = { ...sample, max: { wirerelay: wr[1]! }, halfMax: null, peerSweep: [], flowSweep: [] };
    const md = renderReport(partial);
    expect(md).toContain('- wirerelay / raw forwarder: n/a');
    expect(verdicts(partial).every((v) => v.name.startsWith('throughput') || v.name.startsWith('p99') || v.met === null || v.name.startsWith('cost'))).toBe(true);
    expect(ratio(1, 0)).toBeNull();
    expect(spread([5])).toBeNull();
    expect(spread([10, 12, 9])).toBeCloseTo(0.2);
  });
});

describe('load chart', () => {
  it('draws one p99 and one p50 line per target, with the knee hollow', () => {
    const svg = renderChart(sample);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)?.length).toBe(6);
    expect(svg.match(/<circle /g)?.length).toBe(2 * (wr.length + raw.length + naive.length));
    expect(svg).toContain('fill="#fff" stroke="#d1495b"><title>wirerelay offered 40000 msgs/s');
    expect((svg.match(/<circle /g) ?? []).length).toBe((svg.match(/<\/circle>/g) ?? []).length);
  });
});
