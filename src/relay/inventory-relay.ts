/**
 * Relay of transactions and blocks between peers, without validation: learn of an item from an
 * `inv`, fetch it from the first peer that announced it (moving on to the next announcer after a
 * timeout or a `notfound`), keep it in the relay cache as the frame it arrived in, announce it to
 * every other peer that wants it, and serve `getdata` from the cache.
 *
 * Everything works on raw inventory entries (type u32 + 32-byte hash, as on the wire) and binary
 * keys: no per-item objects, strings or closures. This module is the one owner of request
 * deadlines: a request moves to the next announcer after `fallbackAfterMs`, and a peer that leaves
 * one of our requests unanswered for `stallAfterMs` is closed as stalling (btcd#518).
 *
 * Per-peer bounds (Bitcoin Core txdownloadman): at most MAX_PEER_IN_FLIGHT requests in flight and
 * MAX_PEER_ANNOUNCEMENTS announcements waiting to be requested; what is over is dropped and counted.
 */
import type { Clock } from '../clock.js';
import { grown } from '../util/typed-arrays.js';
import { InvType } from '../wire/constants.js';
import { AnnouncerLists } from './announcer-lists.js';
import { copyHash, HashIndex, sameHash } from './hash-index.js';
import { InvEntries } from './inv-entries.js';
import type { KnownInventory } from './known-inventory.js';
import { RelayCache } from './relay-cache.js';
import type { ItemKind } from './relay-cache.js';

/** Bitcoin Core MAX_PEER_TX_REQUEST_IN_FLIGHT. */
export const MAX_PEER_IN_FLIGHT = 100;
/** Bitcoin Core MAX_PEER_TX_ANNOUNCEMENTS: announcements tracked per peer, not yet requested. */
export const MAX_PEER_ANNOUNCEMENTS = 5000;
/**
 * Transactions a peer may push without being asked, per second, with a burst of as many. Bitcoin
 * Core sets no such limit (it validates each one); a relay that caches without validating needs
 * one, or a single peer cycles the whole cache at line rate. Well above an honest peer (a busy
 * mainnet node sends ~3.3k tx/s in all; the load harness pushes ≤ 12.5k/s per source); at 250 B
 * it still takes one peer ~5 s to cycle a 64 MiB cache. Mesh peers are exempt.
 */
export const UNSOLICITED_PER_SEC = 50_000;
/** BIP152 inventory type: a block asked for as a cmpctblock. */
const MSG_CMPCT_BLOCK = 4;
/** Announcers remembered per item (the first is asked, the rest are fallbacks). */
const MAX_ANNOUNCERS = 8;

/** The view of a peer that relay needs (implemented by Peer). */
export interface RelayPeer {
  readonly id: number;
  readonly mesh: boolean;
  readonly direction: 'inbound' | 'outbound';
  readonly relayTxs: boolean;
  readonly wantsWtxid: boolean;
  readonly established: boolean;
  /** Inventory the peer is known to have. */
  readonly known: KnownInventory;
  /** Bytes queued for this peer that have not reached the kernel yet. */
  readonly writeBacklog: number;
  /** Bytes the socket has taken so far (grows while the peer reads). */
  readonly bytesOut: number;
  /** Queues an announcement of the hash at src[off..]. */
  announce(type: number, src: Uint8Array, off: number, immediate: boolean): void;
  /** Queues a cached item's frame, relayed from peer `src` (droppable under pressure). */
  /** memory[off .. off + len) (all of it by default): a cached frame, queued without a view of its own. */
  sendRelayed(memory: Uint8Array, src: number, off?: number, len?: number): void;
  /** Sends the entries as getdata or notfound frames; the list is cleared. */
  sendEntries(command: 'getdata' | 'notfound', list: InvEntries): void;
  /** The peer left one of our requests unanswered too long. */
  stalled(): void;
}

/** What relay reports outward: events and flow accounting. */
export interface RelayHost<P extends RelayPeer> {
  readonly clock: Clock;
  peers(): Iterable<P>;
  peerById(id: number): P | undefined;
  /** A new item entered the cache (events, event clock). */
  onNewItem(cache: RelayCache, slot: number, from: P | null): void;
  /** The destination already had the item (flow drop reason `duplicate`). */
  onDuplicate(src: number, dst: P, bytes: number): void;
  /** Items over a per-peer bound were ignored: announcements, or unsolicited pushes (`bytes` of them). */
  onOverflow(peer: P, what: 'announcements' | 'unsolicited', items: number, bytes: number): void;
  /**
   * Announces a cached block (its frame) to `dst` another way than `inv` (BIP130 `headers`, BIP152
   * `cmpctblock`); false leaves it to the inv announcement.
   */
  announceBlock?(dst: P, frame: Uint8Array): boolean;
  /**
   * A getdata entry for a block (MSG_BLOCK, MSG_WITNESS_BLOCK or BIP152's MSG_CMPCT_BLOCK) at
   * src[off..]: `cached` is its frame when the cache has it. True when the host served it (a
   * cmpctblock, or a block the cache no longer has); false leaves it to the relay (cache or notfound).
   */
  serveBlock?(dst: P, type: number, src: Uint8Array, off: number, cached: Uint8Array | undefined): boolean;
}

export interface RelayTimeouts {
  /** A request moves on to the next announcer after this long (Core GETDATA_TX_INTERVAL). */
  readonly fallbackAfterMs: number;
  /** A peer with a request of ours unanswered this long is closed as stalling. */
  readonly stallAfterMs: number;
  /** Cached items leave after this long (default: Core's 15 minutes, relay-cache.ts). */
  readonly cacheMaxAgeMs?: number;
}

/** Per-peer request accounting. */
class Ledger {
  inFlight = 0;
  /** Unsolicited-push budget (a token bucket refilled at UNSOLICITED_PER_SEC). */
  pushTokens = UNSOLICITED_PER_SEC;
  pushAt = 0;
  /** Request slots announced by this peer and not requested yet, with their generation. */
  waiting: number[] = [];
  waitingHead = 0;
  get waitingCount(): number {
    return (this.waiting.length - this.waitingHead) >>> 1;
  }
}

export class InventoryRelay<P extends RelayPeer> {
  readonly cache: RelayCache;
  // Request table: one slot per item being fetched.
  private cap = 256;
  private keys = new Uint8Array(32 * this.cap);
  private readonly index = new HashIndex(this.keys, 512);
  private types = new Uint32Array(this.cap);
  /** Peer asked, or -1 while the item waits for an announcer with room. */
  private askedOf = new Int32Array(this.cap);
  private sentAt = new Float64Array(this.cap);
  private gens = new Uint32Array(this.cap);
  private used = new Uint8Array(this.cap);
  /** Announcers beyond the first, with their types, per request slot. */
  private readonly others = new AnnouncerLists(this.cap, MAX_ANNOUNCERS);
  private free: number[] = [];
  private live = 0;
  private readonly ledgers = new Map<number, Ledger>();
  /** Per peer with requests out: its `bytesOut` at the last tick (is it reading? see tick). */
  private readonly drained = new Map<number, number>();
  /** Peers whose waiting announcements may be requested now (room freed up). */
  private readonly refill = new Set<number>();
  /** Entries of the getdata being built (requests) or of the notfound answer. */
  private readonly scratch = new InvEntries();

  constructor(
    private readonly host: RelayHost<P>,
    cacheMaxBytes: number,
    private readonly timeouts_: RelayTimeouts,
  ) {
    this.cache = new RelayCache(cacheMaxBytes, { maxAgeMs: timeouts_.cacheMaxAgeMs, clock: host.clock });
    for (let i = this.cap - 1; i >= 0; i--) this.free.push(i);
  }

  /** Items being fetched or waiting to be requested. */
  get inFlightCount(): number {
    return this.live;
  }

  /** Whether a block we asked `peerId` for is still on its way (Core vBlocksInFlight non-empty). */
  hasBlockRequestTo(peerId: number): boolean {
    if ((this.ledgers.get(peerId)?.inFlight ?? 0) === 0) return false;
    for (let slot = 0; slot < this.cap; slot++) {
      if (this.used[slot] === 1 && this.askedOf[slot] === peerId && kindOf(this.types[slot]!) === BLOCK) return true;
    }
    return false;
  }

  private ledger(id: number): Ledger {
    let l = this.ledgers.get(id);
    if (l === undefined) {
      l = new Ledger();
      this.ledgers.set(id, l);
    }
    return l;
  }

  // ---- inbound inventory -------------------------------------------------------------------------

  /** An `inv` from an established peer: `n` entries of 36 bytes from payload[at]. */
  onInv(peer: P, payload: Uint8Array, at: number, n: number): void {
    const ledger = this.ledger(peer.id);
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const e = at + 36 * i;
      const type = (payload[e]! | (payload[e + 1]! << 8) | (payload[e + 2]! << 16) | (payload[e + 3]! << 24)) >>> 0;
      if (kindOf(type) < 0) continue;
      peer.known.add(payload, e + 4);
      if (this.cache.find(payload, e + 4) >= 0) continue;
      const r = this.index.find(payload, e + 4);
      if (r >= 0) {
        this.addAnnouncer(r, peer.id, type);
        continue;
      }
      if (ledger.inFlight < MAX_PEER_IN_FLIGHT) {
        const slot = this.open(payload, e + 4, type);
        this.ask(slot, peer.id, ledger);
      } else if (ledger.waitingCount < MAX_PEER_ANNOUNCEMENTS) {
        const slot = this.open(payload, e + 4, type);
        this.askedOf[slot] = -1;
        this.others.add(slot, peer.id, type);
        ledger.waiting.push(slot, this.gens[slot]!);
      } else {
        dropped++;
      }
    }
    this.flushRequests(peer);
    if (dropped > 0) {
      this.host.onOverflow(peer, 'announcements', dropped, 36 * dropped);
    }
  }

  /** Opens a request slot for the hash at src[off..]. */
  private open(src: Uint8Array, off: number, type: number): number {
    if (this.free.length === 0) this.grow();
    const slot = this.free.pop()!;
    copyHash(src, off, this.keys, slot * 32);
    this.types[slot] = type;
    this.used[slot] = 1;
    this.index.insert(slot);
    this.live++;
    return slot;
  }

  /** Asks `peerId` for the item in `slot` (appended to the pending getdata). */
  private ask(slot: number, peerId: number, ledger: Ledger): void {
    this.askedOf[slot] = peerId;
    this.sentAt[slot] = this.host.clock.now();
    ledger.inFlight++;
    this.scratch.push(requestType(this.types[slot]!), this.keys, slot * 32);
  }

  private flushRequests(peer: P): void {
    if (this.scratch.n > 0) peer.sendEntries('getdata', this.scratch);
  }

  private addAnnouncer(slot: number, peerId: number, type: number): void {
    if (this.askedOf[slot] === peerId) return;
    this.others.add(slot, peerId, type);
  }

  /** Closes a request slot (answered, or nobody left to ask). */
  private close(slot: number): void {
    const asked = this.askedOf[slot]!;
    if (asked >= 0) this.release(asked);
    this.index.remove(slot);
    this.used[slot] = 0;
    this.gens[slot] = (this.gens[slot]! + 1) >>> 0;
    this.others.clear(slot);
    this.free.push(slot);
    this.live--;
  }

  /** One of `peerId`'s requests ended: room for a waiting announcement. */
  private release(peerId: number): void {
    const l = this.ledgers.get(peerId);
    if (l === undefined) return;
    l.inFlight--;
    if (l.waitingCount > 0) this.refill.add(peerId);
  }

  /**
   * Requests waiting announcements of peers that have room again: one getdata per peer. Called at
   * the end of every batch and by the ticker.
   */
  flushRefills(): void {
    if (this.refill.size === 0) return;
    for (const id of this.refill) {
      const peer = this.host.peerById(id);
      const l = this.ledgers.get(id);
      if (peer === undefined || l === undefined || !peer.established) continue;
      while (l.inFlight < MAX_PEER_IN_FLIGHT && l.waitingCount > 0) {
        const slot = l.waiting[l.waitingHead]!;
        const gen = l.waiting[l.waitingHead + 1]!;
        l.waitingHead += 2;
        if (this.used[slot] !== 1 || this.gens[slot] !== gen || this.askedOf[slot] !== -1) continue;
        this.ask(slot, id, l);
      }
      if (l.waitingHead > 1024 && l.waitingHead * 2 > l.waiting.length) {
        l.waiting = l.waiting.slice(l.waitingHead);
        l.waitingHead = 0;
      }
      this.flushRequests(peer);
    }
    this.refill.clear();
  }

  /**
   * A `tx` (requested or pushed): the frame is bytes[frameOff .. frameOff + 24 + payloadLength).
   * `wtxid` is the payload's double SHA-256 from the scan; `txid` equals it for a tx without
   * witness. Nothing here hashes the payload again. `strippedSize`: the tx's size without witness
   * (BIP141), from the same walk as the txid (0 if unknown), kept for rebuilt blocks' weight.
   */
  onTx(peer: P | null, bytes: Uint8Array, frameOff: number, payloadLength: number, txid: Uint8Array, txidOff: number, wtxid: Uint8Array, wtxidOff: number, fromMesh: boolean, strippedSize = 0): void {
    this.accept('tx', peer, bytes, frameOff, payloadLength, txid, txidOff, wtxid, wtxidOff, fromMesh, strippedSize);
  }

  /** A `block`; `hash` is its header's double SHA-256. */
  onBlock(peer: P | null, bytes: Uint8Array, frameOff: number, payloadLength: number, hash: Uint8Array, hashOff: number, fromMesh: boolean): void {
    this.accept('block', peer, bytes, frameOff, payloadLength, hash, hashOff, hash, hashOff, fromMesh, 0);
  }

  /**
   * An item `peer` sent that will not enter the cache (a block refused by the relay rule): the
   * peer has it, and our request for it, if any, is answered (no fallback, no stall).
   */
  settle(peer: P, id: Uint8Array, idOff: number): void {
    peer.known.add(id, idOff);
    const r = this.index.find(id, idOff);
    if (r >= 0 && this.askedOf[r] === peer.id) this.close(r);
  }

  private accept(kind: ItemKind, peer: P | null, bytes: Uint8Array, frameOff: number, payloadLength: number, id: Uint8Array, idOff: number, wid: Uint8Array, widOff: number, fromMesh: boolean, strippedSize: number): void {
    const twoIds = !sameHash(id, idOff, wid, widOff);
    if (peer !== null) {
      peer.known.add(id, idOff);
      if (twoIds) peer.known.add(wid, widOff);
    }
    let solicited = false;
    const r = this.index.find(id, idOff);
    if (r >= 0) {
      solicited = this.askedOf[r] === (peer?.id ?? -2);
      this.close(r);
    }
    const w = twoIds ? this.index.find(wid, widOff) : -1;
    if (w >= 0) {
      solicited ||= this.askedOf[w] === (peer?.id ?? -2);
      this.close(w);
    }
    if (this.cache.find(id, idOff) >= 0) {
      return;
    }
    if (peer !== null && !solicited && !peer.mesh && !this.takePush(peer)) {
      this.host.onOverflow(peer, 'unsolicited', 1, 24 + payloadLength);
      return;
    }
    // The one copy of the item: its frame exactly as it arrived, into the cache's slabs (the
    // receive buffer is not ours to keep, and a 250-byte tx must not pin a 64 KiB read).
    const slot = this.cache.add(kind, id, idOff, wid, widOff, bytes, frameOff, 24 + payloadLength, peer?.id ?? -1, fromMesh, strippedSize);
    this.host.onNewItem(this.cache, slot, peer);
    this.announce(slot, peer);
  }

  /** One unsolicited push from `peer`, if its budget allows. */
  private takePush(peer: P): boolean {
    const l = this.ledger(peer.id);
    const now = this.host.clock.now();
    if (l.pushAt === 0) l.pushAt = now;
    l.pushTokens = Math.min(UNSOLICITED_PER_SEC, l.pushTokens + ((now - l.pushAt) * UNSOLICITED_PER_SEC) / 1000);
    l.pushAt = now;
    if (l.pushTokens < 1) return false;
    l.pushTokens--;
    return true;
  }

  /** Announces to every other peer that wants the item; mesh peers get the item itself at once. */
  private announce(slot: number, from: P | null): void {
    const cache = this.cache;
    const ids = cache.idChunk(slot);
    const wids = cache.widChunk(slot);
    const off = cache.keyOffset(slot);
    const isTx = cache.isTx(slot);
    const fromMesh = cache.fromMesh(slot);
    const src = cache.from(slot);
    const twoIds = cache.hasTwoIds(slot);
    for (const p of this.host.peers()) {
      if (p === from || !p.established) continue;
      // Something that came from the mesh is never sent back into the mesh (no loops).
      if (p.mesh && fromMesh) continue;
      if (isTx && !p.relayTxs && !p.mesh) continue;
      if (p.known.has(ids, off) || (twoIds && p.known.has(wids, off))) {
        this.host.onDuplicate(src, p, cache.frameLength(slot));
        continue;
      }
      if (p.mesh) {
        // Two instances of a mesh dial each other; items go over our outbound link only, so each
        // instance receives every item once.
        if (p.direction === 'inbound') continue;
        p.known.add(ids, off);
        if (twoIds) p.known.add(wids, off);
        p.sendRelayed(cache.frameMemory(slot), src, cache.frameOffset(slot), cache.frameLength(slot));
        continue;
      }
      if (!isTx) {
        if (this.host.announceBlock?.(p, cache.frame(slot)) === true) p.known.add(ids, off);
        else p.announce(InvType.Block, ids, off, true);
      } else if (p.wantsWtxid) p.announce(InvType.WitnessTxId, wids, off, false);
      else p.announce(InvType.Tx, ids, off, false);
    }
  }

  // ---- requests from peers -----------------------------------------------------------------------

  /** A `getdata`: serve from the cache, the rest as one `notfound`. */
  onGetdata(peer: P, payload: Uint8Array, at: number, n: number): void {
    const missing = this.scratch;
    for (let i = 0; i < n; i++) {
      const e = at + 36 * i;
      const type = (payload[e]! | (payload[e + 1]! << 8) | (payload[e + 2]! << 16) | (payload[e + 3]! << 24)) >>> 0;
      if ((type === MSG_CMPCT_BLOCK || kindOf(type) === BLOCK) && this.host.serveBlock !== undefined) {
        const s = this.cache.find(payload, e + 4);
        const cached = s >= 0 && !this.cache.isTx(s) ? this.cache.frame(s) : undefined;
        if (this.host.serveBlock(peer, type, payload, e + 4, cached)) continue;
      }
      const slot = kindOf(type) < 0 ? -1 : this.cache.find(payload, e + 4);
      if (slot < 0) {
        missing.push(type, payload, e + 4);
        continue;
      }
      const cache = this.cache;
      peer.sendRelayed(cache.frameMemory(slot), cache.from(slot), cache.frameOffset(slot), cache.frameLength(slot));
    }
    if (missing.n > 0) {
      peer.sendEntries('notfound', missing);
    }
  }

  /** A `notfound`: ask the next announcer of each item we were waiting for. Returns how many we had asked for. */
  onNotfound(peer: P, payload: Uint8Array, at: number, n: number, unsolicited?: (type: number) => void): number {
    let solicited = 0;
    for (let i = 0; i < n; i++) {
      const e = at + 36 * i;
      const r = this.index.find(payload, e + 4);
      if (r < 0 || this.askedOf[r] !== peer.id) {
        unsolicited?.((payload[e]! | (payload[e + 1]! << 8) | (payload[e + 2]! << 16) | (payload[e + 3]! << 24)) >>> 0);
        continue;
      }
      solicited++;
      this.next(r, true);
    }
    this.flushRefills();
    return solicited;
  }

  /** Our own send queue holds the peer's requests back, and the peer is reading (see tick). */
  private stillSending(peer: P): boolean {
    if (peer.writeBacklog === 0) return false;
    // First seen with a backlog: no evidence yet that it reads; the next tick compares.
    const before = this.drained.get(peer.id);
    return before !== undefined && peer.bytesOut > before;
  }

  /** A peer went away: move its outstanding requests to other announcers. */
  onPeerGone(peerId: number): void {
    this.ledgers.delete(peerId);
    this.drained.delete(peerId);
    for (let s = 0; s < this.cap; s++) {
      if (this.used[s] === 1 && this.askedOf[s] === peerId) {
        this.askedOf[s] = -1; // its ledger is gone: nothing to release
        this.next(s, true);
      }
    }
    this.flushRefills();
  }

  /**
   * Driven by the node's ticker. A request is timed from when it was queued. While the peer's
   * writer still holds unsent bytes *and the peer is reading them* (its socket took bytes since the
   * last tick), its requests are not counted as late: they are not on the wire yet, and the delay
   * is ours (btcd#501). A peer with a backlog that takes nothing is not reading what it asked for:
   * its deadlines run, so its requests move to the next announcer and it is closed as stalling.
   */
  tick(now: number): void {
    this.cache.expire(now);
    const { fallbackAfterMs, stallAfterMs } = this.timeouts_;
    let stalled: Set<number> | undefined;
    const waiting = new Map<number, boolean>();
    for (let s = 0; s < this.cap; s++) {
      if (this.used[s] !== 1) continue;
      const asked = this.askedOf[s]!;
      if (asked < 0) continue;
      const peer = this.host.peerById(asked);
      if (peer === undefined) continue;
      let ours = waiting.get(asked);
      if (ours === undefined) waiting.set(asked, (ours = this.stillSending(peer)));
      if (ours) {
        this.sentAt[s] = now;
        continue;
      }
      const age = now - this.sentAt[s]!;
      if (age >= stallAfterMs) {
        (stalled ??= new Set()).add(asked);
      } else if (age >= fallbackAfterMs && this.others.has(s)) {
        this.next(s, false);
      }
    }
    for (const id of waiting.keys()) {
      const p = this.host.peerById(id);
      if (p !== undefined) this.drained.set(id, p.bytesOut);
    }
    this.flushRefills();
    if (stalled !== undefined) {
      for (const id of stalled) {
        this.host.peerById(id)?.stalled();
      }
    }
  }

  /**
   * Moves a request to the next announcer with room. With nobody left: closes it when `drop`
   * (notfound, peer gone), otherwise leaves it with the peer asked (the stall deadline decides).
   */
  private next(slot: number, drop: boolean): void {
    const o = this.others;
    const prev = this.askedOf[slot]!;
    while (o.has(slot)) {
      const id = o.firstPeer(slot);
      const type = o.firstType(slot);
      o.shift(slot);
      const p = this.host.peerById(id);
      if (p === undefined || !p.established) continue;
      const l = this.ledger(id);
      if (l.inFlight >= MAX_PEER_IN_FLIGHT) continue;
      if (prev >= 0) this.release(prev);
      this.types[slot] = type;
      this.ask(slot, id, l);
      this.flushRequests(p);
      return;
    }
    if (drop || prev < 0) this.close(slot);
  }

  private grow(): void {
    const cap = this.cap * 2;
    this.keys = grown(this.keys, 32 * cap);
    this.index.setKeys(this.keys);
    this.types = grown(this.types, cap);
    this.gens = grown(this.gens, cap);
    this.used = grown(this.used, cap);
    this.askedOf = grown(this.askedOf, cap);
    this.sentAt = grown(this.sentAt, cap);
    this.others.growSlots(cap);
    for (let i = cap - 1; i >= this.cap; i--) this.free.push(i);
    this.cap = cap;
  }
}

const TX = 0;
const BLOCK = 1;

/** 0 for transaction types, 1 for block types, -1 for what relay does not handle. */
function kindOf(type: number): number {
  switch (type) {
    case InvType.Tx:
    case InvType.WitnessTx:
    case InvType.WitnessTxId:
      return TX;
    case InvType.Block:
    case InvType.WitnessBlock:
      return BLOCK;
    default:
      return -1;
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
