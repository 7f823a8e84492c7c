/**
 * A peer's outgoing announcements. Blocks, mesh peers and a zero trickle interval go out in the
 * current turn (one inv for everything announced in it); other transactions wait for the trickle
 * (btcd: every trickle interval, ≤ 1,000 entries per inv, minus what the peer meanwhile announced
 * to us). Entries are kept as their 36 wire bytes in one growing buffer: no per-item objects.
 */
import { copyHash } from '../relay/hash-index.js';
import type { KnownInventory } from '../relay/known-inventory.js';

/** Entries per trickled inv message (btcd maxInvTrickleSize). */
export const MAX_INV_TRICKLE = 1000;

class EntryList {
  buf = new Uint8Array(36 * 16);
  n = 0;
  push(type: number, src: Uint8Array, off: number): void {
    const at = 36 * this.n;
    if (at + 36 > this.buf.length) {
      const g = new Uint8Array(this.buf.length * 2);
      g.set(this.buf);
      this.buf = g;
    }
    const b = this.buf;
    b[at] = type & 0xff;
    b[at + 1] = (type >>> 8) & 0xff;
    b[at + 2] = (type >>> 16) & 0xff;
    b[at + 3] = (type >>> 24) & 0xff;
    copyHash(src, off, b, at + 4);
    this.n++;
  }
  clear(): void {
    this.n = 0;
    if (this.buf.length > 36 * 4096) this.buf = new Uint8Array(36 * 16);
  }
}

/** inv payloads of at most MAX_INV_TRICKLE of the given entries (CompactSize count + entries). */
function payloads(list: EntryList, keep: (at: number) => boolean, emit: (payload: Uint8Array) => void): void {
  let i = 0;
  while (i < list.n) {
    const idx: number[] = [];
    for (; i < list.n && idx.length < MAX_INV_TRICKLE; i++) if (keep(36 * i)) idx.push(36 * i);
    if (idx.length === 0) continue;
    const head = idx.length < 0xfd ? 1 : 3;
    const out = new Uint8Array(head + 36 * idx.length);
    if (head === 1) out[0] = idx.length;
    else {
      out[0] = 0xfd;
      out[1] = idx.length & 0xff;
      out[2] = idx.length >>> 8;
    }
    for (let k = 0; k < idx.length; k++) out.set(list.buf.subarray(idx[k]!, idx[k]! + 36), head + 36 * k);
    emit(out);
  }
}

export class InvTrickle {
  private readonly trickled = new EntryList();
  private readonly immediate = new EntryList();

  constructor(private readonly known: KnownInventory) {}

  get queued(): number {
    return this.trickled.n + this.immediate.n;
  }

  /** Queues the hash at src[off..]; returns true when it must go out this turn. */
  add(type: number, src: Uint8Array, off: number, immediate: boolean): boolean {
    if (this.known.has(src, off)) return false;
    if (immediate) {
      this.known.add(src, off);
      this.immediate.push(type, src, off);
      return true;
    }
    this.trickled.push(type, src, off);
    return false;
  }

  /** This turn's announcements, as inv payloads. */
  takeImmediate(emit: (payload: Uint8Array) => void): void {
    if (this.immediate.n === 0) return;
    payloads(this.immediate, () => true, emit);
    this.immediate.clear();
  }

  /** The trickle: everything queued that the peer is not known to have (it becomes known). */
  takeTrickle(emit: (payload: Uint8Array) => void): void {
    if (this.trickled.n === 0) return;
    const list = this.trickled;
    payloads(
      list,
      (at) => {
        if (this.known.has(list.buf, at + 4)) return false;
        this.known.add(list.buf, at + 4);
        return true;
      },
      emit,
    );
    list.clear();
  }

  clear(): void {
    this.trickled.clear();
    this.immediate.clear();
  }
}
