/**
 * The connected peers, by connection id and by HOST:PORT: the one registry every part of the node
 * reads (relay, dispatch, admin views). Pure data; what happens when a peer joins or leaves is the
 * PeerSet's (src/node/peer-set.ts).
 */
import type { Peer } from '../peer/peer.js';

export class PeerRegistry {
  private readonly byId = new Map<number, Peer>();
  private readonly byAddr = new Map<string, Peer>();

  add(peer: Peer): void {
    this.byId.set(peer.id, peer);
    this.byAddr.set(peer.addr, peer);
  }

  remove(peer: Peer): void {
    this.byId.delete(peer.id);
    // A newer connection from the same HOST:PORT keeps its entry.
    if (this.byAddr.get(peer.addr) === peer) this.byAddr.delete(peer.addr);
  }

  get(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  byAddress(addr: string): Peer | undefined {
    return this.byAddr.get(addr);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<Peer> {
    return this.byId.values();
  }

  addresses(): IterableIterator<string> {
    return this.byAddr.keys();
  }

  /** A copy, for callers that close peers while walking (closing removes them from here). */
  list(): Peer[] {
    return [...this.byId.values()];
  }
}
