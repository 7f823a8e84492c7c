import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/load/report.js';
import { renderChart, renderCpuChart } from '../../bench/load/chart.js';
import { reconcile } from '../../bench/load/accounting.js';
import { equalLoad, limitLines, limitOf, ratio, spreadRatio, v2Comparison, verdicts } from '../../bench/load/results.js';
import type { LoadResult, Mode, StepResult, SweepRow, TargetName, TargetRun } from '../../bench/load/results.js';

interface StepOpts {
  p99?: number;
  cpu?: number;
  elu?: number;
  genElu?: number;
  late?: number;
  machine?: number;
  delivered?: number;
  blownUp?: string | null;
  phase?: StepResult['phase'];
}

function step(target: TargetName, mode: Mode, offered: number, msgs: number, o: StepOpts = {}): StepResult {
  const cpu = o.cpu ?? 0.5;
  const expected = offered;
  const blownUp = o.blownUp ?? null;
  return {
    target,
    mode,
    phase: o.phase ?? 'ladder',
    offeredTxPerSec: offered / 4,
    offeredMsgsPerSec: offered,
    sentTxPerSec: offered / 4,
    msgsPerSec: msgs,
    bytesPerSec: msgs * 274,
    latencyMs: { count: msgs, p50: 1, p90: 2, p99: o.p99 ?? 3, max: 9 },
    drops: reconcile({ offered: offered / 4, announced: 0, served: 0, fanout: 4, delivered: o.delivered ?? expected, nodeDrops: target === 'wirerelay' ? { duplicate: 0 } : null, notfound: 0 }),
    path: { sourceSentTx: offered / 4, nodeTxIn: target === 'raw-forwarder' ? null : offered / 4, nodeTxOut: target === 'raw-forwarder' ? null : msgs, sinkReceivedTx: msgs },
    cpu,
    nodeUsPerMsg: (cpu * 1e6) / msgs,
    rssBytes: 100 * 2 ** 20,
    nodeElu: o.elu ?? 0.5,
    gcMsPerSec: 10,
    gcCount: 20,
    gcPauseMs: { p99: 1.2, max: 3, major: 1 },
    turnMs: { p50: 0.1, p99: 2.5, max: 6 },
    eventLoopLagMs: target === 'wirerelay' ? { p99: 1.5, max: 4 } : null,
    runQueueWait: { msPerSec: 40, usPerSlice: 25 },
    poolQueueDepth: target === 'wirerelay' ? 0 : null,
    poolBatches: target === 'wirerelay' ? 0 : null,
    poolFrames: target === 'wirerelay' ? 0 : null,
    framesPerRead: target === 'wirerelay' ? 3.5 : null,
    framesPerWrite: target === 'wirerelay' ? 12 : null,
    generators: { sourceCpu: 0.1, sinkCpu: 0.1, sourceElu: o.genElu ?? 0.2, sinkElu: 0.1, usPerMsg: 2e5 / msgs, lateP99Ms: o.late ?? 0.5 },
    machineCpu: o.machine ?? 1.0,
    otherCpu: 0.2,
    senderBehind: 0,
    closedConnections: { sources: 0, sinks: 0 },
    nodeWarnings: target === 'wirerelay' ? {} : null,
    windowMs: 1000,
    causes: blownUp === null ? [] : ['latency'],
    blownUp,
  };
}

const wrPush = [
  step('wirerelay', 'push', 10_000, 10_000, { cpu: 0.2 }),
  step('wirerelay', 'push', 20_000, 20_000, { cpu: 0.3 }),
  step('wirerelay', 'push', 40_000, 39_000, { p99: 80, elu: 0.95, blownUp: 'latency: p99 80.0 ms > 50 ms' }),
  step('wirerelay', 'push', 28_284, 28_000, { cpu: 0.4, phase: 'bisect' }),
];
const wrInv = [
  step('wirerelay', 'inv', 10_000, 10_000, { cpu: 0.3 }),
  { ...step('wirerelay', 'inv', 20_000, 18_000, { delivered: 19_000, blownUp: 'loss 5.00 %' }), nodeWarnings: { 'peer misbehaving (GETDATA)': 12 } },
];
const naive = [step('naive-relay', 'push', 10_000, 10_000, { cpu: 0.5 }), step('naive-relay', 'push', 20_000, 20_000, { cpu: 0.9, genElu: 0.95, p99: 70, blownUp: 'latency' })];
const raw = [step('raw-forwarder', 'push', 32_000, 32_000, { cpu: 0.1 }), step('raw-forwarder', 'push', 56_000, 56_000, { cpu: 0.12 })];
const halfPush = step('wirerelay', 'push', 14_000, 14_000, { p99: 1.5, phase: 'half' });
const halfInv = step('wirerelay', 'inv', 5_000, 5_000, { p99: 2.5, phase: 'half' });

function run(target: TargetName, mode: Mode, best: StepResult, held: number, failed: number | null, at: StepResult | null, half: StepResult | null = null): TargetRun {
  return { target, mode, best, knee: { held, failed, resolved: failed !== null && failed / held <= 1.1, cause: at?.blownUp ?? null, limit: at === null ? null : limitOf(at, 2) }, half };
}

function sweep(kind: SweepRow['kind'], peers: number, us: number, p99: number): SweepRow {
  return {
    kind,
    mode: kind === 'fan-in' ? 'inv' : 'push',
    peers,
    sources: kind === 'fan-in' ? peers : 1,
    sinks: kind === 'fan-in' ? 4 : peers,
    established: peers + 4,
    offeredMsgsPerSec: 5000,
    msgsPerSec: 5000,
    nodeUsPerMsg: us,
    idleCpu: 0.01,
    nodeElu: 0.3,
    rssBytes: 120 * 2 ** 20,
    rssIdleBytes: 80 * 2 ** 20,
    bytesPerPeer: (40 * 2 ** 20) / peers,
    latencyMs: { count: 1, p50: 1, p90: 2, p99, max: p99 },
    generators: { sourceCpu: 0.1, sinkCpu: 0.1, sourceElu: 0.1, sinkElu: 0.1, usPerMsg: 10, lateP99Ms: 0.3 },
    drops: reconcile({ offered: 1000, announced: 1000, served: 1000, fanout: 4, delivered: 4000, nodeDrops: {}, notfound: 0 }),
  };
}

const sample: LoadResult = {
  bench: 'load',
  date: '2026-11-30T00:00:00.000Z',
  quick: true,
  machine: { node: 'v20.20.2', cpu: 'Test CPU', cores: 2 },
  setup: { sourceConns: 4, sinkConns: 4, txBytes: 250, workers: 1, trickleMs: 0, stepMs: 1000, warmMs: 300, modes: ['push', 'inv'] },
  steps: [...wrPush, halfPush, ...wrInv, halfInv, ...naive, ...raw],
  max: { wirerelay: wrPush[3]!, 'naive-relay': naive[0]!, 'raw-forwarder': raw[1]! },
  maxByMode: { push: { wirerelay: wrPush[3]!, 'naive-relay': naive[0]!, 'raw-forwarder': raw[1]! }, inv: { wirerelay: wrInv[0]! } },
  halfMax: halfPush,
  halfByMode: { push: halfPush, inv: halfInv },
  runs: [
    run('naive-relay', 'push', naive[0]!, 10_000, 20_000, naive[1]!),
    run('wirerelay', 'push', wrPush[3]!, 28_284, 40_000, wrPush[2]!, halfPush),
    run('wirerelay', 'inv', wrInv[0]!, 10_000, 20_000, wrInv[1]!, halfInv),
    run('raw-forwarder', 'push', raw[1]!, 56_000, null, null),
  ],
  fanIn: [sweep('fan-in', 10, 20, 5), sweep('fan-in', 100, 22, 8), sweep('fan-in', 1000, 26, 40)],
  fanOut: [sweep('fan-out', 10, 20, 5), sweep('fan-out', 100, 25, 9), sweep('fan-out', 1000, 40, 70)],
  missingMetrics: [],
  profiles: {},
  notes: ['a note'],
};

describe('load verdicts', () => {
  it("evaluates issue 9's targets for both modes and both sweeps", () => {
    const v = Object.fromEntries(verdicts(sample).map((x) => [x.name, x]));
    // 28,000 / 56,000 = exactly 50 % (push), 10,000 / 56,000 = 17.9 % (inv, goal 25 %).
    expect(v['push: max sustained deliveries/s vs raw forwarder']).toMatchObject({ measured: '50.0 %', met: true });
    expect(v['inv: max sustained deliveries/s vs raw forwarder']).toMatchObject({ measured: '17.9 %', met: false });
    // At 20,000 offered wirerelay held (15 µs) and naive failed; at 10,000 both held: 20 vs 50 µs.
    expect(v['push: node CPU per delivery vs naive relay at equal load']!.measured).toBe('0.40× (20.0 vs 50.0 µs at 10000 deliveries/s)');
    expect(v['push: node CPU per delivery vs naive relay at equal load']!.met).toBe(true);
    expect(v['inv: node CPU per delivery vs naive relay at equal load']!.met).toBeNull();
    expect(v['push: p99 at half of max']).toMatchObject({ measured: '1.50 ms', met: true });
    expect(v['inv: p99 at half of max']).toMatchObject({ measured: '2.50 ms', met: false });
    expect(v['fan-in: node CPU per delivery, 10/100/1000 peers']).toMatchObject({ measured: '1.30× (20.0 / 22.0 / 26.0 µs)', met: true });
    expect(v['fan-out: node CPU per delivery, 10/100/1000 peers']!.met).toBe(false); // 2.0×
    expect(v['fan-in: p99 with 1,000 peers']).toMatchObject({ measured: '40.0 ms', met: true });
    expect(v['fan-out: p99 with 1,000 peers']!.met).toBe(false);
  });

  it('compares CPU at the highest offered load both relays held', () => {
    const e = equalLoad(sample.steps, 'push')!;
    expect(e.offered).toBe(10_000);
    expect(e.ratio).toBeCloseTo(0.4);
    expect(equalLoad(sample.steps, 'inv')).toBeNull();
  });

  it('names the side that limited a step', () => {
    expect(limitOf(step('wirerelay', 'push', 1, 1, { elu: 0.95 }), 2).side).toBe('node');
    expect(limitOf(step('wirerelay', 'push', 1, 1, { genElu: 0.92 }), 2).side).toBe('generators');
    // Sources sending late account for most of a latency knee.
    expect(limitOf(step('wirerelay', 'push', 1, 1, { p99: 80, late: 60, blownUp: 'latency' }), 2).side).toBe('generators');
    expect(limitOf(step('wirerelay', 'push', 1, 1, { machine: 1.9 }), 2).side).toBe('machine');
    const banned = { ...step('wirerelay', 'push', 1, 1), closedConnections: { sources: 0, sinks: 4 }, nodeWarnings: { 'peer misbehaving (GETDATA)': 12 } };
    expect(limitOf(banned, 2)).toEqual({ side: 'node', text: 'the target: it closed 4 generator connections (4 sink, 0 source); it warned: peer misbehaving (GETDATA) ×12' });
    const none = limitOf(step('wirerelay', 'push', 1, 1), 2);
    expect(none.side).toBe('none');
    expect(none.text).toContain('no side saturated');
    // The node's main thread's wait for a CPU is named beside its ELU (libuv counts a wake-up's wait as idle).
    expect(none.text).toContain('runnable but waiting for a CPU 0.04 s/s');
  });

  it('ends with one verdict line per run, wirerelay first, naming the knee, its cause and the limit', () => {
    const lines = limitLines(sample);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      'verdict push wirerelay: knee between 28.3k and 40.0k deliveries/s offered (NOT within 10 %), best 28.0k deliveries/s; cause: latency: p99 80.0 ms > 50 ms; ' +
        'limit: the node: event-loop utilization 0.95 ≥ 0.9 (generators 0.20)',
    );
    expect(lines[2]).toContain('verdict push naive-relay:');
    expect(lines[2]).toContain("limit: the generators: sources' event-loop utilization 0.95");
    expect(lines[3]).toBe('verdict push raw-forwarder: no knee up to 56.0k deliveries/s offered, best 56.0k deliveries/s');
  });

  it('with --v2, compares v2 with v1 of the same run against the 70 % goal, in the verdicts, the closing lines and the report', () => {
    const v2Steps = [step('wirerelay', 'push', 10_000, 10_000, { cpu: 0.4 }), step('wirerelay', 'push', 20_000, 19_600, { cpu: 0.7 }), step('wirerelay', 'push', 40_000, 30_000, { blownUp: 'loss 25.00 %' })];
    const withV2: LoadResult = { ...sample, v2: { mode: 'push', run: run('wirerelay', 'push', v2Steps[1]!, 20_000, 40_000, v2Steps[2]!), steps: v2Steps } };
    // 19,600 / 28,000 = 70 % exactly: met.
    expect(v2Comparison(withV2)).toEqual({ mode: 'push', v1: 28_000, v2: 19_600, ratio: 0.7 });
    const v = verdicts(withV2).find((x) => x.name === 'push: wirerelay max sustained deliveries/s, v2 vs v1 (same run)');
    expect(v).toMatchObject({ target: '≥ 70 %', measured: '70.0 % (19600 vs 28000)', met: true });
    const lines = limitLines(withV2);
    expect(lines).toHaveLength(6);
    expect(lines[4]).toContain('verdict push wirerelay v2: knee between 20.0k and 40.0k deliveries/s offered');
    expect(lines[5]).toBe('verdict push v2/v1: wirerelay 19.6k vs 28.0k deliveries/s = 70.0 % (goal ≥ 70 %: met)');
    // No half-of-max step in this v2 run: its p99 verdict reads n/a.
    expect(verdicts(withV2).at(-1)).toMatchObject({ name: 'push: p99 at half of max, v2', target: '≤ 5 ms', measured: 'n/a', met: null });
    const v2Half = step('wirerelay', 'push', 9_800, 9_800, { p99: 4.5, phase: 'half' });
    const slower: LoadResult = { ...withV2, v2: { ...withV2.v2!, run: run('wirerelay', 'push', v2Steps[0]!, 10_000, 20_000, v2Steps[1]!, v2Half) } };
    expect(verdicts(slower).find((x) => x.name.endsWith('v2 vs v1 (same run)'))).toMatchObject({ measured: '35.7 % (10000 vs 28000)', met: false });
    expect(verdicts(slower).at(-1)).toMatchObject({ name: 'push: p99 at half of max, v2', measured: '4.50 ms', met: true });
    expect(limitLines(slower).at(-1)).toContain('(goal ≥ 70 %: MISSED)');
    const md = renderReport(withV2);
    expect(md).toContain('## v2 transport (BIP324): wirerelay, push mode, every generator connection on v2');
    expect(md).toContain('- max sustained deliveries/s: v2 19,600 vs v1 28,000 in the same run = 0.70× (70.0 %) (goal ≥ 70 %)');
    expect(md).toContain('| loss 25.00 % |');
    // Without --v2 there is no such verdict or section.
    expect(v2Comparison(sample)).toBeNull();
    expect(verdicts(sample).some((x) => x.name.includes('v2'))).toBe(false);
    expect(renderReport(sample)).not.toContain('## v2 transport');
  });

  it('ratio and spread helpers say null rather than invent a number', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(undefined, 3)).toBeNull();
    expect(spreadRatio([5])).toBeNull();
    expect(spreadRatio([10, 15, 12])).toBeCloseTo(1.5);
  });
});

describe('load report', () => {
  const md = renderReport(sample);

  it('has a verdict section, both modes, both sweeps and both charts', () => {
    expect(md).toContain('## Verdict');
    expect(md).toContain('- verdict push wirerelay: knee between');
    expect(md).toContain('## Push mode');
    expect(md).toContain('## Inv mode');
    expect(md).toContain('- wirerelay / raw forwarder: 0.50× (50.0 %)');
    expect(md).toContain('## Fan-in sweep');
    expect(md).toContain('## Fan-out sweep');
    expect(md).toContain('![delivered rate against p99 latency](load-chart.svg)');
    expect(md).toContain('![CPU per delivery against offered load](load-cpu-chart.svg)');
    expect(renderReport(sample)).toBe(md);
  });

  it('lists undelivered messages with their causes, and what has none as unexplained', () => {
    // wirerelay inv at 20,000: 1,000 undelivered, no drop counted.
    expect(md).toContain('| 1,000: **unexplained 1,000** |');
    expect(md).toContain('**1,000 undelivered messages over these steps have no counted cause.**');
    expect(md).toContain(
      "Drops at the knee: 1000 of 20000 undelivered: unexplained 1000. Transactions from the window's start to the end of the drain: sources sent 5,000, the node read 5,000 and wrote 18,000, the sinks received 18,000.",
    );
    expect(md).toContain('| loss 5.00 %; node warned: peer misbehaving (GETDATA) ×12 |');
  });

  it('tabulates node and generator cost per step', () => {
    expect(md).toContain('| bisect | 28,284 | 28,000 | 1.00 | 3.00 | 0 | 40 % | 14.3 | 0.50 | 40 (25) | 10.0 | 1.2 / 3.0 | 2.5 / 6.0 | 0 (0) | 3.5 | 12.0 | 7.1 | 0.20 / 0.10 | 0.50 | 0.20 |  |');
    expect(md).toContain('| 1,000 | 1,000 → 4 | 1,004 | 5,000 | 5,000 | 26.0 | 1 % | 0.30 | 120.0 MiB | 80.0 MiB | 41.0 KiB | 1.00 | 40.0 | 10.0 | 0 |');
  });
});

describe('load charts', () => {
  it('draws one line per target and mode, the knee hollow, sweeps left out', () => {
    const svg = renderChart(sample);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)?.length).toBe(4); // wirerelay push, wirerelay inv, naive push, raw push
    expect(svg.match(/<circle /g)?.length).toBe(sample.steps.length);
    expect(svg).toContain('fill="#fff" stroke="#d1495b"><title>wirerelay push offered 40000/s');
  });

  it('plots CPU per delivery against offered load for all three targets', () => {
    const svg = renderCpuChart(sample);
    expect(svg).toContain('Target CPU per delivery against offered load');
    expect(svg.match(/<polyline /g)?.length).toBe(4);
    for (const t of ['wirerelay push', 'naive-relay push', 'raw-forwarder push']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).toContain('raw-forwarder push offered 56000/s: 56000 deliveries/s, 2.14 µs/delivery');
  });
});
