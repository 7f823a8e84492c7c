/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and says where the time went without a
 * viewer: self time per function, grouped by layer of wirerelay (socket I/O, framing/WASM, pool,
 * relay logic, flows, persistence, admin/metrics), plus the engine's own buckets (GC, idle).
 *
 * Two views, because a leaf's layer is often not the culprit's: `self` charges each sample to the
 * function on top of the stack; `attributed` charges it to the nearest wirerelay frame below
 * (so node:crypto or Buffer work done for the relay counts as relay logic).
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber?: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export const LAYERS = [
  'socket I/O',
  'framing/WASM',
  'pool',
  'relay logic',
  'flows',
  'persistence',
  'admin/metrics',
  'node runtime',
  'GC',
  'idle',
] as const;
export type Layer = (typeof LAYERS)[number];

/** Native and node-internal frames that are the socket layer whatever calls them. */
const SOCKET_NATIVE = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'onStreamRead', 'readStart', 'readStop', 'shutdown', 'onconnection', 'afterConnect']);

/** The layer of one frame (by the file it comes from; null when it says nothing about wirerelay). */
export function layerOf(functionName: string, url: string): Layer | null {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)' || functionName === '(root)') return 'node runtime';
  const u = url.replace(/\\/g, '/');
  if (u.startsWith('wasm://')) return 'framing/WASM';
  if (/\/src\/(framing|wasm|wire)\//.test(u)) return 'framing/WASM';
  if (/\/src\/peer\//.test(u)) return 'socket I/O';
  if (/\/src\/pool\//.test(u) || /piscina/.test(u)) return 'pool';
  if (/\/src\/stats\//.test(u)) return 'flows';
  if (/\/src\/(persist|health)\//.test(u)) return 'persistence';
  if (/\/src\/(admin|metrics)\//.test(u) || /prom-client/.test(u)) return 'admin/metrics';
  if (/\/src\/(relay|node|ban|addr|conn|util)\//.test(u) || /\/src\/[a-z-]+\.js$/.test(u)) return 'relay logic';
  if (SOCKET_NATIVE.has(functionName) || /^node:(net|stream)$|internal\/(stream_base_commons|streams\/|net)/.test(u)) return 'socket I/O';
  if (/^node:(fs|fs\/promises)$|internal\/fs\//.test(u)) return 'persistence';
  if (/^node:(http|_http_\w+)$|_http_/.test(u)) return 'admin/metrics';
  if (/worker_threads|internal\/worker|MessagePort/.test(u) || functionName === 'postMessage') return 'pool';
  return null;
}

export interface FunctionTime {
  readonly name: string;
  readonly location: string;
  readonly layer: Layer;
  readonly selfMs: number;
}

export interface LayerTime {
  readonly layer: Layer;
  readonly selfMs: number;
  readonly attributedMs: number;
  readonly top: readonly FunctionTime[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Time not idle: the base of every percentage. */
  readonly busyMs: number;
  readonly layers: readonly LayerTime[];
  readonly topFunctions: readonly FunctionTime[];
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const n = url.lastIndexOf('/node_modules/');
  if (n >= 0) return url.slice(n + 14);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(p: CpuProfile, topN = 8): ProfileSummary {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // Self time per node id: from samples and their deltas when present, else hit counts spread evenly.
  const selfUs = new Map<number, number>();
  if (p.samples !== undefined && p.timeDeltas !== undefined && p.samples.length === p.timeDeltas.length) {
    for (let i = 0; i < p.samples.length; i++) {
      // timeDeltas[i] is the gap before sample i; the sample's own duration is the next gap.
      const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : 0;
      selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
    }
  } else {
    const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
    const per = hits === 0 ? 0 : (p.endTime - p.startTime) / hits;
    for (const n of p.nodes) if ((n.hitCount ?? 0) > 0) selfUs.set(n.id, n.hitCount! * per);
  }
  const layerOfNode = new Map<number, Layer>();
  const leafLayer = (id: number): Layer => {
    const n = byId.get(id)!;
    return layerOf(n.callFrame.functionName, n.callFrame.url) ?? 'node runtime';
  };
  /** Nearest frame (self included) that names a wirerelay layer; engine buckets stay their own. */
  const attributed = (id: number): Layer => {
    const cached = layerOfNode.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id)!;
    const own = layerOf(n.callFrame.functionName, n.callFrame.url);
    let out: Layer;
    if (own === 'GC' || own === 'idle' || (own !== null && own !== 'node runtime' && /\/src\/|wasm:\/\//.test(n.callFrame.url))) out = own;
    else {
      const up = parent.get(id);
      const above = up === undefined ? null : attributed(up);
      out = above !== null && above !== 'node runtime' ? above : (own ?? 'node runtime');
    }
    layerOfNode.set(id, out);
    return out;
  };
  const fnTimes = new Map<string, { name: string; location: string; layer: Layer; us: number }>();
  const layerSelf = new Map<Layer, number>();
  const layerAttr = new Map<Layer, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    if (us === 0) continue;
    const n = byId.get(id);
    if (n === undefined) continue;
    total += us;
    const lay = leafLayer(id);
    layerSelf.set(lay, (layerSelf.get(lay) ?? 0) + us);
    const att = attributed(id);
    layerAttr.set(att, (layerAttr.get(att) ?? 0) + us);
    const name = n.callFrame.functionName || '(anonymous)';
    const location = n.callFrame.url === '' ? '(native)' : `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const key = `${name}@${location}`;
    const f = fnTimes.get(key) ?? { name, location, layer: lay, us: 0 };
    f.us += us;
    fnTimes.set(key, f);
  }
  const fns = [...fnTimes.values()].sort((a, b) => b.us - a.us).map((f) => ({ name: f.name, location: f.location, layer: f.layer, selfMs: f.us / 1000 }));
  const layers = LAYERS.map((layer) => ({
    layer,
    selfMs: (layerSelf.get(layer) ?? 0) / 1000,
    attributedMs: (layerAttr.get(layer) ?? 0) / 1000,
    top: fns.filter((f) => f.layer === layer).slice(0, topN),
  }));
  const idle = (layerSelf.get('idle') ?? 0) / 1000;
  return { totalMs: total / 1000, busyMs: total / 1000 - idle, layers, topFunctions: fns.filter((f) => f.layer !== 'idle').slice(0, topN * 3) };
}

/** The summary as Markdown (printed by `npm run profile` and saved next to the profile). */
export function renderProfileSummary(s: ProfileSummary, source: string): string {
  const pct = (ms: number): string => (s.busyMs > 0 ? `${((100 * ms) / s.busyMs).toFixed(1)} %` : 'n/a');
  const out: string[] = [`# CPU profile summary`, '', `Profile: \`${source}\` — ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy (percentages are of busy time).`, ''];
  out.push('| layer | self ms | self % | attributed ms | attributed % |', '|---|---:|---:|---:|---:|');
  for (const l of s.layers) {
    if (l.layer === 'idle') continue;
    out.push(`| ${l.layer} | ${l.selfMs.toFixed(0)} | ${pct(l.selfMs)} | ${l.attributedMs.toFixed(0)} | ${pct(l.attributedMs)} |`);
  }
  out.push('', '"self": the function on top of the stack; "attributed": the nearest wirerelay frame under it.', '');
  for (const l of s.layers) {
    if (l.top.length === 0 || l.layer === 'idle') continue;
    out.push(`## ${l.layer}`, '', '| function | where | self ms | % busy |', '|---|---|---:|---:|');
    for (const f of l.top) out.push(`| \`${f.name}\` | ${f.location} | ${f.selfMs.toFixed(1)} | ${pct(f.selfMs)} |`);
    out.push('');
  }
  return out.join('\n');
}
