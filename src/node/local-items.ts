/**
 * What the node sends of its own accord: a transaction injected by the embedder (cached and
 * announced as if a peer had sent it) and a message broadcast to every established peer.
 */
import type { Peer } from '../peer/peer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import type { FrameScanner } from '../wasm/frame-scanner.js';
import { hash256 as wasmHash256 } from '../wasm/hasher.js';
import { encodePayload } from '../wire/codec.js';
import type { Message } from '../wire/codec.js';
import { PROTOCOL_VERSION } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import { txIds } from '../wire/tx-id.js';
import type { PeerRegistry } from './peer-registry.js';

export class LocalItems {
  constructor(
    private readonly magic: number,
    private readonly scanner: FrameScanner,
    private readonly relay: InventoryRelay<Peer>,
    private readonly registry: PeerRegistry,
  ) {}

  /** Injects a raw transaction as if received: cached and announced to every peer. */
  relayTransaction(raw: Uint8Array): { txid: string; wtxid: string } {
    const { txid, wtxid, strippedSize } = txIds(raw, wasmHash256);
    // encodeFrame hashes the payload for the checksum once more: one hash per injected tx.
    const frame = this.scanner.encodeFrame(this.magic, 'tx', raw);
    this.relay.onTx(null, frame, 0, raw.byteLength, txid, 0, wtxid, 0, false, strippedSize);
    return { txid: hashToHex(txid), wtxid: hashToHex(wtxid) };
  }

  /** Sends a message to every established peer but the excluded ones; returns how many got it. */
  broadcast(msg: Message, exclude: ReadonlySet<string>): number {
    const frame = this.scanner.encodeFrame(this.magic, msg.command, encodePayload(msg, PROTOCOL_VERSION));
    let n = 0;
    for (const p of this.registry.values()) {
      if (!p.established || exclude.has(p.addr)) continue;
      p.sendFrame(msg.command, frame);
      n++;
    }
    return n;
  }
}
