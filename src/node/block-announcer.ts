/**
 * How a new block is announced to each peer, as Core's SendMessages and NewPoWValidBlock do: a
 * peer that asked for high-bandwidth compact blocks (`sendcmpct(1, 2)`) gets the `cmpctblock`
 * itself; a peer that sent `sendheaders` (BIP130) gets the header; the others get the relay's `inv`.
 *
 * A block rebuilt from a cmpctblock is pushed to the high-bandwidth peers first (pushCompact, one
 * encoded frame for all of them: Core's NewPoWValidBlock builds one message per block), before the
 * relay cache takes it; its later announcement (the relay's `announceBlock` hook) skips them.
 */
import type { Peer } from '../peer/peer.js';
import { hash256 } from '../wasm/hasher.js';
import { readBlockHeader } from '../wire/block-header.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import { WireReader } from '../wire/reader.js';
import type { CompactBlocks } from './compact-blocks.js';
import type { CompactPeers } from './compact-peers.js';

/** Early pushes remembered (blocks whose relay has not announced them yet: one or two at a time). */
const PUSHES_KEPT = 8;

export class BlockAnnouncer {
  /** Block hash (hex) → ids of the peers its cmpctblock was pushed to early. */
  private readonly pushed = new Map<string, Set<number>>();

  constructor(
    private readonly compactPeers: CompactPeers,
    private readonly compact: CompactBlocks,
    private readonly peers: () => Iterable<Peer>,
  ) {}

  /** Pushes the `cmpctblock` frame of the block `hash` (from `from`) to every high-bandwidth peer that lacks it. */
  pushCompact(from: Peer, hash: Uint8Array, frame: Uint8Array): void {
    const to = new Set<number>();
    for (const p of this.peers()) {
      if (p === from || !p.established || p.mesh || !this.compactPeers.wantsPush(p) || p.known.has(hash)) continue;
      p.sendFrame('cmpctblock', frame);
      to.add(p.id);
    }
    this.pushed.set(hashToHex(hash), to);
    if (this.pushed.size > PUSHES_KEPT) this.pushed.delete(this.pushed.keys().next().value!);
  }

  /** Announces the block in `frame` (a cached `block` frame) to `dst`; false: announce with inv. */
  announce(dst: Peer, frame: Uint8Array): boolean {
    if (this.compactPeers.wantsPush(dst)) {
      const header = frame.subarray(HEADER_SIZE, HEADER_SIZE + 80);
      if (this.pushed.get(hashToHex(hash256(header)))?.has(dst.id) !== true) dst.sendMessage(this.compact.cmpctFor(frame));
      return true;
    }
    if (!dst.wantsHeaders) return false;
    const header = readBlockHeader(new WireReader(frame, HEADER_SIZE, HEADER_SIZE + 80));
    dst.sendMessage({ command: 'headers', headers: [header] });
    return true;
  }
}
