/**
 * Reused buffers for coalesced socket writes. Every write of relayed frames used to be a fresh
 * Buffer.allocUnsafe of the run's size: above 4 KiB that is a new ArrayBuffer outside the V8 heap
 * each time (~100 MB/s at the push knee), and V8 answers external-memory growth with full
 * collections ("GC in old space requested", every ~200 ms at the knee) whatever the JS heap holds.
 * Here a write takes a buffer of the next power-of-two size class and gives it back when its
 * completion callback runs. At most 8 MiB are kept free in all (the few writes in flight at any
 * moment need far less), and a pool nobody took from for a trim interval lets its free buffers go:
 * an idle node holds none (the attack harness's memory-after-a-flood target counts them).
 *
 * A buffer may go back only when the write that used it has finished with it: net.Socket reports
 * an open socket's writes in order, so the writer returns them in FIFO order, and once the socket
 * is destroyed (completions may then come out of order) it returns none.
 */

/** Smallest class: below it Buffer.allocUnsafe slices Node's shared 8 KiB pool anyway. */
const MIN_BITS = 12;
/** Largest class (1 MiB): bigger writes (a block) get a buffer of their own. */
const MAX_BITS = 20;
/** Free bytes kept in all. */
const KEEP_BYTES = 8 * 1024 * 1024;
/** A pool not taken from for this long drops its free buffers. */
const TRIM_MS = 5000;

export class WriteBuffers {
  private readonly free: Buffer[][] = [];
  private freeTotal = 0;
  /** Takes since the last trim check. */
  private takes = 0;
  private trimTimer: NodeJS.Timeout | undefined;
  /** Buffers handed out that came from a free list (a pool hit). */
  reused = 0;

  constructor(private readonly trimMs = TRIM_MS) {
    for (let b = MIN_BITS; b <= MAX_BITS; b++) this.free.push([]);
  }

  /**
   * A buffer of at least `bytes` bytes whose contents are garbage, or undefined when `bytes` is
   * below or above the pooled sizes (the caller allocates it as before).
   */
  take(bytes: number): Buffer | undefined {
    if (bytes < 1 << MIN_BITS || bytes > 1 << MAX_BITS) return undefined;
    const bits = Math.max(MIN_BITS, 32 - Math.clz32(bytes - 1));
    const list = this.free[bits - MIN_BITS]!;
    this.takes++;
    const b = list.pop();
    if (b !== undefined) {
      this.reused++;
      this.freeTotal -= b.byteLength;
      return b;
    }
    return Buffer.allocUnsafeSlow(1 << bits);
  }

  /** `buf` (from take) is no longer used by anyone: it may be handed out again. */
  give(buf: Buffer): void {
    const bits = 31 - Math.clz32(buf.byteLength);
    if (bits < MIN_BITS || bits > MAX_BITS || buf.byteLength !== 1 << bits) return;
    if (this.freeTotal + buf.byteLength > KEEP_BYTES) return;
    this.free[bits - MIN_BITS]!.push(buf);
    this.freeTotal += buf.byteLength;
    if (this.trimTimer === undefined) {
      this.trimTimer = setInterval(() => this.trimIfIdle(), this.trimMs);
      this.trimTimer.unref();
    }
  }

  /** Free bytes held. */
  get freeBytes(): number {
    return this.freeTotal;
  }

  /** Drops every free buffer if nothing was taken since the last check. */
  trimIfIdle(): void {
    if (this.takes > 0) {
      this.takes = 0;
      return;
    }
    for (const list of this.free) list.length = 0;
    this.freeTotal = 0;
    clearInterval(this.trimTimer);
    this.trimTimer = undefined;
  }
}

/** The process's pool: writes of every node in the process share it. */
export const writeBuffers = new WriteBuffers();
