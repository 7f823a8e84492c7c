/**
 * `npm run bench:feeds [-- --rounds N] [--at DELIVERIES_PER_SEC] [--step-ms N] [--warm-ms N] [--source-conns N] [--sink-conns N] [--workers N]`
 *
 * What subscribers cost the relay (issue 22), measured with the load harness's generators and
 * steps (run.ts). First wirerelay's push-mode knee is searched with no subscriber attached; then, at
 * the highest offered load that held there, steps alternate between three nodes started alike:
 *
 * - `none`:  no feed configured, no subscriber (the baseline, measured in this run);
 * - `feeds`: `--zmqpubrawtx` with one ZMQ subscriber reading every message (zeromq in this process)
 *            and one `relay.transactions()` async-iterator subscriber inside the node (feed-preload.ts);
 * - `slow`:  the same two subscribers, both far slower than the relay (the iterator waits 5 ms per
 *            item; the ZMQ one reads one message per 10 ms with a receive high-water mark of 100).
 *
 * `--at N` skips the search and measures at N offered deliveries/s (e.g. a knee measured before, when
 * other work on the machine makes the search itself unreliable).
 *
 * Prints deliveries to the sink peers per second for each and the ratios against `none` (goal: feeds
 * ≥ 0.90; slow ≈ 1, with the slow subscribers' losses counted), and writes bench/results/feeds.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Subscriber } from 'zeromq';
import type { ChildProcess } from 'node:child_process';
import { FEED_ENV, type FeedReport } from './feed-preload.js';
import { freePort, ROOT, sleep, startWirerelay } from './procs.js';
import { fmtStep, parseRunArgs, progress, rig, searchKnee, step, unrig, type Rig } from './run.js';
import type { StepResult } from './results.js';
import type { MetricSample } from './proc-stats.js';

type Config = 'none' | 'feeds' | 'slow';

interface ZmqCount {
  received: number;
  /** Messages missing from the per-topic sequence numbers (what the subscriber lost). */
  gaps: number;
  stop(): void;
}

const argv = process.argv.slice(2);
const num = (flag: string, d: number): number => {
  const i = argv.indexOf(flag);
  return i < 0 ? d : Number(argv[i + 1]);
};
const rounds = num('--rounds', 3);
const at = num('--at', 0);
const own = new Set(['--rounds', '--at']);
const o = { ...parseRunArgs(['--quick', '--modes', 'push', ...argv.filter((a, i) => !own.has(a) && !own.has(argv[i - 1] ?? ''))]), stepMs: num('--step-ms', 5000), warmMs: num('--warm-ms', 1000) };

function subscribe(endpoint: string, slow: boolean): ZmqCount {
  const sub = new Subscriber({ receiveHighWaterMark: slow ? 100 : 0 });
  sub.connect(endpoint);
  sub.subscribe('rawtx');
  const c: ZmqCount = { received: 0, gaps: 0, stop: () => sub.close() };
  let last = -1;
  void (async () => {
    try {
      for await (const parts of sub) {
        const seq = parts[2]!.readUInt32LE(0);
        if (last >= 0 && seq !== last + 1) c.gaps += seq - last - 1;
        last = seq;
        c.received++;
        if (slow) await sleep(10);
      }
    } catch {
      // closed
    }
  })();
  return c;
}

function askFeeds(child: ChildProcess): Promise<FeedReport | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('message', on);
      resolve(null);
    }, 5000);
    const on = (m: { evt?: string }): void => {
      if (m?.evt !== 'feeds') return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m as FeedReport);
    };
    child.on('message', on);
    child.send({ cmd: 'feeds' });
  });
}

function metric(samples: MetricSample[] | null, name: string, labels: Record<string, string>): number {
  const s = samples?.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

interface Measured {
  readonly config: Config;
  readonly round: number;
  readonly step: StepResult;
  readonly iterator: FeedReport | null;
  readonly zmq: { readonly received: number; readonly gaps: number } | null;
  readonly droppedStream: number;
  readonly droppedZmqQueue: number;
}

async function measure(config: Config, round: number, offered: number, p: ReturnType<typeof progress>, log: (s: string) => void): Promise<Measured> {
  let endpoint = '';
  let target: Awaited<ReturnType<typeof startWirerelay>> | undefined;
  // Free ports are found by binding and closing; another process may take one in between: retry.
  for (let attempt = 1; target === undefined; attempt++) {
    endpoint = `tcp://127.0.0.1:${await freePort()}`;
    try {
      target = await startWirerelay({
        workers: o.workers,
        trickleMs: o.trickleMs,
        maxInbound: 2000,
        extraArgs: config === 'none' ? [] : ['--zmqpubrawtx', endpoint],
        preload: config === 'none' ? [] : [new URL('./feed-preload.js', import.meta.url).href],
        env: config === 'none' ? {} : { [FEED_ENV]: config === 'slow' ? 'slow' : 'fast' },
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const zmq = config === 'none' ? null : subscribe(endpoint, config === 'slow');
  let h: { r: Rig } | undefined;
  try {
    h = { r: await rig(target, o, o.sinkConns, o.sourceConns) };
    const s = await step(h, offered, 'push', 'equal', o, p.tick);
    p.done();
    const m = await target.metrics().catch(() => null);
    const it = config === 'none' ? null : await askFeeds(target.child);
    const res: Measured = {
      config,
      round,
      step: s,
      iterator: it,
      zmq: zmq === null ? null : { received: zmq.received, gaps: zmq.gaps },
      droppedStream: metric(m, 'wirerelay_feed_dropped_total', { feed: 'stream_tx' }),
      droppedZmqQueue: metric(m, 'wirerelay_feed_dropped_total', { feed: 'zmq_rawtx' }),
    };
    log(`${config.padEnd(5)} round ${round}: ${fmtStep(s)}` + (it === null ? '' : ` | iterator got ${it.received}, dropped ${it.dropped}; zmq got ${zmq!.received}, lost ${zmq!.gaps}`));
    return res;
  } finally {
    zmq?.stop();
    if (h !== undefined) await unrig(h.r);
    await target.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const lines: string[] = [];
const log = (s: string): void => {
  lines.push(s);
};
const p = progress(8 + 3 * rounds);
const started = new Date();
let result: Record<string, unknown>;
try {
  // 1. The push-mode knee with nothing attached (or the load given with --at).
  let knee: number | null = at > 0 ? at : null;
  if (knee === null) {
    const target = await startWirerelay({ workers: o.workers, trickleMs: o.trickleMs, maxInbound: 2000 });
    let h: { r: Rig } | undefined;
    try {
      h = { r: await rig(target, o, o.sinkConns, o.sourceConns) };
      const run = await searchKnee(h, 'push', o, false, null, p, log, []);
      knee = run.knee.held;
    } finally {
      if (h !== undefined) await unrig(h.r);
      await target.stop();
    }
  }
  if (knee === null) throw new Error('no offered load held in the knee search');
  // 2. At the knee: none / feeds / slow, alternating, `rounds` times.
  const all: Measured[] = [];
  for (let r = 0; r < rounds; r++) for (const c of ['none', 'feeds', 'slow'] as const) all.push(await measure(c, r, knee, p, log));
  const rate = (c: Config): number => median(all.filter((m) => m.config === c).map((m) => m.step.msgsPerSec));
  const cpuPer = (c: Config): number => median(all.filter((m) => m.config === c && m.step.nodeUsPerMsg > 0).map((m) => m.step.nodeUsPerMsg));
  const share = (c: Config): number => median(all.filter((m) => m.config === c).map((m) => (m.step.drops.expected > 0 ? m.step.drops.delivered / m.step.drops.expected : NaN)));
  const none = rate('none');
  result = {
    when: started.toISOString(),
    machine: { cores: cpus().length, loadavgAtStart: loadavg() },
    options: { rounds, stepMs: o.stepMs, warmMs: o.warmMs, sourceConns: o.sourceConns, sinkConns: o.sinkConns, txBytes: o.txBytes, workers: o.workers },
    kneeOfferedMsgsPerSec: knee,
    kneeFrom: at > 0 ? '--at' : 'search',
    deliveriesPerSec: { none, feeds: rate('feeds'), slow: rate('slow') },
    ratios: { feedsVsNone: rate('feeds') / none, slowVsNone: rate('slow') / none },
    // The node's CPU (all threads) per delivery: less sensitive than the rate to other work on the machine.
    nodeUsPerDelivery: { none: cpuPer('none'), feeds: cpuPer('feeds'), slow: cpuPer('slow') },
    cpuRatios: { feedsVsNone: cpuPer('feeds') / cpuPer('none'), slowVsNone: cpuPer('slow') / cpuPer('none') },
    deliveredShare: { none: share('none'), feeds: share('feeds'), slow: share('slow') },
    goal: { feedsVsNoneAtLeast: 0.9 },
    steps: all.map((m) => ({
      config: m.config,
      round: m.round,
      offeredMsgsPerSec: m.step.offeredMsgsPerSec,
      msgsPerSec: m.step.msgsPerSec,
      p99Ms: m.step.latencyMs.p99,
      nodeCpu: m.step.cpu,
      nodeUsPerMsg: m.step.nodeUsPerMsg,
      delivered: m.step.drops.delivered,
      expected: m.step.drops.expected,
      causes: m.step.causes,
      iterator: m.iterator,
      zmq: m.zmq,
      droppedStream: m.droppedStream,
      droppedZmqQueue: m.droppedZmqQueue,
    })),
  };
} finally {
  p.stop();
}
console.log(lines.join('\n'));
const r = result as {
  deliveriesPerSec: Record<Config, number>;
  ratios: { feedsVsNone: number; slowVsNone: number };
  cpuRatios: { feedsVsNone: number; slowVsNone: number };
  nodeUsPerDelivery: Record<Config, number>;
  deliveredShare: Record<Config, number>;
  kneeOfferedMsgsPerSec: number;
};
console.log(`\nat the push knee (${Math.round(r.kneeOfferedMsgsPerSec)} deliveries/s offered), median deliveries/s: none ${Math.round(r.deliveriesPerSec.none)}, feeds ${Math.round(r.deliveriesPerSec.feeds)}, slow ${Math.round(r.deliveriesPerSec.slow)}`);
console.log(`${r.ratios.feedsVsNone >= 0.9 ? '  met' : ' MISS'}  feeds/none ${r.ratios.feedsVsNone.toFixed(3)} (goal ≥ 0.90)`);
console.log(`       slow/none  ${r.ratios.slowVsNone.toFixed(3)} (the slow subscribers' losses are in steps[].iterator.dropped and zmq.gaps)`);
console.log(`node CPU per delivery: none ${r.nodeUsPerDelivery.none.toFixed(1)} µs, feeds ${r.nodeUsPerDelivery.feeds.toFixed(1)} µs (×${r.cpuRatios.feedsVsNone.toFixed(3)}), slow ${r.nodeUsPerDelivery.slow.toFixed(1)} µs (×${r.cpuRatios.slowVsNone.toFixed(3)})`);
console.log(`delivered of expected (after the drain): none ${(100 * r.deliveredShare.none).toFixed(1)} %, feeds ${(100 * r.deliveredShare.feeds).toFixed(1)} %, slow ${(100 * r.deliveredShare.slow).toFixed(1)} %`);
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'feeds.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${join(dir, 'feeds.json')}`);
