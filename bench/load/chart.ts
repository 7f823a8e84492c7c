/**
 * The load report's two charts, as hand-written SVG (no charting dependency), one line per target
 * and mode (push solid, inv dashed), hollow points past the knee, y logarithmic:
 * - renderChart: delivered rate against p99 latency (latency past the knee grows by orders of magnitude);
 * - renderCpuChart: the target's CPU per delivery against offered load (its cost, and how it
 *   changes as batching sets in).
 */
import type { LoadResult, Mode, StepResult, TargetName } from './results.js';

const W = 820;
const H = 480;
const M = { left: 70, right: 190, top: 40, bottom: 56 };
const COLORS: Record<TargetName, string> = { wirerelay: '#d1495b', 'raw-forwarder': '#2e86ab', 'naive-relay': '#6a994e' };
const DASH: Record<Mode, string> = { push: '', inv: ' stroke-dasharray="6 4"' };

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

interface Plot {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: (s: StepResult) => number;
  readonly y: (s: StepResult) => number;
  readonly yUnit: string;
}

function render(r: LoadResult, plot: Plot): string {
  const series = new Map<string, { target: TargetName; mode: Mode; steps: StepResult[] }>();
  for (const s of r.steps) {
    if (s.phase === 'sweep' || !(plot.x(s) > 0) || !(plot.y(s) > 0) || !Number.isFinite(plot.y(s))) continue;
    const key = `${s.target} ${s.mode}`;
    const e = series.get(key) ?? { target: s.target, mode: s.mode, steps: [] };
    e.steps.push(s);
    series.set(key, e);
  }
  const all = [...series.values()].flatMap((e) => e.steps);
  const xMax = Math.max(1, ...all.map(plot.x)) * 1.05;
  const ys = all.map(plot.y);
  const yLo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(1, ...ys))));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(10, ...ys)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (v / xMax) * pw;
  const y = (v: number): number => M.top + ph - ((Math.log10(Math.max(v, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(plot.title)}</text>`);
  const step = niceStep(xMax, 6);
  for (let v = 0; v <= xMax; v += step) {
    o.push(`<line x1="${x(v).toFixed(1)}" y1="${M.top}" x2="${x(v).toFixed(1)}" y2="${M.top + ph}" stroke="#eee"/>`);
    o.push(`<text x="${x(v).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${v >= 1000 ? `${v / 1000}k` : v}</text>`);
  }
  for (let e = Math.log10(yLo); e <= Math.log10(yHi) + 1e-9; e++) {
    const v = 10 ** e;
    o.push(`<line x1="${M.left}" y1="${y(v).toFixed(1)}" x2="${M.left + pw}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    o.push(`<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? v : v.toPrecision(1)}</text>`);
  }
  o.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  o.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(plot.xLabel)}</text>`);
  o.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(plot.yLabel)}</text>`);
  let ly = M.top + 10;
  for (const [key, e] of series) {
    const pts = [...e.steps].sort((a, b) => plot.x(a) - plot.x(b));
    const color = COLORS[e.target];
    o.push(`<polyline points="${pts.map((s) => `${x(plot.x(s)).toFixed(1)},${y(plot.y(s)).toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${DASH[e.mode]}/>`);
    for (const s of pts) {
      const title = `${key} offered ${Math.round(s.offeredMsgsPerSec)}/s: ${Math.round(s.msgsPerSec)} deliveries/s, ${plot.y(s).toFixed(2)} ${plot.yUnit}${s.blownUp === null ? '' : ` (${s.blownUp})`}`;
      const fill = s.blownUp === null ? color : '#fff';
      o.push(`<circle cx="${x(plot.x(s)).toFixed(1)}" cy="${y(plot.y(s)).toFixed(1)}" r="3.5" fill="${fill}" stroke="${color}"><title>${esc(title)}</title></circle>`);
    }
    o.push(`<line x1="${M.left + pw + 14}" y1="${ly}" x2="${M.left + pw + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${DASH[e.mode]}/>`);
    o.push(`<text x="${M.left + pw + 46}" y="${ly + 4}">${esc(key)}</text>`);
    ly += 20;
  }
  o.push(`<text x="${M.left + pw + 14}" y="${ly + 8}" fill="#555">solid: push, dashed: inv</text>`);
  o.push(`<text x="${M.left + pw + 14}" y="${ly + 26}" fill="#555">hollow: past the knee</text>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}

export function renderChart(r: LoadResult): string {
  return render(r, {
    title: 'Delivered rate against source→sink p99 latency, per offered load',
    xLabel: 'deliveries per second (transactions arriving at sinks)',
    yLabel: 'p99 latency, ms (log)',
    x: (s) => s.msgsPerSec,
    y: (s) => s.latencyMs.p99,
    yUnit: 'ms p99',
  });
}

export function renderCpuChart(r: LoadResult): string {
  return render(r, {
    title: 'Target CPU per delivery against offered load',
    xLabel: 'offered deliveries per second',
    yLabel: 'CPU µs per delivery (log)',
    x: (s) => s.offeredMsgsPerSec,
    y: (s) => s.nodeUsPerMsg,
    yUnit: 'µs/delivery',
  });
}
