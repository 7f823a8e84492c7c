/**
 * `npm run bench:state`: the state log's durability costs.
 *  - commits/s with group commit (many in flight share an fsync) vs one fsync per change
 *  - time to open (verify + replay) and to compact a 1M-change log, and the main thread's event-loop
 *    lag while compaction runs with commits going on
 *  - restore throughput from the backup server
 * Prints ratios against the fsync-per-change baseline measured in the same run; writes JSON to
 * bench/results/. Pass --changes N to change the 1M.
 */
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { StateStore } from '../src/persist/state-store.js';
import { LogFile, LogRecord } from '../src/persist/state-log.js';
import { encodeChange, StateChange } from '../src/persist/state-model.js';
import { BackupServer } from '../src/persist/backup/backup-server.js';
import { restoreDataDir } from '../src/persist/restore.js';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '1000000' }, restore: { type: 'string', default: '200000' } } });
const BIG = Number(values.changes);
const RESTORE_N = Number(values.restore);
const quiet = (): void => undefined;
const root = mkdtempSync(join(tmpdir(), 'wirerelay-bench-state-'));
const change = (i: number): StateChange =>
  i % 4 === 0
    ? { type: 'ban', key: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, until: 1.8e12, reason: 'bench', createdAt: 1.7e12 }
    : { type: 'flaps', entries: [{ peer: `192.0.2.${i & 255}:8333`, count: i & 1023, lastFlap: 1.7e12 + i }] };

async function commitsPerSecond(inFlight: number, total: number): Promise<number> {
  const dir = mkdtempSync(join(root, 'commit-'));
  const store = await StateStore.open(dir, { log: quiet });
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await store.commit(change(next++));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = (performance.now() - t0) / 1000;
  await store.close();
  return total / s;
}

/** Writes n changes straight through the log writer, 10k per fsync: setup, not measured. */
async function buildLog(dir: string, n: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'state.log');
  await LogFile.create(path);
  const { log } = await LogFile.open(path, { log: quiet });
  for (let v = 1; v <= n; ) {
    const batch: LogRecord[] = [];
    for (let k = 0; k < 10_000 && v <= n; k++, v++) batch.push({ version: v, kind: 'change', payload: encodeChange(change(v)) });
    await log.append(batch);
  }
  await log.close();
  return path;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model };
  console.log(`state bench in ${root}`);

  const perChange = await commitsPerSecond(1, 1_000);
  const group8 = await commitsPerSecond(8, 10_000);
  const group64 = await commitsPerSecond(64, 40_000);
  const group512 = await commitsPerSecond(512, 100_000);
  results.commits = { fsyncPerChange: perChange, group8, group64, group512, ratio64: group64 / perChange, ratio512: group512 / perChange };
  console.log(`commits/s: fsync per change ${perChange.toFixed(0)}, group commit 8 in flight ${group8.toFixed(0)}, 64 ${group64.toFixed(0)} (x${(group64 / perChange).toFixed(1)}), 512 ${group512.toFixed(0)} (x${(group512 / perChange).toFixed(1)})`);

  const bigDir = join(root, 'big');
  const t0 = performance.now();
  await buildLog(bigDir, BIG);
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  const store = await StateStore.open(bigDir, { log: quiet });
  const openMs = performance.now() - t1;
  // Lag: a 1 ms interval timer; the worst gap between ticks minus 1 ms is the longest stall.
  const h = monitorEventLoopDelay({ resolution: 1 });
  let worst = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  h.enable();
  let during = 0;
  let stop = false;
  const committer = (async () => {
    while (!stop) {
      await Promise.all(Array.from({ length: 16 }, (_, k) => store.commit(change(during + k))));
      during += 16;
    }
  })();
  const t2 = performance.now();
  const res = await store.compact();
  const compactMs = performance.now() - t2;
  stop = true;
  await committer;
  h.disable();
  clearInterval(tick);
  await store.close();
  results.compaction = {
    changes: BIG,
    logBytes: res.before.bytes,
    buildMs,
    openMs,
    compactMs,
    afterBytes: res.after.bytes,
    committedDuring: during,
    carried: res.carried,
    eventLoopLagMaxMs: h.max / 1e6,
    eventLoopLagP99Ms: h.percentile(99) / 1e6,
    intervalWorstGapMs: worst,
  };
  console.log(`${BIG} changes (${(res.before.bytes / 1e6).toFixed(1)} MB): open ${openMs.toFixed(0)} ms, compaction ${compactMs.toFixed(0)} ms -> ${res.after.bytes} bytes; ${during} commits during it; event-loop lag max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);

  // Restore: an uncompacted backup of RESTORE_N changes served over loopback.
  const srvDir = join(root, 'srv');
  await buildLog(srvDir, RESTORE_N);
  const server = await BackupServer.start({ host: '127.0.0.1', port: 0, dir: srvDir, log: quiet });
  const t3 = performance.now();
  const r = await restoreDataDir(`socket://127.0.0.1:${server.address().port}`, join(root, 'restored'), { log: quiet });
  const restoreMs = performance.now() - t3;
  await server.close();
  results.restore = { entries: r.entries, ms: restoreMs, entriesPerSec: r.entries / (restoreMs / 1000) };
  console.log(`restore: ${r.entries} entries in ${restoreMs.toFixed(0)} ms (${(r.entries / (restoreMs / 1000)).toFixed(0)} entries/s)`);

  mkdirSync('bench/results', { recursive: true });
  const out = join('bench/results', `state-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${out}`);
  rmSync(root, { recursive: true, force: true });
}

await main();
