/**
 * Soak and fault run (`npm run soak [-- --minutes N]`, default 10; not in CI): a wirerelay node under
 * steady relay load while peers join and leave, misbehave (bad checksums, bad magic, getdata
 * floods) and read slowly (stop reading), and the node is killed with SIGKILL once half-way and
 * restarted on the same data directory.
 *
 * At the end it checks: no unbounded growth (RSS, flows, relay cache, pool queue, active timers and
 * handles: the last third of the run against the middle third), every misbehaving address banned,
 * and every ban recorded before the kill still present after the restart (durable). Writes
 * bench/results/soak.json and soak.md; exits 1 if a check fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenProc, ROOT, freePort, loopbackIps, sleep, startWirerelay } from '../load/procs.js';
import { httpGet, metric, parsePrometheus, procSample } from '../load/proc-stats.js';
import { KINDS, misbehave } from './misbehave.js';
import type { Misbehaviour } from './misbehave.js';


interface Sample {
  readonly tSec: number;
  readonly rssBytes: number;
  readonly flows: number;
  readonly relayCache: number;
  readonly poolQueue: number;
  readonly handles: number;
  readonly resources: number;
  readonly peers: number;
}

const argv = process.argv.slice(2);
const argNum = (f: string, d: number): number => {
  const i = argv.indexOf(f);
  return i < 0 ? d : Number(argv[i + 1]);
};
const durationMs = argv.includes('--seconds') ? argNum('--seconds', 600) * 1000 : argNum('--minutes', 10) * 60_000;
const CYCLE_MS = Math.max(2000, Math.min(10_000, durationMs / 30));

async function sample(t0: number, pid: number, http: number): Promise<Sample | null> {
  try {
    const [m, st] = await Promise.all([
      httpGet(`http://127.0.0.1:${http}/metrics`).then(parsePrometheus),
      httpGet(`http://127.0.0.1:${http}/status`).then((x) => JSON.parse(x) as { relayCache: { items: number }; pool: { queueDepth: number }; peers: { established: number } }),
    ]);
    return {
      tSec: (Date.now() - t0) / 1000,
      rssBytes: procSample(pid)?.rssBytes ?? 0,
      flows: metric(m, 'wirerelay_flows'),
      relayCache: st.relayCache.items,
      poolQueue: st.pool.queueDepth,
      handles: metric(m, 'nodejs_active_handles_total'),
      resources: metric(m, 'nodejs_active_resources_total'),
      peers: st.peers.established,
    };
  } catch {
    return null;
  }
}

async function bans(http: number): Promise<Set<string>> {
  const list = JSON.parse(await httpGet(`http://127.0.0.1:${http}/bans`)) as Array<{ target: string }>;
  return new Set(list.map((b) => b.target.replace(/\/32$/, '')));
}

async function backgroundLoad(port: number): Promise<{ sources: GenProc; sinks: GenProc; slow: GenProc }> {
  const common = { host: '127.0.0.1', port, handshake: true, txBytes: 250, invFraction: 0.5 };
  const sinks = new GenProc({ ...common, role: 'sink', conns: 4, localIps: loopbackIps(2, 4), sourceId: 0 });
  const slow = new GenProc({ ...common, role: 'sink', conns: 2, localIps: loopbackIps(6, 2), sourceId: 0 });
  const sources = new GenProc({ ...common, role: 'source', conns: 2, localIps: loopbackIps(1, 2), sourceId: 900 + Math.floor(Math.random() * 99) });
  await Promise.all([sinks.connect(), slow.connect()]);
  await sources.connect();
  sources.send({ cmd: 'rate', rate: 300 });
  // Slow readers: connected, announced to, and never reading again.
  slow.send({ cmd: 'reading', on: false });
  return { sources, sinks, slow };
}

function growth(xs: readonly number[]): { middle: number; last: number; grew: boolean } {
  const n = xs.length;
  const avg = (a: readonly number[]): number => (a.length === 0 ? 0 : a.reduce((x, y) => x + y, 0) / a.length);
  const middle = avg(xs.slice(Math.floor(n / 3), Math.floor((2 * n) / 3)));
  const last = avg(xs.slice(Math.floor((2 * n) / 3)));
  // 20 % over the middle third, with a floor so small counts (3 → 4 timers) are not "growth".
  return { middle, last, grew: last > middle * 1.2 + 8 };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'wirerelay-soak-'));
  const ports = { listen: await freePort(), http: await freePort() };
  const opts = { workers: 1, trickleMs: 0, maxInbound: 2000, dataDir, ports };
  let node = await startWirerelay(opts);
  let load = await backgroundLoad(ports.listen);
  const samples: Sample[] = [];
  const misbehaved = new Map<string, Misbehaviour>();
  let bansBeforeKill = new Set<string>();
  let killedAt: number | null = null;
  let restartMs = 0;
  let joins = 0;
  let ipSeq = 0;
  const churn: GenProc[] = [];
  let cycle = 0;
  console.log(`soak: ${(durationMs / 60_000).toFixed(1)} min, cycle ${CYCLE_MS} ms, data dir ${dataDir}`);
  try {
    while (Date.now() - t0 < durationMs) {
      cycle++;
      // Peers join and leave: a batch of sinks lives for one cycle.
      for (const g of churn.splice(0)) await g.exit();
      const g = new GenProc({ role: 'sink', host: '127.0.0.1', port: ports.listen, conns: 5, localIps: loopbackIps(4, 250).slice((cycle * 5) % 245, ((cycle * 5) % 245) + 5), handshake: true, sourceId: 0, txBytes: 250, invFraction: 0 });
      await g.connect(20_000).catch(() => undefined);
      churn.push(g);
      joins += 5;
      // One misbehaving peer per cycle from an address of its own.
      const kind = KINDS[cycle % KINDS.length]!;
      ipSeq++;
      const ip = `127.0.${10 + (ipSeq >> 8)}.${ipSeq & 255 || 1}`;
      misbehaved.set(ip, kind);
      await misbehave(ports.listen, ip, kind);
      const s = await sample(t0, node.pid, ports.http);
      if (s !== null) samples.push(s);
      process.stdout.write(
        `\r${((Date.now() - t0) / 1000).toFixed(0)} s: RSS ${((s?.rssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB, peers ${s?.peers ?? '?'}, flows ${s?.flows ?? '?'}, cache ${s?.relayCache ?? '?'}, misbehaved ${misbehaved.size}   `,
      );
      if (killedAt === null && Date.now() - t0 >= durationMs / 2) {
        bansBeforeKill = await bans(ports.http);
        killedAt = (Date.now() - t0) / 1000;
        await node.kill9();
        for (const p of [load.sources, load.sinks, load.slow, ...churn.splice(0)]) await p.exit();
        const r0 = Date.now();
        node = await startWirerelay(opts);
        restartMs = Date.now() - r0;
        load = await backgroundLoad(ports.listen);
      }
      await sleep(Math.max(0, CYCLE_MS - ((Date.now() - t0) % CYCLE_MS)));
    }
    process.stdout.write('\n');
    // Let the last ban land before reading the list.
    await sleep(1000);
    const finalBans = await bans(ports.http);
    const notBanned = [...misbehaved.keys()].filter((ip) => !finalBans.has(ip));
    const lost = [...bansBeforeKill].filter((b) => !finalBans.has(b));
    const metrics = ['rssBytes', 'flows', 'relayCache', 'poolQueue', 'handles', 'resources'] as const;
    const rows = metrics.map((k) => ({ what: k, ...growth(samples.map((s) => s[k])), max: Math.max(...samples.map((s) => s[k])) }));
    const checks = [
      ...rows.map((r) => ({ check: `no unbounded growth: ${r.what}`, ok: !r.grew, detail: `middle third ${r.middle.toFixed(0)}, last third ${r.last.toFixed(0)}, max ${r.max.toFixed(0)}` })),
      { check: 'every misbehaving peer banned', ok: notBanned.length === 0, detail: `${misbehaved.size - notBanned.length}/${misbehaved.size} banned${notBanned.length > 0 ? `; missing ${notBanned.slice(0, 5).join(', ')}` : ''}` },
      { check: 'bans survive kill -9 (durable)', ok: killedAt !== null && lost.length === 0, detail: killedAt === null ? 'run too short to restart' : `${bansBeforeKill.size} before the kill at ${killedAt.toFixed(0)} s, ${lost.length} lost; restart took ${restartMs} ms` },
    ];
    const byKind = KINDS.map((k) => `${k} ${[...misbehaved].filter(([ip, m]) => m === k && finalBans.has(ip)).length}/${[...misbehaved.values()].filter((m) => m === k).length}`).join(', ');
    const md = [
      `# wirerelay soak (${(durationMs / 60_000).toFixed(1)} min)`,
      '',
      `${new Date().toISOString()} · ${samples.length} samples · ${joins} peer joins/leaves · misbehaving peers by kind (banned/total): ${byKind} · 2 slow readers that never read (not an offence: they cost send-queue drops, not a ban).`,
      '',
      '| check | result | detail |',
      '|---|---|---|',
      ...checks.map((c) => `| ${c.check} | ${c.ok ? 'ok' : '**FAIL**'} | ${c.detail} |`),
      '',
    ].join('\n');
    const outDir = join(ROOT, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'soak.md'), md + '\n');
    writeFileSync(join(outDir, 'soak.json'), JSON.stringify({ durationMs, killedAt, restartMs, checks, samples }, null, 2) + '\n');
    console.log(md);
    if (checks.some((c) => !c.ok)) process.exitCode = 1;
  } finally {
    for (const p of [load.sources, load.sinks, load.slow, ...churn]) await p.exit();
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
