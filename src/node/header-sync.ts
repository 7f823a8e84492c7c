/**
 * The node's headers chain and how it is kept in step with the peers: the one owner of the
 * HeaderChain (src/chain/header-chain.ts) and its file while the node runs.
 *
 * - After the handshake every peer gets `sendheaders` (BIP130: announce blocks to us with
 *   `headers`), and outbound peers a `getheaders` with the locator of our tip's parent, so a peer
 *   already at our tip answers with it and its best known header is known (Core
 *   MaybeSendGetHeaders from m_best_header->pprev).
 * - A full `headers` message (2,000) is followed by the next `getheaders` from its last header
 *   (Core net_processing.cpp ProcessHeadersMessage, MAX_HEADERS_RESULTS).
 * - One `getheaders` in flight per peer: another is sent only once the peer answered or after
 *   Core's HEADERS_RESPONSE_TIME (2 minutes, MaybeSendGetHeaders).
 * - A header that does not connect is answered with `getheaders` (same rule). Invalid proof of
 *   work disconnects and discourages its sender at once (CheckHeadersPoW); any other invalid
 *   header too (MaybePunishNodeForBlock, BLOCK_INVALID_HEADER). Headers "from the future", or
 *   over a peer's low-work budget, are dropped and score nothing.
 * - A headers announcement that moves our tip by at most 8 headers (Core MAX_BLOCKS_TO_ANNOUNCE),
 *   to a tip less than 20 block intervals old (Core CanDirectFetch), fetches those blocks from the
 *   announcer (the `fetchBlocks` callback).
 * - `getheaders` is answered from our best chain.
 * - Per peer it keeps the best header the peer is known to have and when it last announced a new
 *   header with at least our tip's work (Core m_last_block_announcement, set in
 *   UpdatePeerStateForReceivedHeaders); the outbound-eviction rules read both.
 *
 * New headers are appended to the file (fsynced) behind the message, one flush at a time; a node
 * without a data directory keeps the chain in memory only.
 */
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { OffenceId } from '../ban/ban-policy.js';
import { HeaderChain } from '../chain/header-chain.js';
import { HeaderFile } from '../chain/header-file.js';
import { HEADER_PEER_FAULTS } from '../chain/header-reject.js';
import type { HeaderRejectCode } from '../chain/header-reject.js';
import { getHeadersFor, packHeadersPayload } from '../chain/headers-payload.js';
import { chainParams } from '../chain/params.js';
import type { Peer } from '../peer/peer.js';
import { readBlockHeader } from '../wire/block-header.js';
import type { BlockHeader } from '../wire/block-header.js';
import { MAX_BLOCK_HEADERS_PER_MSG, PROTOCOL_VERSION } from '../wire/constants.js';
import type { GetHeadersMessage } from '../wire/messages/getheaders.js';
import { WireReader } from '../wire/reader.js';
import type { PeerLifecycle } from './peer-set.js';
import type { RelayConfig } from '../types.js';

/** Core HEADERS_RESPONSE_TIME: a getheaders unanswered this long no longer blocks the next one. */
export const HEADERS_RESPONSE_TIME_MS = 2 * 60_000;
/** Core MAX_BLOCKS_TO_ANNOUNCE: an announcement moving the tip by at most this many is fetched. */
export const MAX_BLOCKS_TO_ANNOUNCE = 8;
/** The headers file in the data directory. */
export const HEADERS_FILE = 'headers.dat';

/** BIP130: sendheaders is understood from this protocol version on. */
const SENDHEADERS_VERSION = 70012;

/** What header sync reports outward. */
export interface HeaderSyncHost {
  /** Scores the peer (discipline decides what happens to the connection). */
  punish(peer: Peer, id: OffenceId, why: string): void;
  /** Blocks of newly announced tip headers to fetch from `peer` (hashes, internal order). */
  fetchBlocks(peer: Peer, hashes: readonly Uint8Array[]): void;
}

interface PeerSync {
  /** When our getheaders went out, 0 when none is in flight. */
  getheadersAt: number;
  /** The peer's best known header (entry), -1 when none. */
  best: number;
  /** Unix ms of its last new header with at least our tip's work, 0 when none. */
  announcedAt: number;
}

/** A chain opened for the node: the chain and its file (null when memory-only). */
export interface OpenedHeaders {
  readonly chain: HeaderChain;
  readonly file: HeaderFile | null;
}

export class HeaderSync implements PeerLifecycle {
  private readonly peers = new Map<number, PeerSync>();
  private flushing: Promise<void> = Promise.resolve();
  private flushQueued = false;

  constructor(
    readonly chain: HeaderChain,
    private readonly file: HeaderFile | null,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly host: HeaderSyncHost,
  ) {}

  /**
   * Opens the chain of the node's network: from `<dataDir>/headers.dat` (created if absent, a torn
   * tail cut), or in memory when there is no data directory. Null on simnet (no chain parameters):
   * the node then relays blocks unchecked, as before issue 19.
   */
  static async openChain(config: RelayConfig, log: Logger): Promise<OpenedHeaders | null> {
    if (config.network === 'simnet') return null;
    const params = chainParams(config.network);
    if (config.dataDir === null) return { chain: new HeaderChain(params), file: null };
    const path = join(config.dataDir, HEADERS_FILE);
    const { chain, file, truncatedBytes } = await HeaderFile.open(path, params);
    if (truncatedBytes > 0) log.warn('headers file had a torn tail, cut', { path, bytes: truncatedBytes });
    log.info('headers chain opened', { headers: chain.size, height: chain.tipHeight });
    return { chain, file };
  }

  /** The best height the chain knows (the version message's start height). */
  get tipHeight(): number {
    return this.chain.tipHeight;
  }

  /** The height of the best header `peer` is known to have, null when none yet. */
  peerHeight(peerId: number): number | null {
    const s = this.peers.get(peerId);
    return s === undefined || s.best < 0 ? null : this.chain.heightOf(s.best);
  }

  /** The best header (entry) `peer` is known to have, -1 when none yet (Core pindexBestKnownBlock). */
  peerBest(peerId: number): number {
    return this.peers.get(peerId)?.best ?? -1;
  }

  /** Unix ms `peer` last announced a new header with at least our tip's work; 0 when never. */
  lastAnnouncement(peerId: number): number {
    return this.peers.get(peerId)?.announcedAt ?? 0;
  }

  /**
   * Core CanDirectFetch: the best header is recent (within 20 block intervals), so its blocks are
   * news (announced blocks are fetched; the node counts as synced for the extra peers).
   */
  canDirectFetch(): boolean {
    const c = this.chain;
    return c.timeOf(c.tipEntry) > this.nowSec() - 20 * c.params.targetSpacing;
  }

  /**
   * A getheaders to `peer` from the parent of `entry`, so a peer that has `entry` answers with at
   * least it; under the one-in-flight rule (Core MaybeSendGetHeaders, as ConsiderEviction uses it:
   * one already in flight gets the same answer).
   */
  askHeaders(peer: Peer, entry: number): void {
    const h = this.chain.heightOf(entry);
    this.sendGetheaders(peer, h > 0 ? this.chain.ancestor(entry, h - 1) : entry);
  }

  // ---- PeerLifecycle ---------------------------------------------------------------------------

  established(peer: Peer): void {
    // A feeler only tests that the address answers and is closed at once (Core asks it for nothing).
    if (peer.kind === 'feeler') return;
    this.peers.set(peer.id, { getheadersAt: 0, best: -1, announcedAt: 0 });
    if ((peer.protocolVersion ?? 0) >= SENDHEADERS_VERSION) peer.sendMessage({ command: 'sendheaders' });
    if (peer.direction === 'outbound') this.askHeaders(peer, this.chain.tipEntry);
  }

  closed(peer: Peer): void {
    this.peers.delete(peer.id);
    this.chain.forgetPeer(peer.id);
  }

  // ---- messages --------------------------------------------------------------------------------

  /** A `headers` payload (raw: packed without an object per header). */
  onHeaders(peer: Peer, payload: Uint8Array): void {
    let packed: { records: Uint8Array; count: number };
    try {
      packed = packHeadersPayload(payload);
    } catch (err) {
      peer.onDecodeError(err, 'headers');
      return;
    }
    const s = this.state(peer);
    const { records, count } = packed;
    if (count === 0) {
      // Nothing after our locator: an answer all the same.
      s.getheadersAt = 0;
      return;
    }
    const tipBefore = this.chain.tipHeight;
    const out = this.chain.acceptHeaders(peer.id, records, 0, count, this.nowSec(), this.budgetOf(peer));
    // Core: headers that connect answer any getheaders of ours; unconnecting ones cannot (a BIP130
    // announcement), so the request stays in flight and no second one goes out before its deadline.
    if (out.reject?.code !== 'unconnected' || out.reject.index > 0) s.getheadersAt = 0;
    this.noteBest(s, out.lastEntry, out.stored);
    if (out.stored > 0) this.scheduleFlush();
    if (out.reject !== undefined && !this.onReject(peer, out.reject.code, out.reject.index === 0)) return;
    if (count === MAX_BLOCK_HEADERS_PER_MSG && out.reject === undefined) {
      // A full message: the peer has more (Core asks again from the last header it sent).
      this.sendGetheaders(peer, out.lastEntry);
      return;
    }
    const moved = this.chain.tipHeight - tipBefore;
    if (out.tipChanged && out.lastEntry === this.chain.tipEntry && moved > 0 && moved <= MAX_BLOCKS_TO_ANNOUNCE && this.canDirectFetch()) {
      const hashes: Uint8Array[] = [];
      for (let h = tipBefore + 1; h <= this.chain.tipHeight; h++) hashes.push(this.chain.hash(this.chain.atHeight(h)).slice());
      this.host.fetchBlocks(peer, hashes);
    }
  }

  /** A peer's `getheaders`: our best-chain headers after its locator (at most 2,000). */
  onGetheaders(peer: Peer, msg: GetHeadersMessage): void {
    const { bytes, count } = this.chain.headersAfter(msg.locator, msg.hashStop, MAX_BLOCK_HEADERS_PER_MSG);
    const headers = new Array<BlockHeader>(count);
    const r = new WireReader(bytes);
    for (let i = 0; i < count; i++) headers[i] = readBlockHeader(r);
    peer.sendMessage({ command: 'headers', headers });
  }

  /**
   * The header of a block (80 bytes at bytes[off..]) from `peer`: stored if new. Returns its entry,
   * or -1 when it was refused (the refusal is handled here: score, or a getheaders).
   */
  acceptBlockHeader(peer: Peer, bytes: Uint8Array, off: number, viaCompact = false): number {
    const s = this.state(peer);
    const out = this.chain.acceptHeaders(peer.id, bytes, off, 1, this.nowSec(), this.budgetOf(peer));
    this.noteBest(s, out.lastEntry, out.stored);
    if (out.stored > 0) this.scheduleFlush();
    if (out.reject !== undefined) {
      this.onReject(peer, out.reject.code, true, viaCompact);
      return -1;
    }
    return out.lastEntry;
  }

  /**
   * The block of the header at `entry` failed the checks (not mutated): the chain marks it and its
   * descendants and leaves them as tip (HeaderChain.invalidate); the marks are written after the
   * headers they name.
   */
  invalidateBlock(entry: number): void {
    if (!this.chain.invalidate(entry)) return;
    const file = this.file;
    if (file === null) return;
    this.scheduleFlush();
    this.flushing = this.flushing.then(() => file.saveFailed(this.chain).catch((err: unknown) => this.log.warn('writing failed-block marks failed', { err: String(err) })));
  }

  /** Writes what is not yet on disk and closes the file. */
  async close(): Promise<void> {
    if (this.file === null) return;
    this.scheduleFlush();
    await this.flushing;
    await this.file.close();
  }

  /** Resolves once every header stored so far is on disk (tests, shutdown). */
  flushed(): Promise<void> {
    return this.flushing;
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Handles a refusal; true when what was accepted before it may still be used. */
  private onReject(peer: Peer, code: HeaderRejectCode, first: boolean, viaCompact = false): boolean {
    if (code === 'bad-pow') {
      this.host.punish(peer, 'INVALID_HEADER_POW', 'header with invalid proof of work');
      return false;
    }
    if (HEADER_PEER_FAULTS.has(code)) {
      this.host.punish(peer, 'INVALID_HEADER', `invalid header: ${code}`);
      return false;
    }
    if (code === 'duplicate-invalid') {
      // Core MaybePunishNodeForBlock, BLOCK_CACHED_INVALID: outbound peers on an invalid chain are
      // discouraged; inbound ones, and high-bandwidth compact blocks, are not.
      if (peer.direction === 'outbound' && !viaCompact) this.host.punish(peer, 'INVALID_HEADER', 'header of a block known invalid');
      return false;
    }
    if (code === 'unconnected') {
      // Core: headers that do not connect are answered with a getheaders from our tip.
      if (first) this.sendGetheaders(peer, this.chain.tipEntry);
      return false;
    }
    // time-too-new, low-work-budget, side-budget: not stored, not a fault.
    this.log.debug('headers not stored', { peer: peer.addr, code });
    return false;
  }

  private sendGetheaders(peer: Peer, from: number): void {
    const s = this.state(peer);
    const now = this.clock.now();
    if (s.getheadersAt !== 0 && now - s.getheadersAt < HEADERS_RESPONSE_TIME_MS) return;
    s.getheadersAt = now;
    peer.sendMessage(getHeadersFor(this.chain, PROTOCOL_VERSION, from < 0 ? this.chain.tipEntry : from));
  }

  /** Outbound peers are our sync peers (no low-work budget); inbound ones get the default. */
  private budgetOf(peer: Peer): number | undefined {
    return peer.direction === 'outbound' ? Infinity : undefined;
  }

  private state(peer: Peer): PeerSync {
    let s = this.peers.get(peer.id);
    if (s === undefined) {
      s = { getheadersAt: 0, best: -1, announcedAt: 0 };
      this.peers.set(peer.id, s);
    }
    return s;
  }

  /** Records the peer's best header; `stored` new headers ending at our tip's work are an announcement. */
  private noteBest(s: PeerSync, entry: number, stored: number): void {
    if (entry < 0) return;
    const work = this.chain.workOf(entry);
    if (s.best < 0 || work > this.chain.workOf(s.best)) s.best = entry;
    if (stored > 0 && work >= this.chain.tipWork) s.announcedAt = this.clock.now();
  }

  private nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private scheduleFlush(): void {
    const file = this.file;
    if (file === null || this.flushQueued) return;
    this.flushQueued = true;
    this.flushing = this.flushing.then(async () => {
      this.flushQueued = false;
      try {
        await file.flush(this.chain);
      } catch (err) {
        // Nothing is marked written: the next flush writes the same headers again.
        this.log.warn('writing headers failed', { err: String(err) });
      }
    });
  }
}
