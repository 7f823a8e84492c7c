/**
 * What the status page shows, already formatted: the server renders it into the first HTML
 * response (so the page is never blank) and serves it as JSON at `/status/view` for the page's
 * one-second refresh. Formatting lives here only, with the helpers the CLI shares (format.ts), so
 * the page and `wirerelay status|peers|ban` print the same units.
 */
import type { BanInfo, NodeStatus, PeerInfo, TrafficRates } from '../types.js';
import { formatAgo as ago, formatBytes, formatBytesByCommand as perMessage, formatDuration, formatPercent, formatRate, formatTimestamp, peerFlags } from './format.js';
import { DEFAULT_MARKS } from '../stats/rate-ticker.js';
import { currentHealth, type AdminBackend, type FlowRow, type HealthInfo } from './backend.js';

export const STATUS_PAGE_FLOWS_TOP = 10;

/** [column, text, numeric, tooltip]. */
export type ViewCell = readonly [col: string, text: string, numeric: boolean, title?: string];

export interface ViewRow {
  /** Value of the table's key attribute (`data-peer`, `data-flow`, `data-ban`). */
  readonly key: string;
  readonly cells: readonly ViewCell[];
}

export interface ViewTable {
  readonly keyAttr: string;
  /** [header, numeric] per column. */
  readonly head: ReadonlyArray<readonly [string, boolean]>;
  readonly rows: readonly ViewRow[];
}

export const VIEW_TABLES = ['peers', 'bans', 'health', 'flows'] as const;
export type ViewTableName = (typeof VIEW_TABLES)[number];

export interface StatusView {
  /** `data-field` name → text. */
  readonly fields: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
  /** `data-spark` name → SVG polyline points over a SPARK_WIDTH × SPARK_HEIGHT box. */
  readonly sparks: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<ViewTableName, ViewTable>>;
}

export const SPARK_WIDTH = 120;
export const SPARK_HEIGHT = 24;
/** The rate rows of the traffic table: [row name, label, messages series, bytes series]. */
export const RATE_ROWS = [
  ['in', 'received', 'msgsIn', 'bytesIn'],
  ['out', 'sent', 'msgsOut', 'bytesOut'],
  ['relayed', 'relayed', 'relayedMsgs', 'relayedBytes'],
] as const satisfies ReadonlyArray<readonly [string, string, keyof TrafficRates, keyof TrafficRates]>;
export const RATE_WINDOWS = [
  ['10s', 'last10s'],
  ['1m', 'last1m'],
] as const;

/** The status fields, in page order: [data-field, label]. */
export const NODE_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['version', 'version'],
  ['network', 'network'],
  ['user-agent', 'user agent'],
  ['data-dir', 'data dir'],
  ['admin', 'admin'],
  ['listen', 'listen'],
  ['uptime', 'uptime'],
];
export const PEER_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
  ['established', 'established'],
  ['bans', 'bans'],
  ['addresses', 'addresses'],
  ['relayed', 'relayed'],
  ['chain', 'headers chain'],
];
export const PROCESS_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['lag', 'event-loop lag p99 / max'],
  ['cpu', 'CPU'],
  ['rss', 'RSS'],
  ['pool', 'verify pool'],
  ['relay-cache', 'relay cache'],
  ['state', 'state version'],
];

const num = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const rate = (n: number): string => (n >= 100 ? num(n) : n >= 10 ? num(n, 1) : num(n, 2));

/**
 * Points of a sparkline of the last `slots` intervals, newest at the right edge, scaled to its own
 * maximum (a flat line at the bottom when idle); a young node's line starts part-way across.
 */
export function sparkPoints(values: readonly number[], slots = DEFAULT_MARKS - 1, width = SPARK_WIDTH, height = SPARK_HEIGHT): string {
  const shown = values.slice(-slots);
  const max = Math.max(0, ...shown);
  const step = width / Math.max(1, slots - 1);
  return shown
    .map((v, i) => {
      const x = width - (shown.length - 1 - i) * step;
      const y = max > 0 ? height - 1 - (v / max) * (height - 2) : height - 1;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

function statusFields(s: NodeStatus): Record<string, string> {
  const f: Record<string, string> = {
    version: s.version,
    network: s.network,
    'user-agent': s.userAgent,
    'data-dir': s.dataDir ?? 'none (in memory)',
    admin: s.http ?? 'off',
    listen: s.listen ?? 'off',
    uptime: formatDuration(s.uptimeMs),
    inbound: String(s.peers.inbound),
    outbound: String(s.peers.outbound),
    established: String(s.peers.established),
    bans: String(s.bans),
    addresses: `${s.addresses.new} new / ${s.addresses.tried} tried`,
    relayed: `${s.relayed.messages} msgs / ${formatBytes(s.relayed.bytes)}`,
    lag: `${num(s.process.eventLoopLagMs, 1)} / ${num(s.process.eventLoopLagMaxMs, 1)} ms`,
    cpu: `${num(s.process.cpuPercent, 1)}%`,
    rss: formatBytes(s.process.rssBytes),
    pool: `${s.pool.threads} threads, queue ${s.pool.queueDepth}`,
    'relay-cache': `${s.relayCache.items} items / ${formatBytes(s.relayCache.bytes)}`,
    chain: s.chain === null || s.chain === undefined ? '-' : `height ${s.chain.height} (${s.chain.headers} headers)`,
    state: s.stateVersion === null ? 'in memory' : String(s.stateVersion),
  };
  for (const [w, key] of RATE_WINDOWS) {
    const r = s.rates[key];
    for (const [row, , msgs, bytes] of RATE_ROWS) {
      f[`rate-${w}-msgs-${row}`] = rate(r[msgs]);
      f[`rate-${w}-bytes-${row}`] = formatRate(r[bytes]);
    }
  }
  return f;
}

function peerTable(now: number, peers: readonly PeerInfo[]): ViewTable {
  return {
    keyAttr: 'data-peer',
    head: [
      ['address', false],
      ['direction', false],
      ['flags', false],
      ['state', false],
      ['transport', false],
      ['version', true],
      ['user agent', false],
      ['services', false],
      ['ping', true],
      ['min ping', true],
      ['last send', true],
      ['last recv', true],
      ['in', true],
      ['out', true],
      ['connected', true],
      ['score', true],
      ['session id', false],
    ],
    rows: peers.map((p) => ({
      key: p.addr,
      cells: [
        ['addr', p.addr, false],
        ['direction', p.direction, false],
        ['flags', peerFlags(p), false],
        ['state', p.state, false],
        ['transport', p.transport, false],
        ['version', p.protocolVersion === null ? '-' : String(p.protocolVersion), true],
        ['agent', p.userAgent ?? '', false],
        ['services', p.servicesNames.join(' '), false, `0x${BigInt(p.services).toString(16)}`],
        ['rtt', p.rttMs === null ? '-' : `${num(p.rttMs)} ms`, true],
        ['min-rtt', p.minRttMs === null ? '-' : `${num(p.minRttMs)} ms`, true],
        ['last-send', ago(now, p.lastSend), true],
        ['last-recv', ago(now, p.lastRecv), true],
        ['bytes-in', formatBytes(p.bytesIn), true, `received: ${perMessage(p.bytesRecvPerMsg)}`],
        ['bytes-out', formatBytes(p.bytesOut), true, `sent: ${perMessage(p.bytesSentPerMsg)}`],
        ['conn-time', ago(now, p.connectedAt), true],
        ['score', String(p.banScore), true],
        ['session', p.sessionId ?? '', false],
      ],
    })),
  };
}

function banTable(now: number, bans: readonly BanInfo[]): ViewTable {
  return {
    keyAttr: 'data-ban',
    head: [
      ['target', false],
      ['created', false],
      ['expires', false],
      ['reason', false],
    ],
    rows: bans.map((b) => ({
      key: b.target,
      cells: [
        ['target', b.target, false],
        ['created', b.createdAt === null ? '-' : formatTimestamp(b.createdAt), false],
        ['expires', `${formatTimestamp(b.until)} (in ${formatDuration(Math.max(0, b.until - now))})`, false],
        ['reason', b.reason, false],
      ],
    })),
  };
}

function healthTable(health: readonly HealthInfo[]): ViewTable {
  return {
    keyAttr: 'data-peer',
    head: [
      ['peer', false],
      ['online', false],
      ['uptime ratio', true],
      ['uptime', true],
      ['flaps', true],
      ['tier', true],
    ],
    rows: health.map((h) => ({
      key: h.peer,
      cells: [
        ['peer', h.peer, false],
        ['online', h.online ? 'yes' : 'no', false],
        ['uptime-ratio', formatPercent(h.uptimeRatio), true],
        ['uptime', formatDuration(h.uptimeMs), true],
        ['flaps', String(h.flapCount), true],
        ['tier', String(h.tier), true],
      ],
    })),
  };
}

function flowTable(flows: readonly FlowRow[]): ViewTable {
  return {
    keyAttr: 'data-flow',
    head: [
      ['source', false],
      ['destination', false],
      ['packets', true],
      ['bytes', true],
      ['rate', true],
      ['drops', true],
    ],
    rows: flows.map((f) => ({
      key: `${f.src}>${f.dst}`,
      cells: [
        ['src', f.src, false],
        ['dst', f.dst, false],
        ['packets', String(f.packets), true],
        ['bytes', formatBytes(f.bytes), true],
        ['rate', formatRate(f.rateBps), true],
        ['drops', String(Object.values(f.drops).reduce((a, b) => a + b, 0)), true],
      ],
    })),
  };
}

/** Reads the backend once and formats everything the page shows. */
export function buildStatusView(b: AdminBackend): StatusView {
  const s = b.status();
  const now = s.startedAt + s.uptimeMs;
  const peers = b.peers();
  const sparks: Record<string, string> = {};
  for (const [row, , msgs, bytes] of RATE_ROWS) {
    sparks[`msgs-${row}`] = sparkPoints(s.history[msgs]);
    sparks[`bytes-${row}`] = sparkPoints(s.history[bytes]);
  }
  return {
    fields: statusFields(s),
    warnings: s.warnings,
    sparks,
    tables: {
      peers: peerTable(now, peers),
      bans: banTable(now, b.bans()),
      health: healthTable(currentHealth(b)),
      flows: flowTable(b.flows(STATUS_PAGE_FLOWS_TOP, 'rate')),
    },
  };
}
