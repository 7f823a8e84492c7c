/**
 * Relay of transactions and blocks between peers, without validation: learn of an item from an
 * `inv`, fetch it from the first peer that announced it (moving on to the next announcer after a
 * timeout or a `notfound`), keep it in the relay cache, announce it to every other peer that wants
 * it, and serve `getdata` from the cache.
 *
 * Hashes are in internal byte order; map keys are latin1 strings of the 32 bytes (see hashKey).
 */
import type { Clock } from '../clock.js';
import type { Hash256 } from '../wire/hash.js';
import { InvType } from '../wire/constants.js';
import { txIds } from '../wire/tx-id.js';
import { hashKey, RelayCache } from './relay-cache.js';
import type { ItemKind, RelayItem } from './relay-cache.js';

/** BIP339 inventory type for wtxid announcements (not in btcd's list). */
export const INV_WTX = 5;

export interface InvItem {
  readonly type: number;
  readonly hash: Uint8Array;
}

/** The view of a peer that relay needs (implemented by Peer). */
export interface RelayPeer {
  readonly id: number;
  readonly addr: string;
  readonly mesh: boolean;
  readonly direction: 'inbound' | 'outbound';
  readonly relayTxs: boolean;
  readonly wantsWtxid: boolean;
  readonly established: boolean;
  readonly knownInventory: { has(key: string): boolean; add(key: string): void };
  announce(type: number, hash: Uint8Array, key: string, immediate: boolean): void;
  expect(key: string): () => void;
  fulfilled(key: string): boolean;
}

/** What relay asks of the node: sending, accounting and events. */
export interface RelayHost<P extends RelayPeer> {
  readonly clock: Clock;
  readonly hash256: Hash256;
  /** Encodes an item's frame (header + payload); the cache keeps this one copy of the item. */
  encodeItem(kind: ItemKind, raw: Uint8Array): Uint8Array;
  peers(): Iterable<P>;
  peerById(id: number): P | undefined;
  sendGetdata(peer: P, items: InvItem[], onWritten: () => void): void;
  sendNotfound(peer: P, items: InvItem[]): void;
  /** Sends an item's payload to `peer` (served getdata, or a mesh push); returns false if dropped. */
  sendItem(peer: P, item: RelayItem): void;
  onNewItem(item: RelayItem, from: P | null): void;
  /** The destination already had the item (flow drop reason `duplicate`). */
  onDuplicate(src: number, dst: P, bytes: number): void;
}

interface InFlight {
  readonly kind: ItemKind;
  /** Announcing peers in order; the first is asked, the rest are fallbacks. */
  readonly announcers: number[];
  readonly types: number[];
  readonly hash: Uint8Array;
  requestedFrom: number;
  deadline: number;
}

export interface RelayStats {
  readonly requested: number;
  readonly received: number;
  readonly duplicates: number;
  readonly served: number;
  readonly notfound: number;
  readonly timeouts: number;
}

export class InventoryRelay<P extends RelayPeer> {
  readonly cache: RelayCache;
  private readonly inFlight = new Map<string, InFlight>();
  private requested = 0;
  private received = 0;
  private duplicates = 0;
  private served = 0;
  private notfound = 0;
  private timeouts = 0;

  constructor(
    private readonly host: RelayHost<P>,
    cacheMaxBytes: number,
    private readonly getdataTimeoutMs: number,
  ) {
    this.cache = new RelayCache(cacheMaxBytes);
  }

  stats(): RelayStats {
    return {
      requested: this.requested,
      received: this.received,
      duplicates: this.duplicates,
      served: this.served,
      notfound: this.notfound,
      timeouts: this.timeouts,
    };
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** An `inv` from an established peer. */
  onInv(peer: P, items: readonly InvItem[]): void {
    const toRequest: InvItem[] = [];
    const now = this.host.clock.now();
    for (const it of items) {
      const kind = kindOf(it.type);
      if (kind === undefined) continue;
      const key = hashKey(it.hash);
      peer.knownInventory.add(key);
      if (this.cache.has(key)) continue;
      const flight = this.inFlight.get(key);
      if (flight !== undefined) {
        if (!flight.announcers.includes(peer.id)) {
          flight.announcers.push(peer.id);
          flight.types.push(it.type);
        }
        continue;
      }
      this.inFlight.set(key, {
        kind,
        announcers: [peer.id],
        types: [it.type],
        hash: it.hash.slice(),
        requestedFrom: peer.id,
        deadline: now + this.getdataTimeoutMs,
      });
      toRequest.push({ type: requestType(it.type), hash: it.hash });
    }
    if (toRequest.length > 0) this.request(peer, toRequest);
  }

  private request(peer: P, items: InvItem[]): void {
    this.requested += items.length;
    const armers = items.map((it) => peer.expect(hashKey(it.hash)));
    this.host.sendGetdata(peer, items, () => {
      const deadline = this.host.clock.now() + this.getdataTimeoutMs;
      for (const it of items) {
        const f = this.inFlight.get(hashKey(it.hash));
        if (f !== undefined && f.requestedFrom === peer.id) f.deadline = deadline;
      }
      for (const arm of armers) arm();
    });
  }

  /** A `tx` message (requested or pushed). */
  onTx(peer: P | null, raw: Uint8Array, fromMesh: boolean): RelayItem | null {
    const { txid, wtxid } = txIds(raw, this.host.hash256);
    return this.accept('tx', txid, wtxid, raw, peer, fromMesh);
  }

  /** A `block` message. */
  onBlock(peer: P | null, raw: Uint8Array, fromMesh: boolean): RelayItem | null {
    const hash = this.host.hash256(raw.subarray(0, 80));
    return this.accept('block', hash, hash, raw, peer, fromMesh);
  }

  private accept(kind: ItemKind, id: Uint8Array, wid: Uint8Array, raw: Uint8Array, peer: P | null, fromMesh: boolean): RelayItem | null {
    const key = hashKey(id);
    const wkey = hashKey(wid);
    if (peer !== null) {
      peer.fulfilled(key);
      peer.fulfilled(wkey);
      peer.knownInventory.add(key);
      peer.knownInventory.add(wkey);
    }
    this.inFlight.delete(key);
    this.inFlight.delete(wkey);
    if (this.cache.has(key)) {
      this.duplicates++;
      return null;
    }
    this.received++;
    // Encoding copies out of the batch buffer (the cache outlives it, and the batch would otherwise
    // stay alive) and makes the one frame every destination gets.
    const frame = this.host.encodeItem(kind, raw);
    const item: RelayItem = {
      kind,
      id: id.slice(),
      wid: wid.slice(),
      raw: frame.subarray(frame.byteLength - raw.byteLength),
      frame,
      from: peer?.id ?? -1,
      fromMesh,
      receivedAt: this.host.clock.now(),
    };
    this.cache.add(item);
    this.host.onNewItem(item, peer);
    this.announce(item, peer);
    return item;
  }

  /** Announces to every other peer that wants the item; mesh peers get the item itself at once. */
  private announce(item: RelayItem, from: P | null): void {
    const key = hashKey(item.id);
    const wkey = hashKey(item.wid);
    for (const p of this.host.peers()) {
      if (p === from || !p.established) continue;
      // Something that came from the mesh is never sent back into the mesh (no loops).
      if (p.mesh && item.fromMesh) continue;
      if (item.kind === 'tx' && !p.relayTxs && !p.mesh) continue;
      if (p.knownInventory.has(key) || p.knownInventory.has(wkey)) {
        this.host.onDuplicate(item.from, p, item.raw.byteLength);
        continue;
      }
      if (p.mesh) {
        // Two instances of a mesh dial each other; items go over our outbound link only, so each
        // instance receives every item once.
        if (p.direction === 'inbound') continue;
        p.knownInventory.add(key);
        p.knownInventory.add(wkey);
        this.host.sendItem(p, item);
        continue;
      }
      if (item.kind === 'block') p.announce(InvType.Block, item.id, key, true);
      else if (p.wantsWtxid) p.announce(INV_WTX, item.wid, wkey, false);
      else p.announce(InvType.Tx, item.id, key, false);
    }
  }

  /** A `getdata` from a peer: serve from the cache, the rest as one `notfound`. */
  onGetdata(peer: P, items: readonly InvItem[]): void {
    const missing: InvItem[] = [];
    for (const it of items) {
      const item = kindOf(it.type) === undefined ? undefined : this.cache.get(hashKey(it.hash));
      if (item === undefined) {
        missing.push(it);
        continue;
      }
      this.served++;
      this.host.sendItem(peer, item);
    }
    if (missing.length > 0) {
      this.notfound += missing.length;
      this.host.sendNotfound(peer, missing);
    }
  }

  /** A `notfound` from a peer: ask the next announcer of each item we were waiting for. */
  onNotfound(peer: P, items: readonly InvItem[]): number {
    let solicited = 0;
    for (const it of items) {
      const key = hashKey(it.hash);
      if (peer.fulfilled(key)) solicited++;
      const f = this.inFlight.get(key);
      if (f !== undefined && f.requestedFrom === peer.id) this.next(key, f);
    }
    return solicited;
  }

  /** A peer went away: move its outstanding requests to other announcers. */
  onPeerGone(peerId: number): void {
    for (const [key, f] of this.inFlight) {
      if (f.requestedFrom === peerId) this.next(key, f);
    }
  }

  /** Driven by the node's ticker: requests past their deadline move on to the next announcer. */
  tick(now: number): void {
    for (const [key, f] of this.inFlight) {
      if (now >= f.deadline) {
        this.timeouts++;
        this.next(key, f);
      }
    }
  }

  private next(key: string, f: InFlight): void {
    const idx = f.announcers.indexOf(f.requestedFrom);
    for (let i = idx + 1; i < f.announcers.length; i++) {
      const p = this.host.peerById(f.announcers[i]!);
      if (p === undefined || !p.established) continue;
      f.requestedFrom = p.id;
      f.deadline = this.host.clock.now() + this.getdataTimeoutMs;
      this.request(p, [{ type: requestType(f.types[i]!), hash: f.hash }]);
      return;
    }
    this.inFlight.delete(key);
  }
}

function kindOf(type: number): ItemKind | undefined {
  switch (type) {
    case InvType.Tx:
    case InvType.WitnessTx:
    case INV_WTX:
      return 'tx';
    case InvType.Block:
    case InvType.WitnessBlock:
      return 'block';
    default:
      return undefined;
  }
}

/** We always fetch with witness data: relaying a stripped transaction would break segwit peers. */
function requestType(announced: number): number {
  switch (announced) {
    case InvType.Tx:
      return InvType.WitnessTx;
    case InvType.Block:
      return InvType.WitnessBlock;
    default:
      return announced;
  }
}
