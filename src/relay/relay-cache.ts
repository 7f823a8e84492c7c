/**
 * Items received for relay, kept so peers' getdata can be served, bounded in bytes (oldest out
 * first). Keys are 32-byte hashes as latin1 strings: a Map key that costs no hex encoding.
 */

export type ItemKind = 'tx' | 'block';

export interface RelayItem {
  readonly kind: ItemKind;
  /** txid or block hash, internal byte order. */
  readonly id: Uint8Array;
  /** wtxid for transactions (equals the txid without witness), the block hash for blocks. */
  readonly wid: Uint8Array;
  /** The whole message payload as received: served verbatim. A view into `frame`. */
  readonly raw: Uint8Array;
  /** The complete frame (header + payload) as we send it: encoded once, for every destination. */
  readonly frame: Uint8Array;
  /** Peer id it came from (-1: injected locally). */
  readonly from: number;
  readonly fromMesh: boolean;
  readonly receivedAt: number;
}

export function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, 32).toString('latin1');
}

export class RelayCache {
  private readonly byId = new Map<string, RelayItem>();
  /** Second index for transactions: wtxid → item (BIP339 peers ask by wtxid). */
  private readonly byWid = new Map<string, RelayItem>();
  private bytes = 0;
  evicted = 0;

  constructor(readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`relay cache size must be a positive integer, got ${maxBytes}`);
  }

  get size(): number {
    return this.byId.size;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Adds an item; returns false if it was already there. */
  add(item: RelayItem): boolean {
    const key = hashKey(item.id);
    if (this.byId.has(key)) return false;
    this.byId.set(key, item);
    const wkey = hashKey(item.wid);
    if (wkey !== key) this.byWid.set(wkey, item);
    this.bytes += item.frame.byteLength;
    while (this.bytes > this.maxBytes && this.byId.size > 1) this.evictOldest();
    return true;
  }

  get(key: string): RelayItem | undefined {
    return this.byId.get(key) ?? this.byWid.get(key);
  }

  has(key: string): boolean {
    return this.byId.has(key) || this.byWid.has(key);
  }

  private evictOldest(): void {
    const [key, item] = this.byId.entries().next().value as [string, RelayItem];
    this.byId.delete(key);
    this.byWid.delete(hashKey(item.wid));
    this.bytes -= item.frame.byteLength;
    this.evicted++;
  }
}
