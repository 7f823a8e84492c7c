/**
 * How a new block is announced to each peer (the relay's `announceBlock` hook): BIP130 `headers`
 * to a peer that sent `sendheaders`, the relay's `inv` to the others. (Core SendMessages: a peer
 * with m_prefers_headers gets the headers of the blocks to announce.)
 */
import type { Peer } from '../peer/peer.js';
import { readBlockHeader } from '../wire/block-header.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { WireReader } from '../wire/reader.js';

export class BlockAnnouncer {
  /** Announces the block in `frame` (a cached `block` frame) to `dst`; false: announce with inv. */
  announce(dst: Peer, frame: Uint8Array): boolean {
    if (!dst.wantsHeaders) return false;
    const header = readBlockHeader(new WireReader(frame, HEADER_SIZE, HEADER_SIZE + 80));
    dst.sendMessage({ command: 'headers', headers: [header] });
    return true;
  }
}
