/**
 * Block relay's parts, built together for the composition root: header sync (the chain), the
 * relay rule for blocks (the gate), compact blocks (negotiation, rebuild, serving) and how blocks
 * are announced. Data flows one way: dispatch → HeaderSync / BlockGate / CompactBlocks →
 * InventoryRelay → BlockAnnouncer → peers; the peers' lifecycle → HeaderSync, CompactPeers,
 * CompactBlocks.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { HeaderChain } from '../chain/header-chain.js';
import type { HeaderFile } from '../chain/header-file.js';
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import type { FrameEncoder, Peer } from '../peer/peer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import { encodePayload } from '../wire/codec.js';
import { InvType, PROTOCOL_VERSION } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import { BlockAnnouncer } from './block-announcer.js';
import { BlockGate } from './block-gate.js';
import { BlockStore } from './block-store.js';
import { CompactBlocks } from './compact-blocks.js';
import { CompactPeers } from './compact-peers.js';
import type { Discipline } from './discipline.js';
import type { RelayAccounting } from './relay-accounting.js';
import { MerkleOffload } from '../wasm/merkle-offload.js';
import { HeaderSync } from './header-sync.js';
import type { PeerSet } from './peer-set.js';
import type { RelayEvents } from '../types.js';

export interface BlockRelay {
  readonly sync: HeaderSync;
  readonly gate: BlockGate;
  readonly compactPeers: CompactPeers;
  readonly compact: CompactBlocks;
  readonly announcer: BlockAnnouncer;
  readonly store: BlockStore;
  /** The helper thread for rebuilt blocks' witness trees (closed when the node stops). */
  readonly merkle: MerkleOffload;
}

export interface BlockRelayParts {
  readonly opened: { readonly chain: HeaderChain; readonly file: HeaderFile | null };
  readonly clock: Clock;
  readonly log: Logger;
  readonly magic: number;
  readonly encoder: FrameEncoder;
  readonly relay: InventoryRelay<Peer>;
  /** Every connected peer (the registry's): high-bandwidth pushes go to those that asked for them. */
  readonly peers: () => Iterable<Peer>;
  readonly discipline: Pick<Discipline, 'punish'>;
  /** The flow table's drop reasons: BIP152 bounds and fallbacks count there. */
  readonly accounting: Pick<RelayAccounting, 'dropFromPeer'>;
  readonly metrics: Pick<RelayMetrics, 'compactBlock' | 'blockHop' | 'attachMerkleChunks'>;
  readonly events: EventEmitter<RelayEvents>;
  readonly blockStoreMaxBytes: number;
  readonly blocktxnTimeoutMs: number;
}

export function buildBlockRelay(p: BlockRelayParts): BlockRelay {
  const punish = (peer: Peer, id: Parameters<Discipline['punish']>[1], why: string): void => p.discipline.punish(peer, id, 1, why);
  const fetch = (peer: Peer, hashes: readonly Uint8Array[]): void => p.relay.onInv(peer, invOf(hashes), 0, hashes.length);
  const sync = new HeaderSync(p.opened.chain, p.opened.file, p.clock, p.log, {
    punish,
    // One new block from a compact-block peer: ask for it as a cmpctblock (low-bandwidth mode).
    fetchBlocks: (peer, hashes) => (hashes.length === 1 && compactPeers.speaksV2(peer) ? compact.requestCompact(peer, hashes[0]!) : fetch(peer, hashes)),
  });
  const compactPeers = new CompactPeers();
  const merkle = new MerkleOffload();
  p.metrics.attachMerkleChunks(() => ({ helper: merkle.helperJobs, here: merkle.localJobs }));
  const store = new BlockStore(p.blockStoreMaxBytes);
  const gate = new BlockGate(
    sync,
    p.relay,
    p.log,
    {
      punish,
      pushCompact: (from, hash, frame) => announcer.pushCompact(from, hash, frame),
      onHop: (via, seconds) => p.metrics.blockHop(via, seconds),
      onRelayed: (peer, hash, height, raw, via) => {
        compactPeers.onBlockDelivered(peer);
        const slot = p.relay.cache.find(hash, 0);
        if (slot >= 0) store.add(hash, p.relay.cache.frame(slot));
        if (p.events.listenerCount('block') > 0) p.events.emit('block', { peer: peer.addr, hash: hashToHex(hash), height, via, raw: Buffer.from(raw) });
        // A rebuilt block's transactions are marked by CompactBlocks; a full block's here, a turn later.
        if (via === 'block') {
          const h = hash.slice();
          setImmediate(() => compact.confirmFullBlock(h));
        }
      },
    },
    (frame) => p.encoder.frameInPlace(p.magic, 'block', frame),
  );
  const compact = new CompactBlocks(sync, gate, p.relay, store, p.log, {
    punish,
    fetchBlock: (peer, hash) => fetch(peer, [hash]),
    onOutcome: (outcome, missing) => p.metrics.compactBlock(outcome, missing),
    onDrop: (peer, reason, bytes) => p.accounting.dropFromPeer(peer, reason, 1, bytes),
    frameOf: (cmpct) => p.encoder.encodeFrame(p.magic, 'cmpctblock', encodePayload(cmpct, PROTOCOL_VERSION)),
  }, p.clock, p.blocktxnTimeoutMs, merkle);
  const announcer = new BlockAnnouncer(compactPeers, compact, p.peers);
  return { sync, gate, compactPeers, compact, announcer, store, merkle };
}

/** Registers the parts that follow peers' lifecycles. */
export function listenToPeers(b: BlockRelay, peers: Pick<PeerSet, 'listen'>): void {
  peers.listen(b.sync);
  peers.listen(b.compactPeers);
  peers.listen(b.compact);
}

/** An inventory list of blocks (MSG_BLOCK; the relay asks for them with witness data). */
function invOf(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(36 * hashes.length);
  const dv = new DataView(out.buffer);
  hashes.forEach((h, i) => {
    dv.setUint32(36 * i, InvType.Block, true);
    out.set(h, 36 * i + 4);
  });
  return out;
}
