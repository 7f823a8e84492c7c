/**
 * How a new block is announced to each peer (the relay's `announceBlock` hook), as Core's
 * SendMessages and NewPoWValidBlock do: a peer that asked for high-bandwidth compact blocks
 * (`sendcmpct(1, 2)`) gets the `cmpctblock` itself; a peer that sent `sendheaders` (BIP130) gets the
 * header; the others get the relay's `inv`.
 */
import type { Peer } from '../peer/peer.js';
import { readBlockHeader } from '../wire/block-header.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { WireReader } from '../wire/reader.js';
import type { CompactBlocks } from './compact-blocks.js';
import type { CompactPeers } from './compact-peers.js';

export class BlockAnnouncer {
  constructor(
    private readonly compactPeers: CompactPeers,
    private readonly compact: CompactBlocks,
  ) {}

  /** Announces the block in `frame` (a cached `block` frame) to `dst`; false: announce with inv. */
  announce(dst: Peer, frame: Uint8Array): boolean {
    if (this.compactPeers.wantsPush(dst)) {
      dst.sendMessage(this.compact.cmpctFor(frame));
      return true;
    }
    if (!dst.wantsHeaders) return false;
    const header = readBlockHeader(new WireReader(frame, HEADER_SIZE, HEADER_SIZE + 80));
    dst.sendMessage({ command: 'headers', headers: [header] });
    return true;
  }
}
