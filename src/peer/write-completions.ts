/**
 * The relayed frames of a peer's socket writes that have not completed yet, in write order: a
 * FIFO in typed arrays, so a write costs no array or closure of its own. A write that carries
 * relayed frames used to hold them in a fresh array captured by a fresh callback; under
 * backpressure those lived until the kernel took the bytes, long enough to be promoted, and the
 * full collections that freed them were the push harness's GC pauses at its knee.
 *
 * net.Socket reports a stream's writes in the order they were made while the socket is open. Once
 * it is destroyed, the writes still buffered are failed first and the one in flight is reported
 * after (Writable.destroy, stream_base_commons onWriteComplete), so positions no longer match: from
 * then on every completion counts as failed, whatever it says. A frame is delivered when its write
 * completed while the connection was still up.
 */

/** Where delivered and dropped relayed bytes are counted (the node's flow table and totals). */
export interface FlowSink {
  /**
   * A relayed frame from peer `src` (-1: injected locally) was taken by the socket for peer `dst`
   * (its write completed without error, while the connection was up).
   */
  delivered(src: number, dst: number, bytes: number, mesh: boolean, kind: 'tx' | 'block'): void;
  dropped(src: number, dst: number, reason: 'queue_head' | 'gone_disconnected' | 'announce_overflow', bytes: number): void;
}

const INITIAL = 64;

export class WriteCompletions {
  private src = new Int32Array(INITIAL);
  private bytes = new Int32Array(INITIAL);
  /** Bit 0: a tx (else a block); bit 1: sent to a mesh peer. */
  private kind = new Uint8Array(INITIAL);
  private fHead = 0;
  private fTail = 0;
  /** Frames per write, in write order. */
  private perWrite = new Int32Array(INITIAL);
  private wHead = 0;
  private wTail = 0;
  private open = 0;

  constructor(
    private readonly peerId: number,
    private readonly flows: FlowSink,
  ) {}

  /** A relayed frame of the write being built. */
  add(src: number, bytes: number, tx: boolean, mesh: boolean): void {
    if (this.fTail === this.src.length) this.compactFrames();
    const i = this.fTail++;
    this.src[i] = src;
    this.bytes[i] = bytes;
    this.kind[i] = (tx ? 1 : 0) | (mesh ? 2 : 0);
    this.open++;
  }

  /** The write being built goes to the socket (with or without relayed frames). */
  endWrite(): void {
    if (this.wTail === this.perWrite.length) {
      const live = this.wTail - this.wHead;
      if (this.wHead > 0 && live * 2 <= this.perWrite.length) this.perWrite.copyWithin(0, this.wHead, this.wTail);
      else this.perWrite = compact(this.perWrite, this.wHead, this.wTail, Int32Array);
      this.wHead = 0;
      this.wTail = live;
    }
    this.perWrite[this.wTail++] = this.open;
    this.open = 0;
  }

  /** The oldest write completed: its frames were delivered (`ok`) or went with the connection. */
  complete(ok: boolean): void {
    if (this.wHead === this.wTail) return;
    const n = this.perWrite[this.wHead++]!;
    if (this.wHead === this.wTail) this.wHead = this.wTail = 0;
    for (let k = 0; k < n; k++) {
      const i = this.fHead++;
      const src = this.src[i]!;
      const bytes = this.bytes[i]!;
      const kind = this.kind[i]!;
      if (ok) this.flows.delivered(src, this.peerId, bytes, (kind & 2) !== 0, (kind & 1) !== 0 ? 'tx' : 'block');
      else if (src >= 0) this.flows.dropped(src, this.peerId, 'gone_disconnected', bytes);
    }
    if (this.fHead === this.fTail) this.fHead = this.fTail = 0;
  }

  /** Room at the end of the frame arrays: move the live part to the front, or double them. */
  private compactFrames(): void {
    const live = this.fTail - this.fHead;
    if (this.fHead > 0 && live * 2 <= this.src.length) {
      this.src.copyWithin(0, this.fHead, this.fTail);
      this.bytes.copyWithin(0, this.fHead, this.fTail);
      this.kind.copyWithin(0, this.fHead, this.fTail);
    } else {
      this.src = compact(this.src, this.fHead, this.fTail, Int32Array);
      this.bytes = compact(this.bytes, this.fHead, this.fTail, Int32Array);
      this.kind = compact(this.kind, this.fHead, this.fTail, Uint8Array);
    }
    this.fHead = 0;
    this.fTail = live;
  }
}

/** [from, to) of `a` at the front of an array twice a's size. */
function compact<T extends Int32Array | Uint8Array>(a: T, from: number, to: number, ctor: new (n: number) => T): T {
  const b = new ctor(a.length * 2);
  b.set(a.subarray(from, to));
  return b;
}
