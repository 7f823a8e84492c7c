import type { Clock } from '../clock.js';
import { ConfigError, RelayError } from '../errors.js';
import {
  DROP_REASONS,
  DROP_REASON_COUNT,
  DROP_REASON_INDEX,
  type DropCount,
  type DropReason,
} from './drop-reasons.js';
import { type FlowIndex, MAX_PEER_ID, OpenFlowIndex } from './flow-index.js';
import { grown } from '../util/typed-arrays.js';

/**
 * Directional per-(source peer, destination peer) relay counters, after the flow tracking in
 * Tailscale's DERP flow branch (derp/derp_server.go). Layout and costs: docs/flows-and-health.md.
 *
 * Storage is a dense array of 64-byte rows indexed 0..count-1 plus a key → index map, so a million
 * flows are a few typed arrays instead of a million objects for the GC to trace. Everything a
 * record() touches sits in the flow's row, one cache line: with one column per field it was four
 * cache misses per message at 1M flows (bench/flows.bench.ts, 2026-11). Evicting swaps the last
 * flow into the hole, which keeps the rows dense; the index is told.
 *
 * Row layout (little-endian views over one buffer):
 *   f64[0..3]  packets local, bytes local, packets mesh, bytes mesh
 *   f64[4..5]  byte total at the previous and current rate mark (see markRates())
 *   u32[12]    src   u32[13] dst   u32[14] created (s since baseSec)   u32[15] last activity (s)
 */

/** 'local': delivered to a peer connected here; 'mesh': forwarded to a mesh instance. */
export type FlowKind = 'local' | 'mesh';
export type TopBy = 'bytes' | 'rate';

/** Last-activity resolution: the column is written at most once per step (DERP: 60 s). */
export const ACTIVITY_STEP_SEC = 60;
/** A flow idle longer than this is removed when flow creation comes across it (DERP: 1 h). */
export const DEFAULT_IDLE_EVICT_MS = 3_600_000;
/** Old flows examined per created flow: with 2 > 1 the table shrinks back after a burst. */
const EVICT_CHECKS_PER_CREATE = 2;
export const DEFAULT_TOP_WINDOW_MS = 10_000;

const R = DROP_REASON_COUNT;
/** A drop block: packets per reason, then bytes per reason. */
const DROP_BLOCK = 2 * R;
/** Counter vector layout used for globals, evicted sums and snapshots. */
const V_PKT_LOCAL = 0;
const V_BYTES_LOCAL = 1;
const V_PKT_MESH = 2;
const V_BYTES_MESH = 3;
const V_DROPS = 4;
const V_LEN = V_DROPS + DROP_BLOCK;

const ROW_BYTES = 64;
/** Row offsets in f64 units (row base = i << 3). */
const F_PKT_LOCAL = 0;
const F_BYTES_LOCAL = 1;
const F_PKT_MESH = 2;
const F_BYTES_MESH = 3;
const F_MARK_PREV = 4;
const F_MARK_CUR = 5;
/** Row offsets in u32 units (row base = i << 4). */
const U_SRC = 12;
const U_DST = 13;
const U_CREATED = 14;
const U_LAST = 15;

export interface FlowTableOptions {
  clock: Clock;
  /** Flows to size the columns for; they double when full. */
  initialCapacity?: number;
  idleEvictMs?: number;
  /** How far apart markRates() takes its marks; default DEFAULT_TOP_WINDOW_MS. */
  rateWindowMs?: number;
}

export interface FlowCounters {
  readonly packetsLocal: number;
  readonly bytesLocal: number;
  readonly packetsMesh: number;
  readonly bytesMesh: number;
  readonly drops: Readonly<Record<DropReason, Readonly<DropCount>>>;
}

export interface FlowSnapshot extends FlowCounters {
  readonly src: number;
  readonly dst: number;
  /** HOST:PORT given to registerPeer, read when the snapshot is taken. */
  readonly srcLabel: string | undefined;
  readonly dstLabel: string | undefined;
  readonly dstMesh: boolean;
  /** Both at 1 s resolution; lastActiveMs trails the true last activity by up to 60 s. */
  readonly createdMs: number;
  readonly lastActiveMs: number;
}

export interface RatedFlow extends FlowSnapshot {
  /** Bytes (local + mesh) per second over [sinceMs, now]. */
  readonly bytesPerSec: number;
  readonly sinceMs: number;
}

/** `all` = `live` + `evicted`, and always equals `globals()`. */
export interface FlowTotals {
  readonly live: FlowCounters;
  readonly evicted: FlowCounters;
  readonly all: FlowCounters;
}

export interface FlowTableStats {
  /** Flows held now. */
  readonly count: number;
  /** Flows ever created. */
  readonly created: number;
  /** Flows removed as idle. */
  readonly evicted: number;
}

/** What the table keeps of a peer besides its label. */
export interface FlowPeer {
  readonly mesh: boolean;
}

function counters(v: Float64Array, off = 0): FlowCounters {
  const drops = {} as Record<DropReason, Readonly<DropCount>>;
  for (let r = 0; r < R; r++) {
    drops[DROP_REASONS[r]!] = Object.freeze({ packets: v[off + V_DROPS + r]!, bytes: v[off + V_DROPS + R + r]! });
  }
  return Object.freeze({
    packetsLocal: v[off + V_PKT_LOCAL]!,
    bytesLocal: v[off + V_BYTES_LOCAL]!,
    packetsMesh: v[off + V_PKT_MESH]!,
    bytesMesh: v[off + V_BYTES_MESH]!,
    drops: Object.freeze(drops),
  });
}

function dropsFrom(data: Float64Array, off: number): Readonly<Record<DropReason, Readonly<DropCount>>> {
  const drops = {} as Record<DropReason, Readonly<DropCount>>;
  for (let r = 0; r < R; r++) {
    drops[DROP_REASONS[r]!] = Object.freeze({ packets: data[off + r]!, bytes: data[off + R + r]! });
  }
  return Object.freeze(drops);
}

/** Shared by every snapshot of a flow that never dropped: most flows, no allocation. */
const NO_DROPS = dropsFrom(new Float64Array(DROP_BLOCK), 0);

export class FlowTable {
  private readonly clock: Clock;
  private readonly baseSec: number;
  private readonly idleEvictSec: number;
  private readonly index: FlowIndex;
  private readonly rateWindowMs: number;

  private cap: number;
  private n = 0;
  private f64: Float64Array;
  private u32: Uint32Array;
  /** Drop block number + 1; 0 = this flow never dropped. Drops are rare, so they live apart. */
  private dropSlot: Int32Array;

  private dropData = new Float64Array(64 * DROP_BLOCK);
  private dropBlocks = 0;
  private readonly dropFree: number[] = [];

  private readonly g = new Float64Array(V_LEN);
  private readonly ev = new Float64Array(V_LEN);
  private createdCount = 0;
  private evictedCount = 0;
  private cursor = 0;
  private tPrev: number;
  private tCur: number;

  private readonly labels: (string | undefined)[] = [];
  private readonly mesh: boolean[] = [];

  constructor(opts: FlowTableOptions) {
    const cap = opts.initialCapacity ?? 1024;
    if (!Number.isInteger(cap) || cap < 1) throw new ConfigError('initialCapacity must be a positive integer');
    const idleMs = opts.idleEvictMs ?? DEFAULT_IDLE_EVICT_MS;
    if (!(idleMs >= 0)) throw new ConfigError('idleEvictMs must be >= 0');
    this.clock = opts.clock;
    const windowMs = opts.rateWindowMs ?? DEFAULT_TOP_WINDOW_MS;
    if (!(windowMs > 0)) throw new ConfigError('rateWindowMs must be > 0');
    this.rateWindowMs = windowMs;
    const now = this.clock.now();
    this.baseSec = Math.floor(now / 1000);
    this.tPrev = now;
    this.tCur = now;
    // The stored activity time trails by up to one step: adding it keeps "evicted" meaning
    // "truly idle longer than idleEvictMs".
    this.idleEvictSec = Math.ceil(idleMs / 1000) + ACTIVITY_STEP_SEC;
    this.index = new OpenFlowIndex(cap);
    this.cap = cap;
    const rows = new ArrayBuffer(cap * ROW_BYTES);
    this.f64 = new Float64Array(rows);
    this.u32 = new Uint32Array(rows);
    this.dropSlot = new Int32Array(cap);
  }

  // ---- peers -------------------------------------------------------------------------------

  /**
   * Names a peer id for snapshots. Ids are 0..2^21-1 and must not be reused within idleEvictMs of
   * the peer leaving (IdAllocator's quarantine), or the new peer inherits the old one's flows. A
   * gone peer's flows and label stay until the flows go idle and are evicted.
   */
  registerPeer(id: number, label: string, info: FlowPeer = { mesh: false }): void {
    checkPeerId(id);
    this.labels[id] = label;
    this.mesh[id] = info.mesh;
  }

  // ---- hot path ----------------------------------------------------------------------------

  /** Counts one message relayed from `src` to `dst`. */
  record(src: number, dst: number, bytes: number, kind: FlowKind): void {
    const i = this.flowOf(src, dst);
    const now = this.nowSec();
    const last = (i << 4) + U_LAST;
    if (now - this.u32[last]! >= ACTIVITY_STEP_SEC) this.u32[last] = now;
    const f = this.f64;
    const row = i << 3;
    const g = this.g;
    if (kind === 'local') {
      f[row + F_PKT_LOCAL]! += 1;
      f[row + F_BYTES_LOCAL]! += bytes;
      g[V_PKT_LOCAL]! += 1;
      g[V_BYTES_LOCAL]! += bytes;
    } else {
      f[row + F_PKT_MESH]! += 1;
      f[row + F_BYTES_MESH]! += bytes;
      g[V_PKT_MESH]! += 1;
      g[V_BYTES_MESH]! += bytes;
    }
  }

  /** Counts one message from `src` that did not reach `dst`. */
  drop(src: number, dst: number, reason: DropReason, bytes: number): void {
    const r = DROP_REASON_INDEX[reason];
    // typeof, not === undefined: a name like "toString" would find Object.prototype's.
    if (typeof r !== 'number') throw new RelayError('ERR_INTERNAL', `unknown drop reason "${String(reason)}"`);
    const i = this.flowOf(src, dst);
    const now = this.nowSec();
    const last = (i << 4) + U_LAST;
    if (now - this.u32[last]! >= ACTIVITY_STEP_SEC) this.u32[last] = now;
    let b = this.dropSlot[i]! - 1;
    if (b < 0) {
      b = this.allocDropBlock();
      this.dropSlot[i] = b + 1;
    }
    const off = b * DROP_BLOCK;
    this.dropData[off + r]! += 1;
    this.dropData[off + R + r]! += bytes;
    this.g[V_DROPS + r]! += 1;
    this.g[V_DROPS + R + r]! += bytes;
  }

  // ---- readers (copies, never live state) --------------------------------------------------

  stats(): FlowTableStats {
    return Object.freeze({ count: this.n, created: this.createdCount, evicted: this.evictedCount });
  }

  /** The global counters kept on the hot path: O(1). */
  globals(): FlowCounters {
    return counters(this.g);
  }

  /** Sums over live flows and evicted ones: O(flows). `all` equals `globals()`. */
  totals(): FlowTotals {
    const live = new Float64Array(V_LEN);
    const f = this.f64;
    for (let i = 0; i < this.n; i++) {
      const row = i << 3;
      live[V_PKT_LOCAL]! += f[row + F_PKT_LOCAL]!;
      live[V_BYTES_LOCAL]! += f[row + F_BYTES_LOCAL]!;
      live[V_PKT_MESH]! += f[row + F_PKT_MESH]!;
      live[V_BYTES_MESH]! += f[row + F_BYTES_MESH]!;
      const b = this.dropSlot[i]! - 1;
      if (b >= 0) {
        for (let k = 0; k < DROP_BLOCK; k++) live[V_DROPS + k]! += this.dropData[b * DROP_BLOCK + k]!;
      }
    }
    const all = new Float64Array(V_LEN);
    for (let k = 0; k < V_LEN; k++) all[k] = live[k]! + this.ev[k]!;
    return Object.freeze({ live: counters(live), evicted: counters(this.ev), all: counters(all) });
  }

  /** One flow, or undefined. */
  get(src: number, dst: number): FlowSnapshot | undefined {
    const i = this.index.find(src, dst);
    return i < 0 ? undefined : this.snapshot(i);
  }

  /** Every flow, optionally only those from `src` and/or to `dst`. O(flows). */
  list(filter: { src?: number; dst?: number } = {}): FlowSnapshot[] {
    const out: FlowSnapshot[] = [];
    for (let i = 0; i < this.n; i++) {
      if (filter.src !== undefined && this.u32[(i << 4) + U_SRC] !== filter.src) continue;
      if (filter.dst !== undefined && this.u32[(i << 4) + U_DST] !== filter.dst) continue;
      out.push(this.snapshot(i));
    }
    return out;
  }

  /**
   * Moves the rate marks; the node's ticker calls this (every second is fine). The table keeps two
   * marks of every flow's byte total, taken at tPrev < tCur; once rateWindowMs has passed since
   * tCur, the marks shift (prev := cur, cur := now). Only the ticker moves them, so any number of
   * readers see the same rates. Cost: 16 bytes per flow and O(flows) per shift; nothing on the hot path.
   */
  markRates(now: number = this.clock.now()): void {
    if (now - this.tCur < this.rateWindowMs) return;
    const f = this.f64;
    for (let i = 0; i < this.n; i++) {
      const row = i << 3;
      f[row + F_MARK_PREV] = f[row + F_MARK_CUR]!;
      f[row + F_MARK_CUR] = f[row + F_BYTES_LOCAL]! + f[row + F_BYTES_MESH]!;
    }
    this.tPrev = this.tCur;
    this.tCur = now;
  }

  /**
   * The `n` flows with the most bytes (local + mesh), all-time or per second. A rate spans
   * [previous mark, now] (or the flow's creation, if later): between one and two rate windows when
   * the ticker runs. Reading changes nothing.
   */
  top(n: number, by: TopBy): RatedFlow[] {
    if (!Number.isInteger(n) || n < 0) throw new RelayError('ERR_INTERNAL', 'top(n): n must be an integer >= 0', { n });
    const count = this.n;
    const now = this.clock.now();
    const score = new Float64Array(count);
    const since = new Float64Array(count);
    const f = this.f64;
    const total = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const row = i << 3;
      total[i] = f[row + F_BYTES_LOCAL]! + f[row + F_BYTES_MESH]!;
      const from = Math.max(this.tPrev, (this.baseSec + this.u32[(i << 4) + U_CREATED]!) * 1000);
      since[i] = from;
      score[i] = ((total[i]! - f[row + F_MARK_PREV]!) * 1000) / Math.max(1, now - from);
    }
    const order = topIndices(count, Math.min(n, count), (i) => (by === 'rate' ? score[i]! : total[i]!));
    return order.map((i) => Object.freeze({ ...this.snapshot(i), bytesPerSec: score[i]!, sinceMs: since[i]! }));
  }

  /** Bytes held in typed arrays (columns, index, drop blocks); excludes JS object headers. */
  memoryBytes(): number {
    let b = this.index.byteLength + this.dropData.byteLength;
    b += this.cap * (ROW_BYTES + 4);
    return b;
  }

  /**
   * Consistency check for tests and `--check` style debugging: every flow is indexed at its
   * position, and sums match the globals. O(flows).
   */
  audit(): string[] {
    const problems: string[] = [];
    if (this.index.size !== this.n) problems.push(`index holds ${this.index.size} keys for ${this.n} flows`);
    const u = this.u32;
    for (let i = 0; i < this.n; i++) {
      const at = this.index.find(u[(i << 4) + U_SRC]!, u[(i << 4) + U_DST]!);
      if (at !== i) problems.push(`flow ${u[(i << 4) + U_SRC]}>${u[(i << 4) + U_DST]} at ${i} indexed at ${at}`);
    }
    const { all } = this.totals();
    const g = this.globals();
    if (JSON.stringify(all) !== JSON.stringify(g)) problems.push('live + evicted sums differ from the global counters');
    return problems;
  }

  // ---- internals ---------------------------------------------------------------------------

  private nowSec(): number {
    const s = Math.floor(this.clock.now() / 1000) - this.baseSec;
    return s > 0 ? s : 0;
  }

  private flowOf(src: number, dst: number): number {
    const i = this.index.find(src, dst);
    return i >= 0 ? i : this.create(src, dst);
  }

  private create(src: number, dst: number): number {
    checkPeerId(src);
    checkPeerId(dst);
    const now = this.nowSec();
    this.evictIdle(now);
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.f64.fill(0, i << 3, (i << 3) + 6);
    const u = i << 4;
    this.u32[u + U_SRC] = src;
    this.u32[u + U_DST] = dst;
    this.u32[u + U_CREATED] = now;
    this.u32[u + U_LAST] = now;
    this.dropSlot[i] = 0;
    this.index.insert(src, dst, i);
    this.createdCount++;
    return i;
  }

  /** DERP's sweeper-free eviction: each creation looks at the next old flows round-robin. */
  private evictIdle(now: number): void {
    for (let k = 0; k < EVICT_CHECKS_PER_CREATE && this.n > 0; k++) {
      if (this.cursor >= this.n) this.cursor = 0;
      const i = this.cursor;
      // A removal swaps an unexamined flow into i, so the cursor stays put.
      if (now - this.u32[(i << 4) + U_LAST]! > this.idleEvictSec) this.removeAt(i);
      else this.cursor++;
    }
  }

  private removeAt(i: number): void {
    const ev = this.ev;
    const f = this.f64;
    const u = this.u32;
    const s = u[(i << 4) + U_SRC]!;
    const d = u[(i << 4) + U_DST]!;
    ev[V_PKT_LOCAL]! += f[(i << 3) + F_PKT_LOCAL]!;
    ev[V_BYTES_LOCAL]! += f[(i << 3) + F_BYTES_LOCAL]!;
    ev[V_PKT_MESH]! += f[(i << 3) + F_PKT_MESH]!;
    ev[V_BYTES_MESH]! += f[(i << 3) + F_BYTES_MESH]!;
    const b = this.dropSlot[i]! - 1;
    if (b >= 0) {
      const off = b * DROP_BLOCK;
      for (let k = 0; k < DROP_BLOCK; k++) ev[V_DROPS + k]! += this.dropData[off + k]!;
      this.dropData.fill(0, off, off + DROP_BLOCK);
      this.dropFree.push(b);
    }
    this.index.remove(s, d);
    const last = this.n - 1;
    if (i !== last) {
      const ms = u[(last << 4) + U_SRC]!;
      const md = u[(last << 4) + U_DST]!;
      f.copyWithin(i << 3, last << 3, (last + 1) << 3);
      this.dropSlot[i] = this.dropSlot[last]!;
      this.index.update(ms, md, i);
    }
    this.n = last;
    this.evictedCount++;
  }

  private allocDropBlock(): number {
    const free = this.dropFree.pop();
    if (free !== undefined) return free;
    const b = this.dropBlocks++;
    if ((b + 1) * DROP_BLOCK > this.dropData.length) this.dropData = grown(this.dropData, this.dropData.length * 2);
    return b;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const rows = new ArrayBuffer(cap * ROW_BYTES);
    new Uint8Array(rows).set(new Uint8Array(this.f64.buffer));
    this.f64 = new Float64Array(rows);
    this.u32 = new Uint32Array(rows);
    this.dropSlot = grown(this.dropSlot, cap);
    this.cap = cap;
  }

  private snapshot(i: number): FlowSnapshot {
    const u = i << 4;
    const r = i << 3;
    const s = this.u32[u + U_SRC]!;
    const d = this.u32[u + U_DST]!;
    const b = this.dropSlot[i]! - 1;
    return Object.freeze({
      src: s,
      dst: d,
      srcLabel: this.labels[s],
      dstLabel: this.labels[d],
      dstMesh: this.mesh[d] === true,
      createdMs: (this.baseSec + this.u32[u + U_CREATED]!) * 1000,
      lastActiveMs: (this.baseSec + this.u32[u + U_LAST]!) * 1000,
      packetsLocal: this.f64[r + F_PKT_LOCAL]!,
      bytesLocal: this.f64[r + F_BYTES_LOCAL]!,
      packetsMesh: this.f64[r + F_PKT_MESH]!,
      bytesMesh: this.f64[r + F_BYTES_MESH]!,
      drops: b < 0 ? NO_DROPS : dropsFrom(this.dropData, b * DROP_BLOCK),
    });
  }
}

function checkPeerId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PEER_ID) {
    throw new RelayError('ERR_INTERNAL', `peer id must be an integer in [0, ${MAX_PEER_ID}]`, { id });
  }
}

/** Indices of the k largest scores, largest first: a size-k min-heap, O(count · log k). */
function topIndices(count: number, k: number, score: (i: number) => number): number[] {
  if (k === 0) return [];
  const heap = new Int32Array(k);
  const val = new Float64Array(k);
  let size = 0;
  const siftDown = (p: number): void => {
    for (;;) {
      const l = 2 * p + 1;
      if (l >= size) return;
      const c = l + 1 < size && val[l + 1]! < val[l]! ? l + 1 : l;
      if (val[c]! >= val[p]!) return;
      [heap[c], heap[p]] = [heap[p]!, heap[c]!];
      [val[c], val[p]] = [val[p]!, val[c]!];
      p = c;
    }
  };
  for (let i = 0; i < count; i++) {
    const v = score(i);
    if (size < k) {
      let c = size++;
      heap[c] = i;
      val[c] = v;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (val[p]! <= val[c]!) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        [val[c], val[p]] = [val[p]!, val[c]!];
        c = p;
      }
    } else if (v > val[0]!) {
      heap[0] = i;
      val[0] = v;
      siftDown(0);
    }
  }
  const out: number[] = [];
  while (size > 0) {
    out.push(heap[0]!);
    size--;
    heap[0] = heap[size]!;
    val[0] = val[size]!;
    siftDown(0);
  }
  return out.reverse();
}
