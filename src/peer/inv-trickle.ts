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
  /** The list being drained is swapped out first: emitting may queue (and flush) re-entrantly. */
  private spare = new InvEntries();

  constructor(private readonly known: KnownInventory) {}

  get queued(): number {
    return this.trickled.n + this.immediate.n;
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

  /** The trickle: everything queued that the peer is not known to have (it becomes known). */
  drainTrickle(magic: number, emit: (frame: Uint8Array) => void): void {
    const list = this.trickled;
    if (list.n === 0) return;
    this.trickled = this.spare;
    this.spare = list;
    list.drain(magic, 'inv', MAX_INV_TRICKLE, emit, (at) => {
      if (this.known.has(list.buf, at + 4)) return false;
      this.known.add(list.buf, at + 4);
      return true;
    });
  }

  clear(): void {
    this.trickled.clear();
    this.immediate.clear();
  }
}
