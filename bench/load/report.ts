/**
 * Renders a LoadResult as the Markdown report (bench/results/load-report.md). Pure: the same
 * result gives the same text, which is what the unit test pins.
 */
import { describeAccounting } from './accounting.js';
import type { Accounting } from './accounting.js';
import type { LoadResult, Mode, StepResult, SweepRow } from './results.js';
import { MODES, TARGETS, V2_GOAL, equalLoad, limitLines, ratio, v2Comparison, verdicts } from './results.js';

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

const fmtPct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${fmtNum(x * 100)} %`);

/** "0" when all arrived; otherwise the count and, by cause, what explains it. */
function drops(a: Accounting): string {
  if (a.undelivered === 0 && a.overExplained === 0) return '0';
  const parts = Object.entries(a.explained).map(([k, v]) => `${k} ${fmtNum(v)}`);
  if (a.unexplained > 0) parts.push(`**unexplained ${fmtNum(a.unexplained)}**`);
  if (a.overExplained > 0) parts.push(`+${fmtNum(a.overExplained)} counted`);
  return `${fmtNum(a.undelivered)}${a.drainTimedOut ? ' (still arriving)' : ''}: ${parts.join(', ')}`;
}

/** What the node logged as warnings during the step ("" if nothing). */
function warned(s: StepResult): string {
  const w = Object.entries(s.nodeWarnings ?? {});
  return w.length === 0 ? '' : `node warned: ${w.map(([k, v]) => `${k} ×${fmtNum(v)}`).join(', ')}`;
}

const STEP_HEADER =
  '| phase | offered/s | delivered/s | p50 ms | p99 ms | undelivered | node CPU | node µs/msg | node ELU | node CPU wait ms/s (µs each) | GC ms/s | GC p99 / max ms | turn p99 / max ms | pool batches (frames) | frames/read | frames/write | generators µs/msg | src / sink ELU | src late p99 ms | other CPU | knee |\n' +
  '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';

/** "p99 / max" of a distribution, or n/a. */
function pair(d: { readonly p99: number; readonly max: number } | null): string {
  return d === null ? 'n/a' : `${fmtNum(d.p99, 1)} / ${fmtNum(d.max, 1)}`;
}

function stepRow(s: StepResult): string {
  const g = s.generators;
  const pool = s.poolBatches === null ? 'n/a' : `${fmtNum(s.poolBatches)} (${fmtNum(s.poolFrames)})`;
  return (
    `| ${s.phase} | ${fmtNum(s.offeredMsgsPerSec)} | ${fmtNum(s.msgsPerSec)} | ${fmtMs(s.latencyMs.p50)} | ${fmtMs(s.latencyMs.p99)} | ${drops(s.drops)} | ` +
    `${fmtPct(s.cpu)} | ${fmtNum(s.nodeUsPerMsg, 1)} | ${fmtNum(s.nodeElu, 2)} | ${s.runQueueWait === null ? 'n/a' : `${fmtNum(s.runQueueWait.msPerSec, 0)} (${fmtNum(s.runQueueWait.usPerSlice, 0)})`} | ${fmtNum(s.gcMsPerSec, 1)} | ${pair(s.gcPauseMs)} | ${pair(s.turnMs)} | ${pool} | ${fmtNum(s.framesPerRead, 1)} | ${fmtNum(s.framesPerWrite, 1)} | ` +
    `${fmtNum(g.usPerMsg, 1)} | ${fmtNum(g.sourceElu, 2)} / ${fmtNum(g.sinkElu, 2)} | ${fmtMs(g.lateP99Ms)} | ${fmtNum(s.otherCpu, 2)} | ${[s.blownUp ?? '', warned(s)].filter((x) => x !== '').join('; ')} |`
  );
}

function modeSection(r: LoadResult, mode: Mode, out: string[]): void {
  const max = r.maxByMode[mode];
  if (max === undefined) return;
  out.push(`## ${mode === 'push' ? 'Push mode: every transaction sent as tx' : 'Inv mode: every transaction announced, sent on getdata'}`, '');
  out.push('| target | max sustained deliveries/s | p50 ms | p99 ms | node CPU | node µs/msg | node ELU | generators µs/msg |', '|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of TARGETS) {
    const m = max[t];
    if (m === undefined) continue;
    out.push(`| ${t} | ${fmtNum(m.msgsPerSec)} | ${fmtMs(m.latencyMs.p50)} | ${fmtMs(m.latencyMs.p99)} | ${fmtPct(m.cpu)} | ${fmtNum(m.nodeUsPerMsg, 1)} | ${fmtNum(m.nodeElu, 2)} | ${fmtNum(m.generators.usPerMsg, 1)} |`);
  }
  out.push('');
  const raw = r.maxByMode.push?.['raw-forwarder']?.msgsPerSec;
  out.push(`- wirerelay / raw forwarder${mode === 'inv' ? ' (push)' : ''}: ${fmtRatio(ratio(max.wirerelay?.msgsPerSec, raw))}`);
  out.push(`- wirerelay / naive relay: ${fmtRatio(ratio(max.wirerelay?.msgsPerSec, max['naive-relay']?.msgsPerSec))}`);
  const e = equalLoad(r.steps, mode);
  out.push(
    e === null
      ? '- equal load: no offered load that both wirerelay and the naive relay held'
      : `- equal load (${fmtNum(e.offered)} deliveries/s offered, both held): node CPU per delivery ${fmtNum(e.wirerelay.nodeUsPerMsg, 1)} µs vs naive ${fmtNum(e.naive.nodeUsPerMsg, 1)} µs = ${e.ratio.toFixed(2)}×`,
  );
  const h = r.halfByMode[mode];
  if (h !== undefined) {
    out.push(`- at half of wirerelay's maximum (${fmtNum(h.offeredMsgsPerSec)} offered): ${fmtNum(h.msgsPerSec)} deliveries/s, p50 ${fmtMs(h.latencyMs.p50)} ms, p90 ${fmtMs(h.latencyMs.p90)} ms, p99 ${fmtMs(h.latencyMs.p99)} ms, max ${fmtMs(h.latencyMs.max)} ms`);
  }
  out.push('');
  for (const run of r.runs.filter((x) => x.mode === mode).sort((a, b) => TARGETS.indexOf(a.target) - TARGETS.indexOf(b.target))) {
    const steps = r.steps.filter((s) => s.target === run.target && s.mode === mode && s.phase !== 'sweep');
    out.push(`### ${run.target}, ${mode}`, '', STEP_HEADER, ...steps.map(stepRow), '');
    const unexplained = steps.reduce((a, s) => a + s.drops.unexplained, 0);
    const at = steps.find((s) => s.offeredMsgsPerSec === run.knee.failed);
    if (at !== undefined && at.drops.undelivered > 0) {
      const w = at.path;
      out.push(
        `Drops at the knee: ${describeAccounting(at.drops)}. Transactions from the window's start to the end of the drain: ` +
          `sources sent ${fmtNum(w.sourceSentTx)}, the node read ${fmtNum(w.nodeTxIn)} and wrote ${fmtNum(w.nodeTxOut)}, the sinks received ${fmtNum(w.sinkReceivedTx)}.`,
        '',
      );
    }
    if (unexplained > 0) out.push(`**${fmtNum(unexplained)} undelivered messages over these steps have no counted cause.**`, '');
  }
}

/** `--v2`: wirerelay's search with the generators on BIP324 v2, against the same run's v1 search. */
function v2Section(r: LoadResult, out: string[]): void {
  const v = v2Comparison(r);
  if (v === null || r.v2 === undefined || r.v2 === null) return;
  out.push(`## v2 transport (BIP324): wirerelay, ${v.mode} mode, every generator connection on v2`, '');
  out.push(
    `- max sustained deliveries/s: v2 ${fmtNum(v.v2)} vs v1 ${fmtNum(v.v1)} in the same run = ${fmtRatio(v.ratio)} (goal ≥ ${V2_GOAL * 100} %)`,
    '',
    STEP_HEADER,
    ...r.v2.steps.map(stepRow),
    '',
  );
}

function sweepTable(title: string, rows: readonly SweepRow[], out: string[]): void {
  if (rows.length === 0) return;
  out.push(title, '');
  out.push(
    '| peers | sources → sinks | established | offered/s | delivered/s | node µs/delivery | idle CPU | node ELU | RSS | RSS before peers | per peer | p50 ms | p99 ms | generators µs/delivery | undelivered |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const x of rows) {
    out.push(
      `| ${fmtNum(x.peers)} | ${fmtNum(x.sources)} → ${fmtNum(x.sinks)} | ${fmtNum(x.established)} | ${fmtNum(x.offeredMsgsPerSec)} | ${fmtNum(x.msgsPerSec)} | ${fmtNum(x.nodeUsPerMsg, 1)} | ${fmtPct(x.idleCpu)} | ${fmtNum(x.nodeElu, 2)} | ` +
        `${fmtBytes(x.rssBytes)} | ${fmtBytes(x.rssIdleBytes)} | ${fmtBytes(x.bytesPerPeer)} | ${fmtMs(x.latencyMs.p50)} | ${fmtMs(x.latencyMs.p99)} | ${fmtNum(x.generators.usPerMsg, 1)} | ${drops(x.drops)} |`,
    );
  }
  out.push('');
}

export function renderReport(r: LoadResult): string {
  const out: string[] = [];
  out.push(`# wirerelay load report${r.quick ? ' (quick run)' : ''}`, '');
  out.push(`${r.date} · node ${r.machine.node} · ${r.machine.cpu} ×${r.machine.cores}`, '');
  const s = r.setup;
  out.push(
    `Setup: ${s.sourceConns} source and ${s.sinkConns} sink connections over loopback TCP, ${s.txBytes}-byte transactions, modes ${s.modes.join(' and ')}; ` +
      `wirerelay with every check on (checksums, ban scores, flow table, persistence to a data dir), --workers ${s.workers}, --trickle-ms ${s.trickleMs}; ` +
      `${fmtNum(s.warmMs / 1000, 1)} s warm-up and ${fmtNum(s.stepMs / 1000, 1)} s measured per step. A delivery is a transaction arriving at a sink; ` +
      'every sink connection should receive every transaction. CPU is in cores (100 % = one core).',
    '',
  );
  out.push('## Verdict', '', ...limitLines(r).map((l) => `- ${l}`), '');
  out.push('| target | goal | measured | met |', '|---|---|---|---|');
  for (const v of verdicts(r)) out.push(`| ${v.name} | ${v.target} | ${v.measured} | ${v.met === null ? 'n/a' : v.met ? 'yes' : '**no**'} |`);
  out.push('');
  out.push('![delivered rate against p99 latency](load-chart.svg)', '', '![CPU per delivery against offered load](load-cpu-chart.svg)', '');
  for (const mode of MODES) modeSection(r, mode, out);
  v2Section(r, out);
  sweepTable('## Fan-in sweep (fresh node per row; many sources announcing, few sinks)', r.fanIn, out);
  sweepTable('## Fan-out sweep (fresh node per row; one source, many sinks)', r.fanOut, out);
  const profiles = Object.entries(r.profiles);
  if (profiles.length > 0) {
    out.push('## CPU profiles', '', ...profiles.map(([mode, f]) => `- ${mode}: \`${f}\``), '', 'Summaries: profile-summary.md next to them; open in Chrome DevTools, see docs/benchmarks.md.', '');
  }
  if (r.notes.length > 0) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
