/**
 * Throughput against latency across offered loads, one line per target (p99 solid, p50 dashed),
 * as a hand-written SVG: no charting dependency. y is logarithmic because latency past the knee
 * grows by orders of magnitude.
 */
import type { LoadResult, StepResult, TargetName } from './results.js';

const W = 820;
const H = 480;
const M = { left: 70, right: 170, top: 40, bottom: 56 };
const COLORS: Record<TargetName, string> = { wirerelay: '#d1495b', 'raw-forwarder': '#2e86ab', 'naive-relay': '#6a994e' };

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export function renderChart(r: LoadResult): string {
  const byTarget = new Map<TargetName, StepResult[]>();
  for (const s of r.steps) {
    if (s.offeredTxPerSec === 'max' || !(s.msgsPerSec > 0) || !(s.latencyMs.p99 > 0)) continue;
    byTarget.set(s.target, [...(byTarget.get(s.target) ?? []), s]);
  }
  const all = [...byTarget.values()].flat();
  const xMax = Math.max(1, ...all.map((s) => s.msgsPerSec)) * 1.05;
  const lats = all.flatMap((s) => [s.latencyMs.p50, s.latencyMs.p99]).filter((v) => v > 0 && Number.isFinite(v));
  const yLo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(1, ...lats))));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(10, ...lats)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (v / xMax) * pw;
  const y = (ms: number): number => M.top + ph - ((Math.log10(Math.max(ms, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">Relayed msgs/s against source→sink latency, per offered load</text>`);
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
  o.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">relayed messages per second (transactions arriving at sinks)</text>`);
  o.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">latency, ms (log)</text>`);
  let ly = M.top + 10;
  for (const [t, steps] of byTarget) {
    const pts = [...steps].sort((a, b) => (a.offeredMsgsPerSec ?? 0) - (b.offeredMsgsPerSec ?? 0));
    for (const [key, dash] of [['p99', ''], ['p50', ' stroke-dasharray="5 4"']] as const) {
      const path = pts.map((s) => `${x(s.msgsPerSec).toFixed(1)},${y(s.latencyMs[key]).toFixed(1)}`).join(' ');
      o.push(`<polyline points="${path}" fill="none" stroke="${COLORS[t]}" stroke-width="2"${dash}/>`);
      for (const s of pts) {
        const title = `${t} offered ${Math.round(s.offeredMsgsPerSec ?? 0)} msgs/s: ${Math.round(s.msgsPerSec)} msgs/s, ${key} ${s.latencyMs[key].toFixed(2)} ms${s.blownUp === null ? '' : ` (${s.blownUp})`}`;
        const fill = s.blownUp === null ? COLORS[t] : '#fff';
        o.push(`<circle cx="${x(s.msgsPerSec).toFixed(1)}" cy="${y(s.latencyMs[key]).toFixed(1)}" r="3.5" fill="${fill}" stroke="${COLORS[t]}"><title>${esc(title)}</title></circle>`);
      }
    }
    o.push(`<line x1="${M.left + pw + 14}" y1="${ly}" x2="${M.left + pw + 40}" y2="${ly}" stroke="${COLORS[t]}" stroke-width="2"/>`);
    o.push(`<text x="${M.left + pw + 46}" y="${ly + 4}">${esc(t)}</text>`);
    ly += 20;
  }
  o.push(`<text x="${M.left + pw + 14}" y="${ly + 8}" fill="#555">solid: p99, dashed: p50</text>`);
  o.push(`<text x="${M.left + pw + 14}" y="${ly + 26}" fill="#555">hollow: past the knee</text>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}
