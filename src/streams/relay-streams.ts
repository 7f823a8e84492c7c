/**
 * Async-iterator feeds for embedders: `for await (const tx of relay.transactions({ signal }))`.
 *
 * Each subscriber has its own bounded buffer. The relay never waits for a subscriber: when a
 * buffer is full the oldest item is dropped and counted (`dropped` on the iterator, and
 * `wirerelay_feed_dropped_total{feed}` in the metrics), so a slow consumer loses items instead of
 * slowing relaying. The node's `tx`/`block` listener is attached only while at least one
 * subscriber exists; with none, the node builds no event objects at all (it checks its listener
 * count first).
 *
 * Items are the node's event objects themselves (no copy): `raw` is the item's payload as it
 * arrived, a view of memory the relay cache never reuses, so it stays valid after eviction.
 */

export interface TxItem {
  /** `HOST:PORT` of the peer it came from; null when injected locally (relayTransaction). */
  readonly peer: string | null;
  /** Display hex (byte-reversed), as Core's RPC shows it. */
  readonly txid: string;
  readonly wtxid: string;
  /** The serialized transaction. */
  readonly raw: Uint8Array;
}

export interface BlockItem {
  readonly peer: string | null;
  /** Display hex. */
  readonly hash: string;
  /** The serialized block. */
  readonly raw: Uint8Array;
}

export interface StreamOptions {
  /** Ends the iteration (the loop finishes normally; no AbortError). */
  readonly signal?: AbortSignal;
  /** Items buffered for this subscriber before the oldest is dropped; default 1024 (tx), 16 (blocks). */
  readonly bufferSize?: number;
}

/** An async iterator that also reports how many items it lost to a full buffer. */
export interface RelayStream<T> extends AsyncIterableIterator<T> {
  readonly dropped: number;
}

/** What the feeds listen to: the node's `tx` and `block` events. */
export interface FeedSource {
  on(event: 'tx', fn: (item: TxItem) => void): unknown;
  on(event: 'block', fn: (item: BlockItem) => void): unknown;
  off(event: 'tx', fn: (item: TxItem) => void): unknown;
  off(event: 'block', fn: (item: BlockItem) => void): unknown;
}

export const DEFAULT_TX_BUFFER = 1024;
export const DEFAULT_BLOCK_BUFFER = 16;
export const MAX_STREAM_BUFFER = 1 << 20;

class Subscription<T> implements RelayStream<T> {
  private readonly ring: (T | undefined)[];
  private head = 0;
  private len = 0;
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private done = false;
  dropped = 0;

  constructor(
    capacity: number,
    private readonly onDrop: () => void,
    private readonly onClose: (s: Subscription<T>) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.ring = new Array<T | undefined>(capacity);
    if (signal !== undefined) {
      if (signal.aborted) this.finish();
      else signal.addEventListener('abort', this.abort, { once: true });
    }
  }

  private readonly abort = (): void => this.finish();

  push(item: T): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w({ value: item, done: false });
      return;
    }
    const cap = this.ring.length;
    if (this.len === cap) {
      // Drop oldest: the newest items are the ones a live feed wants.
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.len--;
      this.dropped++;
      this.onDrop();
    }
    this.ring[(this.head + this.len) % cap] = item;
    this.len++;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.len > 0) {
      const v = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.len--;
      return Promise.resolve({ value: v, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== null) return Promise.reject(new TypeError('next() called while a previous next() is pending'));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    this.ring.fill(undefined);
    this.len = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** No more items: buffered ones are still handed out, then the iteration ends. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    this.signal?.removeEventListener('abort', this.abort);
    this.onClose(this);
    const w = this.waiter;
    this.waiter = null;
    w?.({ value: undefined, done: true });
  }
}

class Feed<T> {
  readonly subs = new Set<Subscription<T>>();
  droppedTotal = 0;
  private readonly listener = (item: T): void => {
    for (const s of this.subs) s.push(item);
  };

  constructor(
    private readonly attach: (fn: (item: T) => void) => void,
    private readonly detach: (fn: (item: T) => void) => void,
    private readonly defaultSize: number,
  ) {}

  subscribe(opts: StreamOptions): Subscription<T> {
    const size = opts.bufferSize ?? this.defaultSize;
    if (!Number.isInteger(size) || size < 1 || size > MAX_STREAM_BUFFER) {
      throw new RangeError(`bufferSize must be an integer from 1 to ${MAX_STREAM_BUFFER}, got ${String(opts.bufferSize)}`);
    }
    const sub: Subscription<T> = new Subscription<T>(size, () => this.droppedTotal++, (s) => this.remove(s), opts.signal);
    if (opts.signal?.aborted === true) return sub;
    if (this.subs.size === 0) this.attach(this.listener);
    this.subs.add(sub);
    return sub;
  }

  private remove(s: Subscription<T>): void {
    if (!this.subs.delete(s)) return;
    if (this.subs.size === 0) this.detach(this.listener);
  }

  closeAll(): void {
    for (const s of [...this.subs]) s.finish();
  }
}

/** The node's two feeds; `close()` ends every open iteration (the node calls it at stop). */
export class RelayStreams {
  private readonly txs: Feed<TxItem>;
  private readonly blockFeed: Feed<BlockItem>;

  constructor(source: FeedSource) {
    this.txs = new Feed<TxItem>((fn) => source.on('tx', fn), (fn) => source.off('tx', fn), DEFAULT_TX_BUFFER);
    this.blockFeed = new Feed<BlockItem>((fn) => source.on('block', fn), (fn) => source.off('block', fn), DEFAULT_BLOCK_BUFFER);
  }

  transactions(opts: StreamOptions = {}): RelayStream<TxItem> {
    return this.txs.subscribe(opts);
  }

  blocks(opts: StreamOptions = {}): RelayStream<BlockItem> {
    return this.blockFeed.subscribe(opts);
  }

  /** Open iterations per feed. */
  get subscribers(): { readonly tx: number; readonly block: number } {
    return { tx: this.txs.subs.size, block: this.blockFeed.subs.size };
  }

  /** Items dropped from full buffers since start, per feed (metrics). */
  drops(): Array<{ readonly feed: string; readonly dropped: number }> {
    return [
      { feed: 'stream_tx', dropped: this.txs.droppedTotal },
      { feed: 'stream_block', dropped: this.blockFeed.droppedTotal },
    ];
  }

  close(): void {
    this.txs.closeAll();
    this.blockFeed.closeAll();
  }
}
