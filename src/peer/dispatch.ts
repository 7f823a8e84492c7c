/**
 * One dispatch pass per frame batch. Before it, one pass over the batch's `tx` frames: each is
 * walked once (the structure check the codec would do), and the txids of witness transactions —
 * the hash of the stripped serialization — are computed together in one WASM call. Every other
 * id comes from the scan: a `tx` payload's double SHA-256 is its wtxid, and its txid too when it
 * has no witness.
 *
 * Then the frames are handled in stream order. The relay messages (inv, getdata, notfound, tx,
 * block) go to the relay as raw entries and byte offsets; no message object is built for them
 * unless someone listens to the node's `message` event. Everything else is decoded by its codec
 * and handled by the handshake, the peer (keep-alive, feature flags) or the node (addresses).
 */
import { RelayError } from '../errors.js';
import type { OffenceId } from '../ban/ban-policy.js';
import type { FrameBatch } from '../framing/frame-batch.js';
import type { InventoryRelay, RelayPeer } from '../relay/inventory-relay.js';
import type { PeerStats } from '../stats/peer-stats.js';
import { hash256, hash256Spans } from '../wasm/hasher.js';
import { Status } from '../wasm/status.js';
import { decodePayload } from '../wire/codec.js';
import type { Message } from '../wire/codec.js';
import { commandId, commandName, HEADER_SIZE, INV_WITNESS_FLAG, InvType, MAX_INV_PER_MSG, PROTOCOL_VERSION } from '../wire/constants.js';
import { WireReader } from '../wire/reader.js';
import { strippedSize, strippedSpans, walkTx } from '../wire/tx-id.js';

const INV = commandId('inv');
const GETDATA = commandId('getdata');
const NOTFOUND = commandId('notfound');
const TX = commandId('tx');
const BLOCK = commandId('block');
const HEADERS = commandId('headers');
const ADDR = commandId('addr');
const ADDRV2 = commandId('addrv2');
/** BIP152's inventory type for a compact block (getdata only; a notfound for one is a block's). */
const MSG_CMPCT_BLOCK = 4;

/** The view of a connection that dispatch needs (implemented by Peer). */
export interface DispatchPeer extends RelayPeer {
  readonly isClosed: boolean;
  readonly protocolVersion: number | null;
  /** When the socket last gave us bytes: the receive time of every frame of the batch. */
  readonly lastReceivedAt: number;
  readonly stats: PeerStats;
  messagesIn: number;
  /** A message before the handshake completed. */
  onHandshakeMessage(msg: Message): void;
  /** A control message after the handshake; false when it is not one (the host handles it). */
  onControl(msg: Message): boolean;
  /** A payload that did not decode. */
  onDecodeError(err: unknown, command: string): void;
}

/** What dispatch hands on to the node. */
export interface DispatchHost<P extends DispatchPeer> {
  readonly relay: InventoryRelay<P>;
  /** A decoded message the peer does not handle itself (addr, getaddr, mempool, getheaders, ...). */
  onMessage(peer: P, msg: Message): void;
  /** A `block` frame at bytes[frameOff..] (payload decoded once); `hash` is its header's hash. */
  onBlock(peer: P, bytes: Uint8Array, frameOff: number, payloadLength: number, hash: Uint8Array): void;
  /** A `headers` payload, not decoded (the host packs it without an object per header). */
  onHeaders(peer: P, payload: Uint8Array): void;
  /** Scores `count` occurrences of an offence. */
  punish(peer: P, id: OffenceId, count: number, why: string): void;
  /** True when the node's `message` event has listeners (messages are then decoded for them). */
  wantsMessageEvents(): boolean;
  emitMessage(peer: P, msg: Message): void;
  countIn(commandId: number, bytes: number): void;
  /** Addresses the peer's token bucket admits now. */
  addrBudget(peer: P): number;
  /** An addr / addrv2 of `entries` entries arrived with the bucket empty: counted, not decoded. */
  onAddrSkipped(peer: P, entries: number, bytes: number): void;
  /** A payload of `bytes` (frame included) did not decode; the peer then scores it (onDecodeError). */
  onUndecodable(peer: P, command: string, err: unknown, bytes: number): void;
}

/** CompactSize count at payload[0..] for an inventory list of exactly `36 n` bytes, else -1. */
function invCount(p: Uint8Array): number {
  if (p.length === 0) return -1;
  const b = p[0]!;
  let n: number;
  let at: number;
  if (b < 0xfd) {
    n = b;
    at = 1;
  } else if (b === 0xfd && p.length >= 3) {
    n = p[1]! | (p[2]! << 8);
    if (n < 0xfd) return -1; // not minimal: the codec reports it
    at = 3;
  } else return -1;
  if (n > MAX_INV_PER_MSG || p.length !== at + 36 * n) return -1;
  return n;
}

export class BatchDispatcher<P extends DispatchPeer> {
  /** txid per tx record of the current batch: 32 bytes at 32 × record index. */
  private txids = new Uint8Array(32 * 64);
  /** Per record of the current batch: 0 not a tx, 1 txid = scan digest, 2 txid in `txids`, 3 malformed. */
  private txState = new Uint8Array(64);
  /** Per record of the batch: the tx's size without witness (BIP141), from the same walk. */
  private stripped = new Int32Array(64);
  private txErrors = new Map<number, unknown>();
  private spans = new Int32Array(6 * 16);

  constructor(private readonly host: DispatchHost<P>) {}

  dispatch(peer: P, batch: FrameBatch): void {
    const { bytes, records, first, end } = batch;
    const host = this.host;
    const established = peer.established;
    if (established) this.prepareTxids(batch);
    for (let i = first; i < end; i++) {
      if (peer.isClosed) return;
      const id = records.status(i) === Status.OK ? records.commandId(i) : 0;
      const off = records.offset(i);
      const len = records.payloadLength(i);
      peer.messagesIn++;
      host.countIn(id, HEADER_SIZE + len);
      peer.stats.received(id, HEADER_SIZE + len, peer.lastReceivedAt);
      if (id === 0) continue; // unknown commands are ignored, also during the handshake
      const start = off + HEADER_SIZE;
      if (!peer.established) {
        const msg = this.decode(peer, id, bytes, start, len);
        if (msg === undefined) continue;
        peer.onHandshakeMessage(msg);
        // Frames after the handshake completed in this batch: their tx ids were not prepared.
        if (peer.established && i + 1 < end) return this.dispatch(peer, { ...batch, first: i + 1 });
        continue;
      }
      switch (id) {
        case TX:
          this.onTx(peer, batch, i, off, len);
          break;
        case INV:
        case GETDATA:
        case NOTFOUND:
          this.onInventory(peer, id, bytes, start, len);
          break;
        case BLOCK:
          this.onBlock(peer, bytes, off, len);
          break;
        case HEADERS:
          host.onHeaders(peer, bytes.subarray(start, start + len));
          if (host.wantsMessageEvents() && !peer.isClosed) this.emitEvent(peer, id, bytes, start, len);
          break;
        default: {
          if ((id === ADDR || id === ADDRV2) && this.skipAddr(peer, bytes, start, len)) break;
          const msg = this.decode(peer, id, bytes, start, len);
          if (msg === undefined) break;
          if (peer.onControl(msg)) break;
          host.onMessage(peer, msg);
          if (host.wantsMessageEvents()) this.emitEvent(peer, id, bytes, start, len);
        }
      }
    }
    host.relay.flushRefills();
  }

  /**
   * An addr flood costs its sender, not us: with the peer's address bucket empty, the message is
   * counted from its entry count alone and not decoded (Core#22387 drops such entries too).
   */
  private skipAddr(peer: P, bytes: Uint8Array, start: number, len: number): boolean {
    if (len === 0 || this.host.addrBudget(peer) >= 1) return false;
    const b = bytes[start]!;
    const n = b < 0xfd ? b : b === 0xfd && len >= 3 ? bytes[start + 1]! | (bytes[start + 2]! << 8) : 0;
    if (n === 0) return false; // empty (or odd): the codec and the empty-addr rule decide
    this.host.onAddrSkipped(peer, n, HEADER_SIZE + len);
    return true;
  }

  private decode(peer: P, id: number, bytes: Uint8Array, start: number, len: number): Message | undefined {
    const command = commandName(id)!;
    try {
      return decodePayload(command, bytes.subarray(start, start + len), peer.protocolVersion ?? PROTOCOL_VERSION);
    } catch (err) {
      this.host.onUndecodable(peer, command, err, HEADER_SIZE + len);
      peer.onDecodeError(err, command);
      return undefined;
    }
  }

  /** Walks every tx of the batch and computes the stripped-serialization txids in one WASM call. */
  private prepareTxids(batch: FrameBatch): void {
    const { bytes, records, first, end } = batch;
    if (this.txState.length < end) {
      this.txState = new Uint8Array(end * 2);
      this.stripped = new Int32Array(end * 2);
      this.txids = new Uint8Array(32 * end * 2);
    }
    this.txErrors.clear();
    let witness = 0;
    let spans = this.spans;
    const jobs: number[] = [];
    for (let i = first; i < end; i++) {
      this.txState[i] = 0;
      if (records.status(i) !== Status.OK || records.commandId(i) !== TX) continue;
      const start = records.offset(i) + HEADER_SIZE;
      const stop = start + records.payloadLength(i);
      try {
        const r = new WireReader(bytes, start, stop);
        const b = walkTx(r);
        r.finish('tx');
        this.stripped[i] = strippedSize(b);
        if (!b.hasWitness) {
          this.txState[i] = 1;
          continue;
        }
        if (spans.length < 6 * (witness + 1)) {
          const g = new Int32Array(spans.length * 2);
          g.set(spans);
          spans = this.spans = g;
        }
        strippedSpans(b, spans, 6 * witness);
        jobs.push(i);
        witness++;
        this.txState[i] = 2;
      } catch (err) {
        this.txState[i] = 3;
        this.txErrors.set(i, err);
      }
    }
    if (witness === 0) return;
    const out = new Uint8Array(32 * witness);
    hash256Spans(bytes, spans, witness, 3, out, 0);
    for (let j = 0; j < witness; j++) this.txids.set(out.subarray(32 * j, 32 * j + 32), 32 * jobs[j]!);
  }

  private onTx(peer: P, batch: FrameBatch, i: number, off: number, len: number): void {
    const state = this.txState[i];
    if (state === 3 || state === 0 || state === undefined) {
      // Malformed (or, defensively, not prepared): the codec's verdict decides.
      const msg = this.decode(peer, TX, batch.bytes, off + HEADER_SIZE, len);
      if (msg === undefined) return;
      if (state === 3) return peer.onDecodeError(this.txErrors.get(i), 'tx');
    }
    const records = batch.records;
    const digests = records.bytes;
    const dOff = records.digestAt(i);
    // Not prepared: its stripped size is not known (0).
    const stripped = state === 1 || state === 2 ? this.stripped[i]! : 0;
    if (state === 2) this.host.relay.onTx(peer, batch.bytes, off, len, this.txids, 32 * i, digests, dOff, peer.mesh, stripped);
    else this.host.relay.onTx(peer, batch.bytes, off, len, digests, dOff, digests, dOff, peer.mesh, stripped);
    if (this.host.wantsMessageEvents()) this.host.emitMessage(peer, { command: 'tx', raw: Uint8Array.prototype.slice.call(batch.bytes, off + HEADER_SIZE, off + HEADER_SIZE + len) });
  }

  private onBlock(peer: P, bytes: Uint8Array, off: number, len: number): void {
    const msg = this.decode(peer, BLOCK, bytes, off + HEADER_SIZE, len);
    if (msg === undefined) return;
    // The block hash is the header's hash, not the payload's: 80 bytes, hashed once here.
    const hash = hash256(bytes.subarray(off + HEADER_SIZE, off + HEADER_SIZE + 80));
    this.host.onBlock(peer, bytes, off, len, hash);
    if (this.host.wantsMessageEvents()) this.emitEvent(peer, BLOCK, bytes, off + HEADER_SIZE, len);
  }

  private onInventory(peer: P, id: number, bytes: Uint8Array, start: number, len: number): void {
    const payload = bytes.subarray(start, start + len);
    const n = invCount(payload);
    if (n < 0) {
      // Not a well-formed list: the codec names the fault (and decodes it if it is fine after all).
      const msg = this.decode(peer, id, bytes, start, len);
      if (msg === undefined) return;
      throw new RelayError('ERR_PROTOCOL', `inventory list accepted by the codec but not by the fast path (${msg.command})`);
    }
    const at = payload.length - 36 * n;
    const relay = this.host.relay;
    if (id === INV) {
      relay.onInv(peer, payload, at, n);
    } else if (id === GETDATA) {
      // A getdata is not a fault, whatever its size (Core does not score it; one over 50,000
      // entries is malformed and never gets here). What bounds a flood of them is the writer:
      // replies past the peer's send-queue bound are dropped oldest first (docs/bounds.md).
      relay.onGetdata(peer, payload, at, n);
    } else {
      // Only what we did not ask for scores: an honest "I no longer have it" is not an offence.
      // Each entry by its type, as btcd's OnNotFound does.
      let txs = 0;
      let blocks = 0;
      let unknown = 0;
      relay.onNotfound(peer, payload, at, n, (type) => {
        const base = type & ~INV_WITNESS_FLAG;
        if (base === InvType.Tx || base === InvType.WitnessTxId) txs++;
        else if (base === InvType.Block || base === InvType.FilteredBlock || base === MSG_CMPCT_BLOCK) blocks++;
        else unknown++;
      });
      if (unknown > 0) this.host.punish(peer, 'NOTFOUND_UNKNOWN_TYPE', 1, 'notfound with an unknown inventory type');
      if (blocks > 0) this.host.punish(peer, 'NOTFOUND_BLOCK', blocks, 'unsolicited notfound for blocks');
      if (txs > 0) this.host.punish(peer, 'NOTFOUND_TX', txs, 'unsolicited notfound for transactions');
    }
    if (this.host.wantsMessageEvents()) this.emitEvent(peer, id, bytes, start, len);
  }

  /**
   * The node's `message` event. Its listeners may keep what they are given, and a decoded
   * message's byte fields are views of the bytes it was decoded from, while the batch is valid only
   * during the dispatch (it may be the shared read buffer, src/peer/socket-reads.ts): the event's
   * message is decoded from a copy of the payload.
   */
  private emitEvent(peer: P, id: number, bytes: Uint8Array, start: number, len: number): void {
    const msg = this.decode(peer, id, Uint8Array.prototype.slice.call(bytes, start, start + len), 0, len);
    if (msg !== undefined) this.host.emitMessage(peer, msg);
  }
}
