/**
 * What the node relayed and what it dropped: the flow sink the writers report to, the relay's
 * duplicate and overflow reports, and the node's relayed totals. Relayed bytes count once the
 * socket has taken them (a queued item that is dropped was never relayed: issue 13 saw /status
 * report 1 TB relayed to peers that never read); drops go to the flow table by reason. Locally
 * injected items (src -1) count in the totals, not in a flow.
 */
import type { DropReason } from '../stats/drop-reasons.js';
import type { FlowTable } from '../stats/flow-table.js';
import type { FlowSink } from '../peer/writer.js';
import type { Peer } from '../peer/peer.js';
import type { PeerRegistry } from './peer-registry.js';

export class RelayAccounting {
  messages = 0;
  bytes = 0;

  constructor(
    private readonly flowTable: FlowTable,
    private readonly registry: PeerRegistry,
    /** False once the node is stopping: every drop then counts as the peer being gone. */
    private readonly running: () => boolean,
  ) {}

  readonly flowSink: FlowSink = {
    delivered: (src, dst, bytes, mesh) => {
      if (src >= 0) this.flowTable.record(src, dst, bytes, mesh ? 'mesh' : 'local');
      this.messages++;
      this.bytes += bytes;
    },
    dropped: (src, dst, reason, bytes) => {
      if (reason === 'announce_overflow') return this.flowTable.drop(src, dst, reason, bytes);
      const live = reason === 'queue_head' && this.running() && this.registry.has(dst);
      this.flowTable.drop(src, dst, live ? 'queue_head' : 'gone_disconnected', bytes);
    },
  };

  /** The destination already had the item (InventoryRelay). */
  duplicate(src: number, dst: Peer, bytes: number): void {
    if (src >= 0) this.flowTable.drop(src, dst.id, 'duplicate', bytes);
  }

  /** Items over a per-peer bound were ignored (InventoryRelay). */
  overflow(peer: Peer, what: 'announcements' | 'unsolicited', items: number, bytes: number): void {
    this.dropFromPeer(peer, what === 'announcements' ? 'inv_overflow' : 'unsolicited_overflow', items, bytes);
  }

  /**
   * Counts what we refused to take from a peer (over a per-peer bound) on its flow to itself:
   * /flows and the dropped_*_total metrics show it under the bound's drop reason.
   */
  dropFromPeer(peer: Peer, reason: DropReason, items: number, bytes: number): void {
    const per = items > 0 ? bytes / items : 0;
    for (let i = 0; i < items; i++) this.flowTable.drop(peer.id, peer.id, reason, per);
  }
}
