/**
 * Where the messages that neither the peer nor the relay handle go, and the host interface batch
 * dispatch reports to: addresses to address gossip, offences to discipline, counts to metrics and
 * the flow table, decoded messages to the node's `message` listeners; blocks, headers and the
 * BIP152 messages to block relay (src/node/block-relay.ts), or blocks straight to the relay on
 * simnet, which has no headers chain.
 */
import type { EventEmitter } from 'node:events';
import { brokenBound } from '../chain/compact/bounds.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import type { DispatchHost } from '../peer/dispatch.js';
import type { Peer } from '../peer/peer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import type { Message } from '../wire/codec.js';
import type { AddressGossip } from './address-gossip.js';
import type { BlockRelay } from './block-relay.js';
import type { Discipline } from './discipline.js';
import type { RelayAccounting } from './relay-accounting.js';
import type { RelayEvents } from '../types.js';

export interface RouterParts {
  readonly relay: InventoryRelay<Peer>;
  readonly gossip: AddressGossip;
  readonly discipline: Discipline;
  readonly accounting: RelayAccounting;
  readonly metrics: RelayMetrics;
  readonly events: EventEmitter<RelayEvents>;
  /** Block relay (issue 19); null on simnet, where blocks are relayed unchecked. */
  readonly blocks: BlockRelay | null;
}

export function dispatchHost(p: RouterParts): DispatchHost<Peer> {
  return {
    relay: p.relay,
    onMessage: (peer, msg) => route(p, peer, msg),
    onBlock: (peer, bytes, off, len, hash) =>
      p.blocks === null ? p.relay.onBlock(peer, bytes, off, len, hash, 0, peer.mesh) : p.blocks.gate.onBlock(peer, bytes, off, len, hash),
    onHeaders: (peer, payload) => p.blocks?.sync.onHeaders(peer, payload),
    punish: (peer, id, count, why) => p.discipline.punish(peer, id, count, why),
    wantsMessageEvents: () => p.events.listenerCount('message') > 0,
    emitMessage: (peer, msg) => p.events.emit('message', { peer: peer.addr, command: msg.command, message: msg }),
    countIn: (id, bytes) => p.metrics.messageInById(id, bytes),
    addrBudget: (peer) => p.gossip.addrBudget(peer.id),
    onAddrSkipped: (peer, entries, bytes) => p.accounting.dropFromPeer(peer, 'addr_rate_limited', entries, bytes),
    onUndecodable: (peer, command, err, bytes) => {
      const reason = brokenBound(command, err);
      if (reason !== null) p.accounting.dropFromPeer(peer, reason, 1, bytes);
    },
  };
}

function route(p: RouterParts, peer: Peer, msg: Message): void {
  switch (msg.command) {
    case 'addr':
    case 'addrv2':
      // btcd disconnects on an empty addr; an empty message never scores (btcd#1886).
      if (msg.addresses.length === 0) {
        p.discipline.punish(peer, 'ADDR_EMPTY', 1, `empty ${msg.command}`);
        return;
      }
      // A --seednode connection is closed once it answered (Core ADDR_FETCH).
      if (p.gossip.onAddresses(peer, msg).disconnect) peer.close('local');
      return;
    case 'getaddr':
      p.gossip.onGetaddr(peer);
      return;
    case 'getheaders':
      p.blocks?.sync.onGetheaders(peer, msg);
      return;
    case 'sendcmpct':
      p.blocks?.compactPeers.onSendCmpct(peer, msg.announce, msg.version);
      return;
    case 'cmpctblock':
      p.blocks?.compact.onCmpctBlock(peer, msg);
      return;
    case 'blocktxn':
      p.blocks?.compact.onBlockTxn(peer, msg);
      return;
    case 'getblocktxn':
      p.blocks?.compact.onGetBlockTxn(peer, msg);
      return;
    case 'mempool':
      p.discipline.punish(peer, 'MEMPOOL_NO_BLOOM', 1, 'mempool without bloom');
      return;
    default:
      return;
  }
}
