/**
 * The headers chain: every header we accepted, with its hash, height, parent and cumulative work,
 * in typed arrays indexed by entry number (no object per header), a hash → entry open-addressing
 * table over the hash bytes, the best chain as height → entry, and an append-only file.
 *
 * Memory per entry: 80 (header) + 32 (hash) + 16 (work, u128) + 4 (parent) + 4 (height) + 4
 * (best chain) + 1 (failed mark) + 8 (table at load ≤ ½, Int32) = 149 B, so ~134 MB for 900k
 * mainnet headers (bench/block.bench.ts measures it). u128 work is exact: all of mainnet is ~2^96
 * hashes.
 *
 * Failed blocks (Core's BLOCK_FAILED_VALID / BLOCK_FAILED_CHILD, CChainState::InvalidBlockFound and
 * InvalidateBlock in src/validation.cpp): invalidate() marks an entry whose block failed the checks
 * (not a mutated copy: that says nothing of the header) and every descendant. Marked entries are
 * never the best tip: the tip moves back to the valid entry with the most work. A new header on a
 * marked one is refused ('bad-prevblk', Core BLOCK_INVALID_PREV); a marked header sent again is
 * refused as 'duplicate-invalid' (Core BLOCK_CACHED_INVALID). HeaderFile keeps the marks.
 *
 * Acceptance (Core src/validation.cpp CheckBlockHeader, ContextualCheckBlockHeader,
 * AcceptBlockHeader; src/pow.cpp): proof of work valid for its bits (a batch in WASM), parent
 * known, bits as the network's retarget rules expect, time above the median of the last 11, at
 * most 2 h ahead of `nowSec`, BIP94's timewarp rule, and versions ≥ 2/3/4 from the BIP34/66/65
 * heights. Checkpoints are not used. Peer input never throws: every refusal is a HeaderRejectCode.
 *
 * Low-work spam. Core stores a header chain only once it has minimum chain work, proven by headers
 * presync (src/headerssync.cpp: a first pass keeps 1-bit commitments, the redownload is stored
 * only as it matches them). Here instead each peer has a budget of headers it may make us store
 * that sit on a chain below nMinimumChainWork (`lowWorkBudget`, per call; the per-peer default is
 * LOW_WORK_HEADERS_PER_PEER); a chain at or above minimum work is stored without limit. The node
 * gives its chosen outbound sync peer an unbounded budget for the initial sync and inbound peers
 * the default, so an inbound attacker can make us store at most that many cheap headers, and
 * side branches (headers not on the best chain) are capped globally at MAX_SIDE_ENTRIES. This is
 * weaker than presync against a malicious *outbound* sync peer feeding a long low-work chain; see
 * the report on issue 19 for presync as the follow-up.
 */
import { checkHeadersPow, PowStatus, u256le } from '../wasm/header-pow.js';
import { blockWork, medianTimePast, nextWorkRequired, type AncestorView } from './pow.js';
import { retargetInterval, type ChainParams } from './params.js';
import type { HeaderRejectCode } from './header-reject.js';

/** Headers one peer may make us store below minimum chain work (one full `headers` message). */
export const LOW_WORK_HEADERS_PER_PEER = 2000;
/** Headers off the best chain kept at most (a reorg deeper than this is not followed). */
export const MAX_SIDE_ENTRIES = 20_000;
/** Core MAX_FUTURE_BLOCK_TIME: 2 hours. */
export const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;
/** BIP94 MAX_TIMEWARP: the first block of a period may be at most 600 s before its parent. */
export const MAX_TIMEWARP = 600;

export interface HeadersOutcome {
  /** Headers newly stored. */
  readonly stored: number;
  /** Headers we already had. */
  readonly known: number;
  /** The best tip moved. */
  readonly tipChanged: boolean;
  /** Entry of the last header that is now stored (new or known), -1 if none: the peer's best known. */
  readonly lastEntry: number;
  /** The first refusal; the headers after it were not looked at. */
  readonly reject?: { readonly code: HeaderRejectCode; readonly index: number };
}

const MASK64 = (1n << 64n) - 1n;
/** Core BLOCK_FAILED_VALID: this entry's own block is invalid. */
const FAILED_VALID = 1;
/** Core BLOCK_FAILED_CHILD: an ancestor's block is invalid. */
const FAILED_CHILD = 2;

export class HeaderChain {
  readonly params: ChainParams;
  private cap: number;
  private n = 0;
  private hdr: Uint8Array;
  private hashes: Uint8Array;
  private parent: Int32Array;
  private heights: Int32Array;
  private work: BigUint64Array;
  /** Best chain: height → entry. */
  private best: Int32Array;
  private bestEntry = 0;
  /** Per entry: 0, FAILED_VALID or FAILED_CHILD. */
  private failed: Uint8Array;
  private table: Int32Array;
  private tableMask: number;
  private readonly salt: number;
  private readonly limitLe: Uint8Array;
  private readonly lowWork = new Map<number, number>();
  /** First entry not yet written to the file (see pending()). */
  private pendingFrom = 1;

  constructor(params: ChainParams, opts: { capacity?: number; salt?: number } = {}) {
    this.params = params;
    this.cap = Math.max(1024, opts.capacity ?? 4096);
    this.hdr = new Uint8Array(80 * this.cap);
    this.hashes = new Uint8Array(32 * this.cap);
    this.parent = new Int32Array(this.cap);
    this.heights = new Int32Array(this.cap);
    this.work = new BigUint64Array(2 * this.cap);
    this.best = new Int32Array(this.cap);
    this.failed = new Uint8Array(this.cap);
    const slots = tableSize(this.cap);
    this.table = new Int32Array(slots).fill(-1);
    this.tableMask = slots - 1;
    // The table's slot comes from hash bytes, which a miner controls only at full PoW cost;
    // the salt keeps even cheap (regtest/testnet) headers from being ground into one probe run.
    this.salt = (opts.salt ?? Math.floor(Math.random() * 0x7fffffff)) | 1;
    this.limitLe = u256le(params.powLimit);
    const g = checkHeadersPow(params.genesisHeader, 0, 1, this.limitLe);
    this.store(params.genesisHeader, 0, g.hashes, 0, -1, 0, blockWork(readU32(params.genesisHeader, 72)));
    this.best[0] = 0;
    this.pendingFrom = 1;
  }

  // ---- reads ------------------------------------------------------------------------------------

  /** Stored headers, genesis included. */
  get size(): number {
    return this.n;
  }
  get tipEntry(): number {
    return this.bestEntry;
  }
  get tipHeight(): number {
    return this.heights[this.bestEntry]!;
  }
  /** Cumulative work of the best chain. */
  get tipWork(): bigint {
    return this.workOf(this.bestEntry);
  }
  /** The best chain has at least the network's minimum chain work. */
  get hasMinimumWork(): boolean {
    return this.tipWork >= this.params.minimumChainWork;
  }
  /** Entry of the header whose hash (internal order) is at src[off..off+32), or -1. */
  find(src: Uint8Array, off = 0): number {
    let s = this.slot(src, off);
    for (;;) {
      const e = this.table[s]!;
      if (e < 0) return -1;
      if (sameHash(this.hashes, e * 32, src, off)) return e;
      s = (s + 1) & this.tableMask;
    }
  }
  heightOf(entry: number): number {
    return this.heights[entry]!;
  }
  workOf(entry: number): bigint {
    return this.work[2 * entry]! | (this.work[2 * entry + 1]! << 64n);
  }
  /** The 80 header bytes of an entry (a view: copy it to keep it). */
  header(entry: number): Uint8Array {
    return this.hdr.subarray(entry * 80, entry * 80 + 80);
  }
  /** The hash of an entry, internal byte order (a view). */
  hash(entry: number): Uint8Array {
    return this.hashes.subarray(entry * 32, entry * 32 + 32);
  }
  timeOf(entry: number): number {
    return readU32(this.hdr, entry * 80 + 68);
  }
  /** Entry of the best chain at `height`, or -1. */
  atHeight(height: number): number {
    return height >= 0 && height <= this.tipHeight ? this.best[height]! : -1;
  }
  onBestChain(entry: number): boolean {
    return this.best[this.heights[entry]!] === entry && this.heights[entry]! <= this.tipHeight;
  }
  /** The entry's block, or an ancestor's, failed the checks (invalidate()). */
  isFailed(entry: number): boolean {
    return this.failed[entry] !== 0;
  }
  /** Entries marked FAILED_VALID themselves (what HeaderFile persists), in entry order. */
  failedEntries(): number[] {
    const out: number[] = [];
    for (let e = 1; e < this.n; e++) if (this.failed[e] === FAILED_VALID) out.push(e);
    return out;
  }
  /** Median time past of the chain ending at `entry` (for a child block's checks). */
  medianTimePast(entry: number): number {
    return medianTimePast(this.view(entry), this.heights[entry]!);
  }
  /** Ancestor of `entry` at `height` ≤ its height. */
  ancestor(entry: number, height: number): number {
    let e = entry;
    while (this.heights[e]! > height) {
      if (this.onBestChain(e)) return this.best[height]!;
      e = this.parent[e]!;
    }
    return e;
  }

  /**
   * Block locator of the chain ending at `entry` (default: the best tip): the last 10 hashes,
   * then exponentially sparser, and genesis (Core CChain::GetLocator). Copies, newest first, for
   * src/wire/block-locator.ts.
   */
  locator(entry = this.bestEntry): Uint8Array[] {
    const out: Uint8Array[] = [];
    let h = this.heights[entry]!;
    let step = 1;
    let e = entry;
    for (;;) {
      out.push(this.hashes.slice(e * 32, e * 32 + 32));
      if (h === 0) break;
      h = Math.max(h - step, 0);
      e = this.ancestor(e, h);
      if (out.length >= 10) step *= 2;
    }
    return out;
  }

  /**
   * For a peer's getheaders: the best-chain headers after the first locator hash we have on our
   * best chain (genesis if none), up to `max` or the stop hash. Returns n × 80 bytes.
   */
  headersAfter(locator: readonly Uint8Array[], hashStop: Uint8Array, max = 2000): { bytes: Uint8Array; count: number } {
    let from = 0;
    for (const h of locator) {
      const e = this.find(h, 0);
      if (e >= 0 && this.onBestChain(e)) {
        from = this.heights[e]!;
        break;
      }
    }
    const stop = this.find(hashStop, 0);
    const last = Math.min(this.tipHeight, from + max);
    let count = 0;
    const bytes = new Uint8Array(80 * Math.max(0, last - from));
    for (let h = from + 1; h <= last; h++) {
      const e = this.best[h]!;
      bytes.set(this.header(e), 80 * count++);
      if (e === stop) break;
    }
    return { bytes: bytes.subarray(0, 80 * count), count };
  }

  // ---- acceptance -------------------------------------------------------------------------------

  /**
   * Checks and stores `count` headers laid out back to back in src[off..] (a `headers` message's
   * entries without their tx counts, or one announcement). One WASM call hashes and PoW-checks
   * them all. Stops at the first refusal. `lowWorkBudget` overrides the peer's remaining budget
   * of headers below minimum chain work (Infinity for the node's chosen sync peer).
   */
  acceptHeaders(peer: number, src: Uint8Array, off: number, count: number, nowSec: number, lowWorkBudget?: number): HeadersOutcome {
    if (count === 0) return { stored: 0, known: 0, tipChanged: false, lastEntry: -1 };
    const pow = checkHeadersPow(src, off, count, this.limitLe);
    const tipBefore = this.bestEntry;
    let stored = 0;
    let known = 0;
    let lastEntry = -1;
    const finish = (reject?: { code: HeaderRejectCode; index: number }): HeadersOutcome =>
      reject === undefined
        ? { stored, known, tipChanged: this.bestEntry !== tipBefore, lastEntry }
        : { stored, known, tipChanged: this.bestEntry !== tipBefore, lastEntry, reject };
    for (let i = 0; i < count; i++) {
      const at = off + 80 * i;
      if (pow.status[i] !== PowStatus.OK) return finish({ code: 'bad-pow', index: i });
      if (i > 0 && !sameHash(src, at + 4, pow.hashes, 32 * (i - 1))) return finish({ code: 'non-continuous', index: i });
      const have = this.find(pow.hashes, 32 * i);
      if (have >= 0 && this.failed[have] !== 0) return finish({ code: 'duplicate-invalid', index: i });
      if (have >= 0) {
        known++;
        lastEntry = have;
        continue;
      }
      const prev = this.find(src, at + 4);
      if (prev < 0) return finish({ code: 'unconnected', index: i });
      if (this.failed[prev] !== 0) return finish({ code: 'bad-prevblk', index: i });
      const code = this.contextualCheck(src, at, prev, nowSec);
      if (code !== undefined) return finish({ code, index: i });
      const w = this.workOf(prev) + blockWork(readU32(src, at + 72));
      const extendsBest = prev === this.bestEntry || w > this.tipWork;
      if (!extendsBest && this.n - (this.tipHeight + 1) >= MAX_SIDE_ENTRIES) return finish({ code: 'side-budget', index: i });
      if (w < this.params.minimumChainWork) {
        const used = this.lowWork.get(peer) ?? 0;
        if (used >= (lowWorkBudget ?? LOW_WORK_HEADERS_PER_PEER)) return finish({ code: 'low-work-budget', index: i });
        this.lowWork.set(peer, used + 1);
      }
      lastEntry = this.store(src, at, pow.hashes, 32 * i, prev, this.heights[prev]! + 1, w);
      stored++;
    }
    return finish();
  }

  /**
   * Marks `entry`'s block invalid (FAILED_VALID) and its descendants FAILED_CHILD; if the best tip
   * was among them, the valid entry with the most work becomes the tip (the first stored wins a
   * tie, as Core's sequence ids do). Returns false for genesis, an unknown entry, or one already
   * marked FAILED_VALID. O(entries): it costs its cause a valid proof of work.
   */
  invalidate(entry: number): boolean {
    if (entry <= 0 || entry >= this.n || this.failed[entry] === FAILED_VALID) return false;
    this.failed[entry] = FAILED_VALID;
    // Every descendant was stored after its parent: one pass in entry order reaches them all.
    for (let e = entry + 1; e < this.n; e++) if (this.failed[e] === 0 && this.failed[this.parent[e]!] !== 0) this.failed[e] = FAILED_CHILD;
    if (this.failed[this.bestEntry] === 0) return true;
    let top = 0;
    let topWork = this.workOf(0);
    for (let e = 1; e < this.n; e++) {
      if (this.failed[e] !== 0) continue;
      const w = this.workOf(e);
      if (w > topWork) {
        top = e;
        topWork = w;
      }
    }
    this.setBest(top);
    return true;
  }

  /** Forget a disconnected peer's low-work count (what it made us store stays). */
  forgetPeer(peer: number): void {
    this.lowWork.delete(peer);
  }

  private contextualCheck(src: Uint8Array, at: number, prev: number, nowSec: number): HeaderRejectCode | undefined {
    const p = this.params;
    const height = this.heights[prev]! + 1;
    const version = readI32(src, at);
    if ((version < 2 && height >= p.bip34Height) || (version < 3 && height >= p.bip66Height) || (version < 4 && height >= p.bip65Height)) return 'bad-version';
    const time = readU32(src, at + 68);
    const view = this.view(prev);
    if (readU32(src, at + 72) !== nextWorkRequired(p, view, time)) return 'bad-diffbits';
    if (time <= medianTimePast(view, height - 1)) return 'time-too-old';
    if (p.enforceBip94 && height % retargetInterval(p) === 0 && time < this.timeOf(prev) - MAX_TIMEWARP) return 'time-timewarp-attack';
    if (time > nowSec + MAX_FUTURE_BLOCK_TIME) return 'time-too-new';
    return undefined;
  }

  /** Ancestors of `entry` for the difficulty rules, without objects per header. */
  private view(entry: number): AncestorView {
    const height = this.heights[entry]!;
    const onBest = this.onBestChain(entry);
    // Off the best chain the lookups come in falling heights (the testnet walk-back, the median
    // time past, a period's first block), so a cursor continues from the last one instead of
    // walking from `entry` each time: a walk-back of k headers costs k steps, not k²/2, which a
    // side branch of cheap testnet min-difficulty headers could otherwise turn into CPU burn.
    let cur = entry;
    let curH = height;
    const at = (h: number): number => {
      if (onBest) return this.best[h]!;
      if (h > curH) {
        cur = entry;
        curH = height;
      }
      while (curH > h) {
        if (this.onBestChain(cur)) return this.best[h]!;
        cur = this.parent[cur]!;
        curH--;
      }
      return cur;
    };
    return {
      height,
      timeAt: (h) => readU32(this.hdr, at(h) * 80 + 68),
      bitsAt: (h) => readU32(this.hdr, at(h) * 80 + 72),
    };
  }

  // ---- storage ----------------------------------------------------------------------------------

  /** Adds a checked header; moves the best tip if its work is greater (first seen wins ties). */
  private store(src: Uint8Array, at: number, hashSrc: Uint8Array, hashOff: number, prev: number, height: number, w: bigint): number {
    if (this.n === this.cap) this.grow();
    const e = this.n++;
    this.hdr.set(src.subarray(at, at + 80), e * 80);
    this.hashes.set(hashSrc.subarray(hashOff, hashOff + 32), e * 32);
    this.parent[e] = prev;
    this.heights[e] = height;
    this.work[2 * e] = w & MASK64;
    this.work[2 * e + 1] = w >> 64n;
    this.insert(e);
    if (e > 0 && w > this.tipWork) this.setBest(e);
    return e;
  }

  private setBest(e: number): void {
    const h = this.heights[e]!;
    if (h >= this.best.length) {
      const g = new Int32Array(Math.max(h + 1, this.best.length * 2));
      g.set(this.best);
      this.best = g;
    }
    // Rewrite the best chain back to the fork point.
    let x = e;
    let xh = h;
    while (xh >= 0 && this.best[xh] !== x) {
      this.best[xh] = x;
      x = this.parent[x]!;
      xh--;
    }
    this.bestEntry = e;
  }

  private slot(src: Uint8Array, off: number): number {
    const a = (src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16) | (src[off + 3]! << 24)) ^ this.salt;
    const b = src[off + 5]! | (src[off + 6]! << 8) | (src[off + 7]! << 16);
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> 0 & this.tableMask;
  }

  private insert(e: number): void {
    let s = this.slot(this.hashes, e * 32);
    while (this.table[s]! >= 0) s = (s + 1) & this.tableMask;
    this.table[s] = e;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const hdr = new Uint8Array(80 * cap);
    hdr.set(this.hdr);
    this.hdr = hdr;
    const hashes = new Uint8Array(32 * cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const parent = new Int32Array(cap);
    parent.set(this.parent);
    this.parent = parent;
    const heights = new Int32Array(cap);
    heights.set(this.heights);
    this.heights = heights;
    const work = new BigUint64Array(2 * cap);
    work.set(this.work);
    this.work = work;
    const failed = new Uint8Array(cap);
    failed.set(this.failed);
    this.failed = failed;
    this.cap = cap;
    const slots = tableSize(cap);
    if (slots > this.table.length) {
      this.table = new Int32Array(slots).fill(-1);
      this.tableMask = slots - 1;
      for (let e = 0; e < this.n; e++) this.insert(e);
    }
  }

  /**
   * Headers stored and not yet written to the file (entries after genesis, in order), as a view
   * valid until the next store; markWritten() once they are durable.
   */
  pending(): { readonly bytes: Uint8Array; readonly upTo: number } {
    return { bytes: this.hdr.subarray(this.pendingFrom * 80, this.n * 80), upTo: this.n };
  }
  markWritten(upTo: number): void {
    this.pendingFrom = Math.max(this.pendingFrom, upTo);
  }

  /** Bytes held by the arrays (for the memory report). */
  get byteSize(): number {
    return this.hdr.byteLength + this.hashes.byteLength + this.parent.byteLength + this.heights.byteLength + this.work.byteLength + this.best.byteLength + this.failed.byteLength + this.table.byteLength;
  }

  /**
   * Re-links headers read back from our own file: proof of work is checked again (one WASM call
   * per chunk) and each must connect, but the contextual rules were checked when they were first
   * stored. Returns how many were restored; the rest (from the first that fails) is for the
   * caller to truncate.
   */
  restore(records: Uint8Array, count: number): number {
    const CHUNK = 8192;
    for (let base = 0; base < count; base += CHUNK) {
      const k = Math.min(CHUNK, count - base);
      const pow = checkHeadersPow(records, base * 80, k, this.limitLe);
      for (let i = 0; i < k; i++) {
        const at = (base + i) * 80;
        if (pow.status[i] !== PowStatus.OK) return base + i;
        if (this.find(pow.hashes, 32 * i) >= 0) continue;
        const prev = this.find(records, at + 4);
        if (prev < 0) return base + i;
        this.store(records, at, pow.hashes, 32 * i, prev, this.heights[prev]! + 1, this.workOf(prev) + blockWork(readU32(records, at + 72)));
      }
    }
    this.pendingFrom = this.n;
    return count;
  }
}

function tableSize(cap: number): number {
  let s = 1024;
  while (s < cap * 2) s *= 2;
  return s;
}

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function readI32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

function sameHash(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
