/**
 * The status page served at `/`: one self-contained HTML document (inline style and script, no
 * external resources, so it works on an air-gapped host). The server renders the current view into
 * the HTML (src/admin/status-view.ts), so the first paint already shows the node; the script then
 * fetches the same view as JSON from `/status/view` every second and writes it into the page.
 *
 * Peer user agents, ban reasons and addresses come from the network: the server escapes them, and
 * the script only ever assigns them through `textContent` and attributes, never `innerHTML`, so a
 * hostile peer cannot script the operator's browser. The CSP (set by http-server.ts) allows only
 * this nonce's script and style.
 *
 * Stable hooks for tests and scrapers:
 *   #status [data-field=NAME]            node status values (network, uptime, rate-10s-bytes-in, …)
 *   #warnings li                         one per warning
 *   svg[data-spark=NAME] polyline        sparklines (bytes-in, msgs-relayed, …)
 *   #peers tbody tr[data-peer=HOST:PORT] one row per peer; cells td[data-col=NAME]
 *   #bans tbody tr[data-ban=TARGET]
 *   #health tbody tr[data-peer=HOST:PORT]
 *   #flows tbody tr[data-flow="SRC>DST"]
 *   body[data-refreshes=N]               count of completed refreshes; #error shows the last failure
 */
import type { AdminBackend } from './backend.js';
import {
  buildStatusView,
  NODE_FIELDS,
  PEER_FIELDS,
  PROCESS_FIELDS,
  RATE_ROWS,
  RATE_WINDOWS,
  SPARK_HEIGHT,
  SPARK_WIDTH,
  VIEW_TABLES,
  type StatusView,
  type ViewTable,
  type ViewTableName,
} from './status-view.js';

/** How often the page polls; one second is what an operator watching a peer flap wants. */
export const STATUS_PAGE_REFRESH_MS = 1000;
export const STATUS_VIEW_PATH = '/status/view';

const STYLE = `
  :root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; --line: #8884; --muted: #8889; --accent: #2a7ae2; }
  body { margin: 1.2rem 1.5rem; }
  header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
  h1 { font-size: 1.35rem; margin: 0; }
  h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
  h3 { font-size: .8rem; margin: 0 0 .4rem; text-transform: uppercase; letter-spacing: .05em; opacity: .7; }
  #updated { color: var(--muted); font-size: .8rem; }
  #error { color: #c33; min-height: 1.2em; }
  #warnings { list-style: none; margin: .4rem 0; padding: 0; }
  #warnings li { background: #f5a62333; border-left: 4px solid #f5a623; padding: .35rem .7rem; margin: .25rem 0; border-radius: 3px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: .8rem; margin-top: .6rem; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: .7rem .9rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .8rem; margin: 0; }
  dt { color: var(--muted); font-size: .85rem; }
  dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { font-size: .8rem; color: var(--muted); font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td[title] { text-decoration: underline dotted var(--muted); cursor: help; }
  tr.empty td { opacity: .6; font-style: italic; }
  .scroll { overflow-x: auto; }
  #rates td { padding: .15rem .5rem; }
  svg.spark { display: block; }
  svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-linejoin: round; }
  svg.spark line { stroke: var(--line); stroke-width: 1; }
`;

const SCRIPT = `
'use strict';
const REFRESH_MS = ${STATUS_PAGE_REFRESH_MS};
const TABLES = ${JSON.stringify(VIEW_TABLES)};
let refreshes = 0;

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try { const b = await res.json(); if (b && b.error) msg = b.error.code + ': ' + b.error.message; } catch (e) {}
    throw new Error(path + ': ' + msg);
  }
  return res.json();
}

// Rebuilds a tbody from the view's rows; text and attributes only.
function fillTable(id, table) {
  const tbody = document.querySelector('#' + id + ' tbody');
  const fresh = document.createElement('tbody');
  if (table.rows.length === 0) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = document.createElement('td');
    td.colSpan = table.head.length;
    td.textContent = 'none';
    tr.appendChild(td);
    fresh.appendChild(tr);
  }
  for (const row of table.rows) {
    const tr = document.createElement('tr');
    tr.setAttribute(table.keyAttr, row.key);
    for (const [col, text, numeric, title] of row.cells) {
      const td = document.createElement('td');
      td.dataset.col = col;
      if (numeric) td.className = 'num';
      if (title) td.title = title;
      td.textContent = text;
      tr.appendChild(td);
    }
    fresh.appendChild(tr);
  }
  tbody.replaceWith(fresh);
}

function render(view) {
  for (const [name, text] of Object.entries(view.fields)) {
    const el = document.querySelector('#status [data-field="' + name + '"]');
    if (el) el.textContent = text;
  }
  for (const [name, points] of Object.entries(view.sparks)) {
    const line = document.querySelector('svg[data-spark="' + name + '"] polyline');
    if (line) line.setAttribute('points', points);
  }
  const list = document.createElement('ul');
  list.id = 'warnings';
  for (const w of view.warnings) {
    const li = document.createElement('li');
    li.textContent = w;
    list.appendChild(li);
  }
  document.getElementById('warnings').replaceWith(list);
  for (const t of TABLES) fillTable(t, view.tables[t]);
}

async function refresh() {
  try {
    render(await getJson('${STATUS_VIEW_PATH}'));
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
setTimeout(refresh, REFRESH_MS);
`;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values from the network go through here, and nowhere else. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function fieldList(fields: ReadonlyArray<readonly [string, string]>, values: Readonly<Record<string, string>>): string {
  return fields
    .map(([name, label]) => `<dt>${escapeHtml(label)}</dt><dd data-field="${name}">${escapeHtml(values[name] ?? '-')}</dd>`)
    .join('');
}

function sparkline(name: string, points: string): string {
  const y = SPARK_HEIGHT - 0.5;
  return (
    `<svg class="spark" data-spark="${name}" width="${SPARK_WIDTH}" height="${SPARK_HEIGHT}" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" aria-hidden="true">` +
    `<line x1="0" y1="${y}" x2="${SPARK_WIDTH}" y2="${y}"></line><polyline points="${escapeHtml(points)}"></polyline></svg>`
  );
}

function rateTable(view: StatusView | null): string {
  const f = view?.fields ?? {};
  const head =
    '<tr><th></th>' +
    RATE_WINDOWS.map(([w]) => `<th class="num">msgs/s ${w}</th><th class="num">bytes/s ${w}</th>`).join('') +
    '<th>bytes/s, last minute</th><th>msgs/s, last minute</th></tr>';
  const rows = RATE_ROWS.map(([row, label]) => {
    const cells = RATE_WINDOWS.map(([w]) =>
      ['msgs', 'bytes'].map((u) => {
        const name = `rate-${w}-${u}-${row}`;
        return `<td class="num" data-field="${name}">${escapeHtml(f[name] ?? '-')}</td>`;
      }).join(''),
    ).join('');
    const spark = (u: string): string => `<td>${sparkline(`${u}-${row}`, view?.sparks[`${u}-${row}`] ?? '')}</td>`;
    return `<tr><th>${label}</th>${cells}${spark('bytes')}${spark('msgs')}</tr>`;
  }).join('');
  return `<table id="rates"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

function tableHtml(id: ViewTableName, table: ViewTable): string {
  const head = table.head.map(([label, numeric]) => `<th${numeric ? ' class="num"' : ''}>${escapeHtml(label)}</th>`).join('');
  const rows =
    table.rows.length === 0
      ? `<tr class="empty"><td colspan="${table.head.length}">none</td></tr>`
      : table.rows
          .map((r) => {
            const cells = r.cells
              .map(([col, text, numeric, title]) => {
                const attrs = `data-col="${col}"${numeric ? ' class="num"' : ''}${title ? ` title="${escapeHtml(title)}"` : ''}`;
                return `<td ${attrs}>${escapeHtml(text)}</td>`;
              })
              .join('');
            return `<tr ${table.keyAttr}="${escapeHtml(r.key)}">${cells}</tr>`;
          })
          .join('');
  return `<div class="scroll"><table id="${id}"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

const TABLE_TITLES: Readonly<Record<ViewTableName, string>> = { peers: 'Peers', bans: 'Bans', health: 'Health', flows: 'Top flows (by rate)' };
const EMPTY_TABLE: ViewTable = { keyAttr: 'data-none', head: [['', false]], rows: [] };

/**
 * The page with the node's current view; `nonce` must match the one in the response's
 * Content-Security-Policy. A backend that throws still gets a page, with the error shown.
 */
export function renderStatusPage(nonce: string, backend: AdminBackend): string {
  let view: StatusView | null = null;
  let error = '';
  try {
    view = buildStatusView(backend);
  } catch (err) {
    error = `${STATUS_VIEW_PATH}: ${err instanceof Error ? err.message : String(err)}`;
  }
  const fields = view?.fields ?? {};
  const title = view === null ? 'wirerelay' : `wirerelay ${fields.network ?? ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-refreshes="0">
<header><h1>wirerelay</h1><div id="updated">rendered ${escapeHtml(new Date().toISOString().slice(11, 19))} UTC</div></header>
<div id="error" role="alert">${escapeHtml(error)}</div>
<ul id="warnings">${(view?.warnings ?? []).map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>
<section id="status">
<div class="cards">
<div class="card"><h3>Node</h3><dl>${fieldList(NODE_FIELDS, fields)}</dl></div>
<div class="card"><h3>Peers</h3><dl>${fieldList(PEER_FIELDS, fields)}</dl></div>
<div class="card"><h3>Process</h3><dl>${fieldList(PROCESS_FIELDS, fields)}</dl></div>
</div>
<h2>Traffic</h2>
<div class="card scroll">${rateTable(view)}</div>
</section>
${VIEW_TABLES.map((t) => `<h2>${TABLE_TITLES[t]}</h2>\n${tableHtml(t, view?.tables[t] ?? EMPTY_TABLE)}`).join('\n')}
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
