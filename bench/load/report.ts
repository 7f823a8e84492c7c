/**
 * Renders a LoadResult as the Markdown report (bench/results/load-report.md). Pure: the same
 * result gives the same text, which is what the unit test pins.
 */
import type { LoadResult, StepResult } from './results.js';
import { ratio, verdicts } from './results.js';

export function fmtNum(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMs(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

export function fmtBytes(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 2 ** 20) return `${(x / 2 ** 20).toFixed(1)} MiB`;
  if (Math.abs(x) >= 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${x.toFixed(0)} B`;
}

function fmtRatio(r: number | null): string {
  return r === null ? 'n/a' : `${r.toFixed(2)}× (${(r * 100).toFixed(1)} %)`;
}

function drops(s: StepResult): string {
  const parts = Object.entries(s.drops)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${fmtNum(v)}`);
  return parts.length === 0 ? '0' : parts.join(', ');
}

function stepRow(s: StepResult): string {
  const offered = s.offeredTxPerSec === 'max' ? 'max' : fmtNum(s.offeredTxPerSec);
  const lag = s.eventLoopLagMs === null ? 'n/a' : `${fmtMs(s.eventLoopLagMs.p99)} / ${fmtMs(s.eventLoopLagMs.max)}`;
  return (
    `| ${offered} | ${fmtNum(s.offeredMsgsPerSec)} | ${fmtNum(s.msgsPerSec)} | ${fmtBytes(s.bytesPerSec)}/s | ` +
    `${fmtMs(s.latencyMs.p50)} | ${fmtMs(s.latencyMs.p90)} | ${fmtMs(s.latencyMs.p99)} | ${fmtMs(s.latencyMs.max)} | ${drops(s)} | ` +
    `${fmtNum(s.cpu * 100)} % | ${fmtBytes(s.rssBytes)} | ${lag} | ${s.poolQueueDepth === null ? 'n/a' : fmtNum(s.poolQueueDepth)} | ${s.blownUp ?? ''} |`
  );
}

const STEP_HEADER =
  '| offered tx/s | offered msgs/s | relayed msgs/s | bytes/s | p50 ms | p90 ms | p99 ms | max ms | drops | CPU | RSS | loop lag p99/max ms | pool queue | knee |\n' +
  '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|';

export function renderReport(r: LoadResult): string {
  const out: string[] = [];
  out.push(`# wirerelay load report${r.quick ? ' (quick run)' : ''}`, '');
  out.push(`${r.date} · node ${r.machine.node} · ${r.machine.cpu} ×${r.machine.cores}`, '');
  const s = r.setup;
  out.push(
    `Setup: ${s.sourceConns} source and ${s.sinkConns} sink connections over loopback TCP, ${s.txBytes}-byte transactions, ` +
      `${fmtNum(s.invFraction * 100)} % offered as inv → getdata → tx and the rest pushed; wirerelay with every check on ` +
      `(checksums, ban scores, flow table, persistence to a data dir), --workers ${s.workers}, --trickle-ms ${s.trickleMs}; ` +
      `${fmtNum(s.stepMs / 1000, 1)} s per step. A relayed message is a transaction arriving at a sink; every sink ` +
      `connection should receive every transaction.`,
    '',
  );
  out.push('![throughput against latency](load-chart.svg)', '');

  out.push('## Targets', '', '| target | goal | measured | met |', '|---|---|---|---|');
  for (const v of verdicts(r)) out.push(`| ${v.name} | ${v.target} | ${v.measured} | ${v.met === null ? 'n/a' : v.met ? 'yes' : '**no**'} |`);
  out.push('');

  out.push('## Maximum sustained rate (best ladder step before the knee)', '');
  out.push('| target | relayed msgs/s | bytes/s | p50 ms | p99 ms | max ms | CPU | RSS |', '|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, m] of Object.entries(r.max)) {
    if (m === undefined) continue;
    out.push(
      `| ${name} | ${fmtNum(m.msgsPerSec)} | ${fmtBytes(m.bytesPerSec)}/s | ${fmtMs(m.latencyMs.p50)} | ${fmtMs(m.latencyMs.p99)} | ${fmtMs(m.latencyMs.max)} | ${fmtNum(m.cpu * 100)} % | ${fmtBytes(m.rssBytes)} |`,
    );
  }
  out.push('');
  const wr = r.max.wirerelay?.msgsPerSec;
  out.push(`- wirerelay / raw forwarder: ${fmtRatio(ratio(wr, r.max['raw-forwarder']?.msgsPerSec))}`);
  out.push(`- wirerelay / naive relay: ${fmtRatio(ratio(wr, r.max['naive-relay']?.msgsPerSec))}`, '');

  if (r.halfMax !== null) {
    const h = r.halfMax;
    out.push(
      `## At half of wirerelay's maximum`,
      '',
      `Offered ${fmtNum(h.offeredMsgsPerSec)} msgs/s (max ${fmtNum(wr)}): relayed ${fmtNum(h.msgsPerSec)} msgs/s, ` +
        `p50 ${fmtMs(h.latencyMs.p50)} ms, p90 ${fmtMs(h.latencyMs.p90)} ms, p99 ${fmtMs(h.latencyMs.p99)} ms, max ${fmtMs(h.latencyMs.max)} ms.`,
      '',
    );
  }

  out.push('## Offered-load ladder', '');
  for (const t of ['wirerelay', 'raw-forwarder', 'naive-relay'] as const) {
    const steps = r.steps.filter((x) => x.target === t);
    if (steps.length === 0) continue;
    out.push(`### ${t}`, '', STEP_HEADER, ...steps.map(stepRow), '');
  }
  const knee = r.steps.find((x) => x.target === 'wirerelay' && x.blownUp !== null);
  out.push(knee === undefined ? 'No wirerelay step blew up: the knee is above the highest offered load.' : `wirerelay's knee: offered ${fmtNum(knee.offeredMsgsPerSec)} msgs/s (${knee.blownUp}).`, '');

  if (r.peerSweep.length > 0) {
    out.push('## Peer sweep (fresh node per row)', '');
    out.push('| peers | established | relayed msgs/s | node CPU µs/msg | idle CPU | RSS | RSS before peers | per peer | p50 ms | p99 ms |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of r.peerSweep) {
      out.push(
        `| ${fmtNum(p.peers)} | ${fmtNum(p.established)} | ${fmtNum(p.msgsPerSec)} | ${fmtNum(p.cpuUsPerMsg, 1)} | ${fmtNum(p.idleCpu * 100)} % | ${fmtBytes(p.rssBytes)} | ${fmtBytes(p.rssIdleBytes)} | ${fmtBytes(p.bytesPerPeer)} | ${fmtMs(p.latencyMs.p50)} | ${fmtMs(p.latencyMs.p99)} |`,
      );
    }
    out.push('');
  }
  if (r.flowSweep.length > 0) {
    out.push('## Flow sweep', '', r.flowSweepNote, '');
    out.push('| flows | ns/record, hot 10k | ns/record, uniform | bytes/flow |', '|---:|---:|---:|---:|');
    for (const f of r.flowSweep) out.push(`| ${fmtNum(f.flows)} | ${fmtNum(f.nsPerRecordHot, 1)} | ${fmtNum(f.nsPerRecordUniform, 1)} | ${fmtNum(f.bytesPerFlow, 1)} |`);
    out.push('');
  }
  if (r.profile !== null) out.push('## CPU profile', '', `\`${r.profile}\` (summary: profile-summary.md next to it; open in Chrome DevTools, see docs/benchmarks.md).`, '');
  if (r.notes.length > 0) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
