/**
 * A peer's outgoing announcements. Blocks, mesh peers and a zero trickle interval go out in the
 * current turn (one inv for everything announced in it); other transactions wait for the trickle
 * (btcd: every trickle interval, ≤ 1,000 entries per inv, minus what the peer meanwhile announced
 * to us). Entries stay in their wire form (InvEntries): no per-item objects.
 */
import { InvEntries } from '../relay/inv-entries.js';
import type { KnownInventory } from '../relay/known-inventory.js';

/** Entries per trickled inv message (btcd maxInvTrickleSize). */
export const MAX_INV_TRICKLE = 1000;

export class InvTrickle {
  private readonly trickled = new InvEntries();
  private readonly immediate = new InvEntries();

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
    if (this.immediate.n > 0) this.immediate.drain(magic, 'inv', MAX_INV_TRICKLE, emit);
  }

  /** The trickle: everything queued that the peer is not known to have (it becomes known). */
  drainTrickle(magic: number, emit: (frame: Uint8Array) => void): void {
    const list = this.trickled;
    if (list.n === 0) return;
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
