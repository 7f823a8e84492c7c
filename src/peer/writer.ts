/**
 * A peer's outgoing side: a bounded queue of frames and one coalesced socket write per event-loop
 * turn. Control messages (handshake, pong, getdata, notfound, announcements) are never dropped;
 * relayed items are, oldest first, once the queue is over its byte or message bound — a slow
 * reader must not make the node buffer without limit (tailscale#16977: drop the head).
 *
 * Writes are batched across peers: every writer with something queued is flushed once, in one
 * setImmediate for all of them (WriteScheduler). A flush gathers everything queued into one
 * buffer and hands it to the socket in one write (measured against cork/uncork in
 * docs/performance.md). Relayed frames are views into the relay cache's slabs: a write copies them
 * (the slab may be refilled once the item leaves the cache, and the socket may hold a chunk
 * until the kernel takes it), and one that was refilled while queued reads as empty and is
 * dropped (src/relay/frame-slabs.ts). Only frames with their own buffer (blocks) are written
 * as they are.
 */
import { performance } from 'node:perf_hooks';
import { OWN_BUFFER_MIN } from '../relay/frame-slabs.js';
import { SocketCounts } from '../stats/socket-counts.js';
import type { Transport } from '../transport/transport.js';
import { WriteCompletions } from './write-completions.js';
import { writeBuffers } from './write-buffers.js';
import type { FlowSink } from './write-completions.js';

export type { FlowSink };

/** The part of a socket the writer uses (net.Socket, or an in-memory one in tests and benches). */
export interface WritableSocket {
  readonly writableLength: number;
  readonly destroyed: boolean;
  /** `done` runs once the chunk is written, with the error when it was not (net.Socket semantics). */
  write(chunk: Uint8Array, done?: (err?: Error | null) => void): boolean;
}

/** Bytes handed to the kernel before we wait for 'drain'; the rest stays in our bounded queue. */
const WRITE_BUDGET_BYTES = 256 * 1024;
/** Queue marker for a control frame (never dropped, no flow). */
const CONTROL = -2;
/** Transport bytes (a v2 key exchange) written as they are, never wrapped or dropped. */
const RAW = -3;
/** A relayed frame whose slab was refilled before it was written (dropped, left out). */
const STALE = -4;

/**
 * Writing time per event-loop turn. Past it the writers not yet flushed wait for the next turn
 * (after its reads), first in line, so a 1,000-peer fan-out (~15 ms of socket writes for one
 * transaction's invs, docs/performance.md) does not hold every other socket for the whole of it.
 * Not tuned: the 2026-12-07 runs (2-vCPU EPYC VM, load average 8–21) could not show its effect on
 * p99 either way (docs/performance.md, "Issue 21").
 */
export const TURN_WRITE_BUDGET_MS = 4;

/**
 * Runs every pending flush once per event-loop turn, in one callback, within a time budget: what
 * is left goes on in the next turn, ahead of writers scheduled meanwhile (each destination waits
 * at most one turn longer than the others: fair across destinations).
 */
export class WriteScheduler {
  /** The node's socket counts (metrics): its writers add each socket write, its peers each read. */
  constructor(
    readonly sockets: SocketCounts = new SocketCounts(),
    private readonly budgetMs = TURN_WRITE_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private pending: PeerWriter[] = [];
  private scheduled = false;
  /** Turns whose writes ran past the budget and went on in the next turn. */
  deferredTurns = 0;
  private readonly run = (): void => {
    this.scheduled = false;
    const list = this.pending;
    this.pending = [];
    const start = this.now();
    for (let i = 0; i < list.length; i++) {
      list[i]!.flush();
      if (i + 1 < list.length && this.now() - start >= this.budgetMs) {
        // Writers scheduled during these flushes are already in this.pending: they come after.
        this.pending = list.slice(i + 1).concat(this.pending);
        this.deferredTurns++;
        this.arm();
        return;
      }
    }
  };

  schedule(w: PeerWriter): void {
    this.pending.push(w);
    this.arm();
  }

  private arm(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }
}

export interface WriterOptions {
  readonly maxBytes: number;
  readonly maxMessages: number;
}

/** Queue arrays longer than this are dropped once the queue empties (reused below it). */
const KEPT_CAPACITY = 1024;

export class PeerWriter {
  /**
   * Each queued frame is bufs[i][offs[i] .. offs[i] + lens[i]): a relayed frame is queued as the
   * slab it sits in and its offset, not as a view of its own (a long queue of views was promoted
   * garbage). A slab that empties reads as empty (frame-slabs.ts), so a frame whose slab was
   * refilled while it waited is shorter than its length here and is left out.
   */
  private bufs: (Uint8Array | undefined)[] = [];
  private offs: number[] = [];
  private srcs: number[] = [];
  private lens: number[] = [];
  /** The queue is [head, tail) of the four arrays, which keep their capacity between turns. */
  private head = 0;
  private tail = 0;
  private readonly completions: WriteCompletions;
  /**
   * The pooled buffer of each write not yet completed (undefined for a write that used none), in
   * write order: [pHead, pooled.length). Given back to the pool as each completes.
   */
  private pooled: (Buffer | undefined)[] = [];
  private pHead = 0;
  /** The buffer the write being built was gathered into, if pooled. */
  private lastPooled: Buffer | undefined;
  /** A write failed or the socket was destroyed: later completions relay nothing either. */
  private failed = false;
  private bytes = 0;
  private scheduled = false;
  private flushing = false;
  private closed = false;
  bytesOut = 0;
  /** Runs at the start of every flush (the peer adds this turn's announcements). */
  beforeFlush: (() => void) | undefined;
  /** Control messages pile past twice the bound: the peer asks faster than it reads. */
  onOverflow: (() => void) | undefined;
  /** Bytes were handed to the socket (the peer's last-send time). */
  onWrite: (() => void) | undefined;

  constructor(
    private readonly peerId: number,
    private readonly socket: WritableSocket,
    private readonly transport: Transport,
    private readonly options: WriterOptions,
    private readonly flows: FlowSink,
    private readonly scheduler: WriteScheduler,
    private readonly isMesh: () => boolean,
  ) {
    this.completions = new WriteCompletions(peerId, flows);
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** Bytes queued here (not yet given to the socket). */
  get byteLength(): number {
    return this.bytes;
  }

  /** Bytes not yet on the wire: queued here or buffered by the socket. */
  get backlog(): number {
    return this.bytes + this.socket.writableLength;
  }

  /** Queues a control frame (never dropped). */
  queueControl(frame: Uint8Array): void {
    this.push(frame, 0, frame.byteLength, CONTROL);
  }

  /** Queues bytes the transport itself must send (sink.writeRaw): not wrapped, never dropped. */
  queueRaw(bytes: Uint8Array): void {
    this.push(bytes, 0, bytes.byteLength, RAW);
  }

  /**
   * Queues a relayed frame, memory[off .. off + len), from peer `src` (-1: injected locally);
   * dropped first under pressure.
   */
  queueRelayed(memory: Uint8Array, src: number, off = 0, len = memory.byteLength): void {
    this.push(memory, off, len, src);
  }

  private push(memory: Uint8Array, off: number, len: number, src: number): void {
    if (this.closed) {
      if (src >= 0) this.flows.dropped(src, this.peerId, 'gone_disconnected', len);
      return;
    }
    // Written in place: an array emptied by a flush is reused, not grown again from nothing (a
    // long queue's arrays regrown turn after turn were promoted garbage, collected by full GCs).
    const t = this.tail++;
    if (t < this.bufs.length) {
      this.bufs[t] = memory;
      this.offs[t] = off;
      this.srcs[t] = src;
      this.lens[t] = len;
    } else {
      this.bufs.push(memory);
      this.offs.push(off);
      this.srcs.push(src);
      this.lens.push(len);
    }
    this.bytes += len;
    // Queued by beforeFlush during a flush: the write that follows takes it; bounds apply after.
    if (this.flushing) return;
    const { maxBytes, maxMessages } = this.options;
    // Over the bound, hand what the socket takes to the kernel first: only a peer that does not
    // read (its socket buffer stays full) should lose items, not one that asked for a burst.
    if (this.bytes > maxBytes || this.length > maxMessages) this.flush();
    if (this.bytes > maxBytes || this.length > maxMessages) this.dropOldestRelayed(maxBytes, maxMessages);
    if (this.bytes > 2 * maxBytes || this.length > 2 * maxMessages) {
      this.onOverflow?.();
      return;
    }
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.scheduler.schedule(this);
  }

  /**
   * Drops relayed frames, oldest first, until the queue is within its bounds or only control and
   * raw frames are left. One pass over the queue's head: the control and raw frames met on the way
   * stay, in order, packed against the first frame not scanned, and the head moves past the gap.
   */
  private dropOldestRelayed(maxBytes: number, maxMessages: number): void {
    const { bufs, offs, srcs, lens } = this;
    let length = this.tail - this.head;
    let end = this.head;
    for (; end < this.tail && (this.bytes > maxBytes || length > maxMessages); end++) {
      const src = srcs[end]!;
      if (src === CONTROL || src === RAW) continue;
      const bytes = lens[end]!;
      this.bytes -= bytes;
      length--;
      this.dropped(src, bytes);
    }
    // Every relayed frame in [head, end) was dropped: move the kept ones back to end, in order.
    let to = end;
    for (let i = end - 1; i >= this.head; i--) {
      const src = srcs[i]!;
      if (src !== CONTROL && src !== RAW) continue;
      to--;
      bufs[to] = bufs[i];
      offs[to] = offs[i]!;
      srcs[to] = src;
      lens[to] = lens[i]!;
    }
    for (let i = this.head; i < to; i++) bufs[i] = undefined;
    this.head = to;
  }

  /** Writes what the socket takes, in one coalesced write per budget. */
  flush(): void {
    this.scheduled = false;
    // beforeFlush queues frames, and queueing over the bound flushes: never re-enter.
    if (this.socket.destroyed || this.flushing) return;
    this.flushing = true;
    try {
      this.beforeFlush?.();
      this.writeQueued();
    } finally {
      this.flushing = false;
    }
  }

  private writeQueued(): void {
    const mesh = this.isMesh();
    while (this.head < this.tail && this.socket.writableLength < WRITE_BUDGET_BYTES) {
      let budget = WRITE_BUDGET_BYTES - this.socket.writableLength;
      const start = this.head;
      let end = start;
      let total = 0;
      while (end < this.tail && (end === start || budget > 0)) {
        const b = this.bufs[end]!;
        const len = this.lens[end]!;
        total += len;
        budget -= len;
        const src = this.srcs[end]!;
        end++;
        if (src === CONTROL || src === RAW) continue;
        const at = this.offs[end - 1]!;
        if (b.byteLength < at + len) {
          // Its slab was refilled while it waited here (the item left the cache long ago).
          this.srcs[end - 1] = STALE;
          this.dropped(src, len);
          continue;
        }
        // The command is in the frame: "tx" or "block". A relayed frame counts its v1 size on
        // every transport (v2 seals it); it is counted when its write completes.
        this.completions.add(src, len, b[at + 4] === 0x74, mesh);
      }
      const chunk = this.gather(start, end);
      for (let i = start; i < end; i++) this.bufs[i] = undefined;
      this.head = end;
      this.bytes -= total;
      if (chunk === undefined) continue;
      this.bytesOut += chunk.byteLength;
      this.onWrite?.();
      this.scheduler.sockets.writes++;
      this.completions.endWrite();
      this.pooled.push(this.lastPooled);
      this.lastPooled = undefined;
      this.socket.write(chunk, this.onWritten);
    }
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      // A burst's capacity is not kept for ever (1,000 peers × a long queue's arrays).
      if (this.bufs.length > KEPT_CAPACITY) this.resetArrays();
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      const n = this.tail - this.head;
      this.bufs.copyWithin(0, this.head, this.tail);
      this.offs.copyWithin(0, this.head, this.tail);
      this.srcs.copyWithin(0, this.head, this.tail);
      this.lens.copyWithin(0, this.head, this.tail);
      this.bufs.fill(undefined, n, this.tail);
      this.head = 0;
      this.tail = n;
    }
  }

  private dropped(src: number, bytes: number): void {
    if (src >= 0) this.flows.dropped(src, this.peerId, 'queue_head', bytes);
  }

  /**
   * Every socket write's completion (one function for all of them): its relayed frames were
   * delivered if it succeeded while the socket was open; a failed write (the socket errored or was
   * destroyed) relayed nothing, and its frames went with the peer (WriteCompletions).
   */
  private readonly onWritten = (err?: Error | null): void => {
    if (err != null || this.socket.destroyed) this.failed = true;
    this.completions.complete(!this.failed);
    // In write order while the socket is open; after that the order is not known, and no buffer
    // goes back (the one a kernel write may still be reading would be handed out again).
    const buf = this.pooled[this.pHead];
    this.pooled[this.pHead++] = undefined;
    if (this.pHead === this.pooled.length) {
      this.pooled.length = 0;
      this.pHead = 0;
    } else if (this.pHead > 64 && this.pHead * 2 > this.pooled.length) {
      this.pooled.splice(0, this.pHead);
      this.pHead = 0;
    }
    if (buf !== undefined && !this.failed) writeBuffers.give(buf);
  };

  /**
   * The frames [start, end) as one buffer of wire bytes, leaving out stale ones; undefined when
   * none is left. A copy, unless it is one control or raw frame or one with its own buffer.
   */
  private gather(start: number, end: number): Uint8Array | undefined {
    const { bufs, offs, srcs, lens } = this;
    if (this.transport.passthrough) {
      let n = 0;
      let only = start;
      let total = 0;
      for (let i = start; i < end; i++) {
        if (srcs[i] === STALE) continue;
        n++;
        only = i;
        total += lens[i]!;
      }
      if (n === 0) return undefined;
      if (n === 1) {
        const f = bufs[only]!;
        const src = srcs[only]!;
        // Control and raw frames, and blocks in their own buffer, go as they are; a relayed frame
        // in a slab is copied: no kernel write may hold a slab that can be refilled.
        if (src === CONTROL || src === RAW || (lens[only]! >= OWN_BUFFER_MIN && offs[only] === 0 && lens[only] === f.byteLength)) return f;
      }
      // Copied run by run: frames that lie back to back in the same memory (a slab fills in arrival
      // order, so a peer's relayed frames mostly do) are copied with one view. Into a pooled
      // buffer (write-buffers.ts) when the run is large enough for one.
      const pooled = writeBuffers.take(total);
      this.lastPooled = pooled;
      const out = pooled === undefined ? Buffer.allocUnsafe(total) : pooled.subarray(0, total);
      let pos = 0;
      let runMem: Uint8Array | undefined;
      let runFrom = 0;
      let runTo = 0;
      for (let i = start; i < end; i++) {
        if (srcs[i] === STALE) continue;
        const mem = bufs[i]!;
        const at = offs[i]!;
        if (mem === runMem && at === runTo) {
          runTo += lens[i]!;
          continue;
        }
        if (runMem !== undefined) pos = copyRun(out, pos, runMem, runFrom, runTo);
        runMem = mem;
        runFrom = at;
        runTo = at + lens[i]!;
      }
      copyRun(out, pos, runMem!, runFrom, runTo);
      return out;
    }
    // Each run of frames between raw transport bytes is wrapped in one call (v2: one seal, which
    // writes new bytes, so no slab view reaches the socket).
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = start; i < end; ) {
      let w: Uint8Array | undefined;
      if (srcs[i] === RAW) w = bufs[i++]!;
      else {
        const run: Uint8Array[] = [];
        for (; i < end && srcs[i] !== RAW; i++) if (srcs[i] !== STALE) run.push(this.frameAt(i));
        if (run.length > 0) w = this.transport.wrapMany(run);
      }
      if (w === undefined) continue;
      parts.push(w);
      total += w.byteLength;
    }
    if (parts.length === 0) return undefined;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  /** Queued frame i as bytes: its memory itself, or a view made now (it dies with this write). */
  private frameAt(i: number): Uint8Array {
    const b = this.bufs[i]!;
    const at = this.offs[i]!;
    const len = this.lens[i]!;
    return at === 0 && len === b.byteLength ? b : b.subarray(at, at + len);
  }

  /** Drops everything queued (the peer is gone); relayed items count as gone_disconnected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let i = this.head; i < this.tail; i++) {
      const src = this.srcs[i]!;
      if (src >= 0) this.flows.dropped(src, this.peerId, 'gone_disconnected', this.lens[i]!);
    }
    this.resetArrays();
    this.head = this.tail = 0;
    this.bytes = 0;
  }

  private resetArrays(): void {
    this.bufs = [];
    this.offs = [];
    this.srcs = [];
    this.lens = [];
  }
}

/** Copies mem[from, to) into out at pos; returns the position after it. */
function copyRun(out: Uint8Array, pos: number, mem: Uint8Array, from: number, to: number): number {
  out.set(from === 0 && to === mem.byteLength ? mem : mem.subarray(from, to), pos);
  return pos + to - from;
}
