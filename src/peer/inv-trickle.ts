/**
 * A peer's outgoing announcements. Blocks, mesh peers and a zero trickle interval go out in the
 * current turn (one inv for everything announced in it); other transactions wait for the trickle
 * (btcd: every trickle interval, ≤ 1,000 entries per inv, minus what the peer meanwhile announced
 * to us). Entries stay in their wire form (InvEntries): no per-item objects.
 *
 * A one-entry inv is the same 61 bytes for every peer it goes to, so the last one built is shared:
 * a transaction announced to 1,000 peers in one turn costs one frame and one checksum (a double
 * SHA-256), not 1,000 (measured in docs/performance.md, "The two misses"). A queued frame is never
 * modified, so writers may share it, as they share the relay cache's frames.
 */
import { INV_ENTRY_SIZE, InvEntries } from '../relay/inv-entries.js';
import type { KnownInventory } from '../relay/known-inventory.js';

/** Entries per trickled inv message (btcd maxInvTrickleSize). */
export const MAX_INV_TRICKLE = 1000;
/**
 * Announcements a peer's trickle queue holds (1.8 MB); past it the oldest are dropped unsent. Core
 * bounds its queue by its mempool; ours is bounded by the relay cache, whose oldest entries a flood
 * evicts first: an announcement of one is a getdata answered with notfound. 50,000 is minutes of
 * mainnet's busiest relay at a 5 s trickle, and a second of a 100k tx/s flood (a full queue per
 * peer for 117 peers is 210 MB, not the 4 GB a 10 s trickle of such a flood would queue).
 */
export const MAX_TRICKLE_QUEUED = 50_000;

/** The last one-entry inv frame built (for any peer), with its network magic and its entry. */
let singleFrame: Uint8Array | undefined;
let singleMagic = 0;
const singleEntry = new Uint8Array(INV_ENTRY_SIZE);
const keepSingle = (f: Uint8Array): void => {
  singleFrame = f;
};

/** The inv frame for `list`'s one entry: the shared one when it is the same entry (the list is cleared). */
function singleInv(magic: number, list: InvEntries): Uint8Array {
  const b = list.buf;
  if (singleFrame !== undefined && singleMagic === magic) {
    let i = 0;
    while (i < INV_ENTRY_SIZE && b[i] === singleEntry[i]) i++;
    if (i === INV_ENTRY_SIZE) {
      list.clear();
      return singleFrame;
    }
  }
  singleFrame = undefined;
  singleMagic = magic;
  singleEntry.set(b.subarray(0, INV_ENTRY_SIZE));
  list.drain(magic, 'inv', 1, keepSingle);
  return singleFrame!;
}

export class InvTrickle {
  private trickled = new InvEntries();
  private immediate = new InvEntries();
  /** drainImmediate swaps the list being drained out first: emitting may queue (and flush) re-entrantly. */
  private spare = new InvEntries();
  /** The trickle being sent: entries [cursor, end) of `trickled` are due and not yet looked at. */
  private cursor = 0;
  private end = 0;

  /** Announcements dropped unsent past MAX_TRICKLE_QUEUED. */
  overflowed = 0;
  private draining = false;

  constructor(
    private readonly known: KnownInventory,
    private readonly maxQueued = MAX_TRICKLE_QUEUED,
  ) {}

  get queued(): number {
    return this.trickled.n - this.cursor + this.immediate.n;
  }

  /** A trickle is due and not all sent (drainTrickle's budget ran out). */
  get trickling(): boolean {
    return this.cursor < this.end;
  }

  /**
   * Queues the hash at src[off..], which the caller found not known to the peer; returns true when
   * it must go out this turn.
   */
  add(type: number, src: Uint8Array, off: number, immediate: boolean): boolean {
    if (immediate) {
      this.known.add(src, off);
      this.immediate.push(type, src, off);
      return true;
    }
    if (this.trickled.n - this.cursor >= this.maxQueued) {
      // The oldest goes unsent (due or not); its bytes leave the buffer with the next compaction.
      this.cursor++;
      if (this.end < this.cursor) this.end = this.cursor;
      this.overflowed++;
      if (!this.draining && 2 * this.cursor >= this.trickled.n) this.compact();
    }
    this.trickled.push(type, src, off);
    return false;
  }

  /** This turn's announcements, as inv frames. */
  drainImmediate(magic: number, emit: (frame: Uint8Array) => void): void {
    const list = this.immediate;
    if (list.n === 0) return;
    this.immediate = this.spare;
    this.spare = list;
    if (list.n === 1) emit(singleInv(magic, list));
    else list.drain(magic, 'inv', MAX_INV_TRICKLE, emit);
  }

  /** The trickle interval passed: everything queued until now is due. */
  startTrickle(): void {
    this.end = this.trickled.n;
  }

  /**
   * Sends what is due (startTrickle) and not known to the peer (it becomes known), at most
   * `budget` entries looked at; the rest stays due for the next call. Returns the entries looked at.
   */
  drainTrickle(magic: number, emit: (frame: Uint8Array) => void, budget = Infinity): number {
    const list = this.trickled;
    // What earlier calls sent leaves the buffer once it is most of it (amortized: O(1) per entry).
    if (this.cursor > 0 && 2 * this.cursor >= list.n) this.compact();
    if (this.cursor >= this.end) return 0;
    const from = this.cursor;
    const to = Math.min(this.end, from + budget);
    this.cursor = to;
    this.draining = true;
    try {
      list.drainRange(magic, 'inv', MAX_INV_TRICKLE, emit, this.keepUnknown, from, to);
    } finally {
      this.draining = false;
    }
    if (this.cursor === list.n) {
      list.clear();
      this.cursor = this.end = 0;
    }
    return to - from;
  }

  /** Drops the entries before the cursor from the buffer. */
  private compact(): void {
    this.trickled.shift(this.cursor);
    this.end -= this.cursor;
    this.cursor = 0;
  }

  private readonly keepUnknown = (at: number): boolean => {
    const b = this.trickled.buf;
    if (this.known.has(b, at + 4)) return false;
    this.known.add(b, at + 4);
    return true;
  };

  clear(): void {
    this.trickled.clear();
    this.immediate.clear();
    this.cursor = this.end = 0;
  }
}
