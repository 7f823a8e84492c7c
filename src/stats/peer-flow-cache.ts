/**
 * A source peer's most recently used flows: destination id → dense flow index, least recently used
 * evicted first. As in DERP's per-client flow LRU (maxClientFlowTrack = 100 in tailscale derp/derp_server.go),
 * the hot path asks this small table first and touches the shared index only on a miss; here the
 * gain is locality (a ~2 KiB table per peer stays in cache) rather than avoiding a lock.
 *
 * Everything lives in typed arrays sized once: a 2^k slot table (load ≤ 0.4) for lookups and a
 * doubly linked list through the entries for recency. No allocation after construction.
 *
 * Off by default in FlowTable: on this runtime it measured slower than the shared index it is
 * meant to spare (docs/flows-and-health.md). Kept, tested, for access patterns where it may pay.
 *
 * The flow table keeps the cached indices exact: it calls `set` when a swap-remove moves a flow
 * and `delete` when it evicts one, so a hit needs no re-check of the key.
 */
export const DEFAULT_PEER_FLOW_CACHE_SIZE = 100;
const MAX_CAPACITY = 4096;

export class PeerFlowCache {
  readonly capacity: number;
  private readonly bits: number;
  /** Entry number + 1 per slot; 0 = empty. */
  private readonly slots: Int16Array;
  private readonly entDst: Int32Array;
  private readonly entVal: Int32Array;
  /** Recency list; node `capacity` is the sentinel (next = most recent, prev = least recent). */
  private readonly next: Int16Array;
  private readonly prev: Int16Array;
  private allocated = 0;
  private live = 0;

  constructor(capacity = DEFAULT_PEER_FLOW_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`peer flow cache capacity must be an integer in [1, ${MAX_CAPACITY}]`);
    }
    this.capacity = capacity;
    let bits = 4;
    while (1 << bits < capacity * 2.5) bits++;
    this.bits = bits;
    this.slots = new Int16Array(1 << bits);
    this.entDst = new Int32Array(capacity).fill(-1);
    this.entVal = new Int32Array(capacity);
    this.next = new Int16Array(capacity + 1);
    this.prev = new Int16Array(capacity + 1);
    this.next[capacity] = capacity;
    this.prev[capacity] = capacity;
  }

  /** Number of destinations cached. */
  get size(): number {
    return this.live;
  }

  /** Flow index for `dst`, marking it most recently used; -1 on a miss. */
  get(dst: number): number {
    const e = this.entryOf(dst);
    if (e < 0) return -1;
    this.unlink(e);
    this.pushFront(e);
    return this.entVal[e]!;
  }

  /** Caches a destination that is not cached yet, evicting the least recently used at capacity. */
  put(dst: number, flowIndex: number): void {
    let e: number;
    if (this.allocated < this.capacity) {
      e = this.allocated++;
    } else {
      e = this.prev[this.capacity]!;
      this.unlink(e);
      if (this.entDst[e]! >= 0) {
        this.removeSlot(this.entDst[e]!);
        this.live--;
      }
    }
    this.entDst[e] = dst;
    this.entVal[e] = flowIndex;
    this.addSlot(dst, e);
    this.pushFront(e);
    this.live++;
  }

  /** Re-points a cached destination without touching its recency; no-op when absent. */
  set(dst: number, flowIndex: number): void {
    const e = this.entryOf(dst);
    if (e >= 0) this.entVal[e] = flowIndex;
  }

  /** Forgets a destination; its entry goes to the cold end to be reused first. */
  delete(dst: number): void {
    const e = this.entryOf(dst);
    if (e < 0) return;
    this.removeSlot(dst);
    this.entDst[e] = -1;
    this.unlink(e);
    this.pushBack(e);
    this.live--;
  }

  /** Snapshot of (dst, flowIndex) pairs, most recent first; for checks, not the hot path. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let e = this.next[this.capacity]!; e !== this.capacity; e = this.next[e]!) {
      if (this.entDst[e]! >= 0) out.push([this.entDst[e]!, this.entVal[e]!]);
    }
    return out;
  }

  private home(dst: number): number {
    // Fibonacci hashing: the top bits of dst·φ·2^32 spread consecutive ids over the table.
    return Math.imul(dst, 0x9e3779b1) >>> (32 - this.bits);
  }

  private entryOf(dst: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let h = this.home(dst);
    for (;;) {
      const s = slots[h]!;
      if (s === 0) return -1;
      if (this.entDst[s - 1] === dst) return s - 1;
      h = (h + 1) & mask;
    }
  }

  private addSlot(dst: number, e: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let h = this.home(dst);
    while (slots[h] !== 0) h = (h + 1) & mask;
    slots[h] = e + 1;
  }

  private removeSlot(dst: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let hole = this.home(dst);
    while (this.entDst[slots[hole]! - 1] !== dst) hole = (hole + 1) & mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j]!;
      if (s === 0) break;
      const home = this.home(this.entDst[s - 1]!);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      slots[hole] = s;
      hole = j;
    }
    slots[hole] = 0;
  }

  private unlink(e: number): void {
    const p = this.prev[e]!;
    const n = this.next[e]!;
    this.next[p] = n;
    this.prev[n] = p;
  }

  private pushFront(e: number): void {
    const head = this.capacity;
    const first = this.next[head]!;
    this.next[e] = first;
    this.prev[e] = head;
    this.prev[first] = e;
    this.next[head] = e;
  }

  private pushBack(e: number): void {
    const head = this.capacity;
    const last = this.prev[head]!;
    this.prev[e] = last;
    this.next[e] = head;
    this.next[last] = e;
    this.prev[head] = e;
  }
}
