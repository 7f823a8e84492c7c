/**
 * The status page served at `/`: one self-contained HTML document (inline style and script, no
 * external resources, so it works on an air-gapped host) that polls the JSON routes every second.
 *
 * Peer user agents, ban reasons and addresses come from the network: the script only ever assigns
 * them through `textContent` and attributes, never `innerHTML`, so a hostile peer cannot script the
 * operator's browser. The CSP (set by http-server.ts) allows only this nonce's script and style.
 *
 * Stable hooks for tests and scrapers:
 *   #status [data-field=NAME]            node status values (network, uptime, inbound, outbound, …)
 *   #peers tbody tr[data-peer=HOST:PORT] one row per peer; cells td[data-col=NAME]
 *   #health tbody tr[data-peer=HOST:PORT]
 *   #flows tbody tr[data-flow="SRC>DST"]
 *   body[data-refreshes=N]               count of completed refreshes; #error shows the last failure
 */

/** How often the page polls; one second is what an operator watching a peer flap wants. */
export const STATUS_PAGE_REFRESH_MS = 1000;
export const STATUS_PAGE_FLOWS_TOP = 10;

const STYLE = `
  :root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
  dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .3rem 1rem; margin: 0; }
  dt { font-size: .8rem; opacity: .7; }
  dd { margin: 0; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid #8884; white-space: nowrap; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.empty td { opacity: .6; font-style: italic; }
  #error { color: #c33; min-height: 1.2em; }
  #updated { opacity: .7; font-size: .8rem; }
`;

const SCRIPT = `
'use strict';
const REFRESH_MS = ${STATUS_PAGE_REFRESH_MS};
const FLOWS_TOP = ${STATUS_PAGE_FLOWS_TOP};
let refreshes = 0;

function fmtBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}
function fmtDuration(ms) {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d > 0) return d + 'd ' + h + 'h';
  if (h > 0) return h + 'h ' + m + 'm';
  if (m > 0) return m + 'm ' + s + 's';
  return s + 's';
}
function fmtPct(r) { return (r * 100).toFixed(1) + '%'; }

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try { const b = await res.json(); if (b && b.error) msg = b.error.code + ': ' + b.error.message; } catch (e) {}
    throw new Error(path + ': ' + msg);
  }
  return res.json();
}

// Rebuilds a tbody from rows of [key attribute value, [[col, text, numeric]...]]; text only.
function fillTable(id, keyAttr, rows, columns) {
  const tbody = document.querySelector('#' + id + ' tbody');
  const fresh = document.createElement('tbody');
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = document.createElement('td');
    td.colSpan = columns;
    td.textContent = 'none';
    tr.appendChild(td);
    fresh.appendChild(tr);
  }
  for (const [key, cells] of rows) {
    const tr = document.createElement('tr');
    tr.setAttribute(keyAttr, key);
    for (const [col, text, numeric] of cells) {
      const td = document.createElement('td');
      td.dataset.col = col;
      if (numeric) td.className = 'num';
      td.textContent = text;
      tr.appendChild(td);
    }
    fresh.appendChild(tr);
  }
  tbody.replaceWith(fresh);
}

function setField(name, text) {
  const el = document.querySelector('#status [data-field="' + name + '"]');
  if (el) el.textContent = text;
}

function render(status, peers, health, flows) {
  setField('network', status.network);
  setField('uptime', fmtDuration(status.uptimeMs));
  setField('listen', status.listen === null ? 'off' : status.listen);
  setField('inbound', String(status.peers.inbound));
  setField('outbound', String(status.peers.outbound));
  setField('established', String(status.peers.established));
  setField('bans', String(status.bans));
  setField('addresses', status.addresses.new + ' new / ' + status.addresses.tried + ' tried');
  setField('relayed', status.relayed.messages + ' msgs / ' + fmtBytes(status.relayed.bytes));
  setField('relay-cache', status.relayCache.items + ' items / ' + fmtBytes(status.relayCache.bytes));
  setField('pool', status.pool.threads + ' threads, queue ' + status.pool.queueDepth);

  fillTable('peers', 'data-peer', peers.map((p) => [p.addr, [
    ['addr', p.addr, false],
    ['direction', p.direction + (p.mesh ? ' (mesh)' : p.permanent ? ' (permanent)' : ''), false],
    ['state', p.state, false],
    ['transport', p.transport, false],
    ['score', String(p.banScore), true],
    ['rtt', p.rttMs === null ? '-' : p.rttMs.toFixed(0) + ' ms', true],
    ['bytes-in', fmtBytes(p.bytesIn), true],
    ['bytes-out', fmtBytes(p.bytesOut), true],
    ['agent', p.userAgent === null ? '' : p.userAgent, false],
    ['session', p.sessionId === null ? '' : p.sessionId, false],
  ]]), 10);

  fillTable('health', 'data-peer', health.map((h) => [h.peer, [
    ['peer', h.peer, false],
    ['online', h.online ? 'yes' : 'no', false],
    ['uptime-ratio', fmtPct(h.uptimeRatio), true],
    ['uptime', fmtDuration(h.uptimeMs), true],
    ['flaps', String(h.flapCount), true],
    ['tier', String(h.tier), true],
  ]]), 6);

  fillTable('flows', 'data-flow', flows.map((f) => [f.src + '>' + f.dst, [
    ['src', f.src, false],
    ['dst', f.dst, false],
    ['packets', String(f.packets), true],
    ['bytes', fmtBytes(f.bytes), true],
    ['rate', fmtBytes(Math.round(f.rateBps)) + '/s', true],
    ['drops', String(Object.values(f.drops).reduce((a, b) => a + b, 0)), true],
  ]]), 6);
}

async function refresh() {
  try {
    const [status, peers, health, flows] = await Promise.all([
      getJson('/status'), getJson('/peers'), getJson('/health'), getJson('/flows?top=' + FLOWS_TOP + '&by=rate'),
    ]);
    render(status, peers, health, flows);
    document.getElementById('error').textContent = '';
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (err) {
    document.getElementById('error').textContent = String(err && err.message ? err.message : err);
  }
  refreshes++;
  document.body.dataset.refreshes = String(refreshes);
  // Chained rather than setInterval: a slow node never has requests piling up behind each other.
  setTimeout(refresh, REFRESH_MS);
}
refresh();
`;

function statusField(name: string, label: string): string {
  return `<div><dt>${label}</dt><dd data-field="${name}">-</dd></div>`;
}

function tableHead(cols: ReadonlyArray<readonly [string, boolean]>): string {
  return cols.map(([label, numeric]) => `<th${numeric ? ' class="num"' : ''}>${label}</th>`).join('');
}

/** The page; `nonce` must match the one in the response's Content-Security-Policy. */
export function renderStatusPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wirerelay status</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-refreshes="0">
<h1>wirerelay</h1>
<div id="updated"></div>
<div id="error" role="alert"></div>
<section id="status"><dl>
${[
  ['network', 'network'],
  ['uptime', 'uptime'],
  ['listen', 'listen'],
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
  ['established', 'established'],
  ['bans', 'bans'],
  ['addresses', 'addresses'],
  ['relayed', 'relayed'],
  ['relay-cache', 'relay cache'],
  ['pool', 'verify pool'],
]
  .map(([name, label]) => statusField(name!, label!))
  .join('\n')}
</dl></section>
<h2>Peers</h2>
<table id="peers"><thead><tr>${tableHead([
    ['address', false],
    ['direction', false],
    ['state', false],
    ['transport', false],
    ['score', true],
    ['RTT', true],
    ['in', true],
    ['out', true],
    ['user agent', false],
    ['session id', false],
  ])}</tr></thead><tbody></tbody></table>
<h2>Health</h2>
<table id="health"><thead><tr>${tableHead([
    ['peer', false],
    ['online', false],
    ['uptime ratio', true],
    ['uptime', true],
    ['flaps', true],
    ['tier', false],
  ])}</tr></thead><tbody></tbody></table>
<h2>Top flows</h2>
<table id="flows"><thead><tr>${tableHead([
    ['source', false],
    ['destination', false],
    ['packets', true],
    ['bytes', true],
    ['rate', true],
    ['drops', true],
  ])}</tr></thead><tbody></tbody></table>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
