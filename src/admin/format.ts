/**
 * Human units and plain-text rendering, shared by the CLI's text views (src/cli/node-views.ts) and
 * the status page (status-view.ts): aligned tables, key/value blocks, bytes, rates, durations, a
 * peer's flags. Values that came from the network (user agents, ban reasons) are printed through
 * `clean()`: a peer choosing its user agent must not be able to send escape sequences to the
 * operator's terminal.
 */
import type { PeerInfo } from '../types.js';

export type Align = 'left' | 'right';

export interface Column<T> {
  readonly header: string;
  readonly align?: Align;
  value(row: T): string;
}

// C0 and C1 controls and DEL: cursor movement, colour, OSC title/clipboard sequences.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function clean(text: string): string {
  return text.replace(CONTROL, '?');
}

/** Columns separated by two spaces, header first; no trailing spaces. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((c) => clean(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the values aligned. */
export function renderKeyValues(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${clean(v)}`.trimEnd()).join('\n') + '\n';
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${BYTE_UNITS[i]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(Math.round(bytesPerSec))}/s`;
}

/** Largest two units: `3d 4h`, `5m 2s`, `800ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** UTC, second precision: unambiguous in logs pasted between time zones. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** Time since `t` (Unix ms) as of `now`, e.g. `5m 2s`; `-` for never. */
export function formatAgo(now: number, t: number | null): string {
  return t === null ? '-' : formatDuration(Math.max(0, now - t));
}

/** getpeerinfo's bytes-per-message map, largest first: `tx 1.2 MiB, inv 80.0 KiB`; `-` when empty. */
export function formatBytesByCommand(bytes: Readonly<Record<string, number>>): string {
  const entries = Object.entries(bytes).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '-' : entries.map(([c, n]) => `${c} ${formatBytes(n)}`).join(', ');
}

/** `mesh,perm,wl`, or `-`: the flags getpeerinfo shows as booleans. */
export function peerFlags(p: PeerInfo): string {
  const flags = [p.mesh ? 'mesh' : '', p.permanent ? 'perm' : '', p.whitelisted ? 'wl' : ''].filter((f) => f !== '');
  return flags.length === 0 ? '-' : flags.join(',');
}
