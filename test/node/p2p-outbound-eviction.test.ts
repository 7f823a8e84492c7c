/**
 * Mirrors Bitcoin Core's functional test p2p_outbound_eviction.py, and the extra outbound peers of
 * net_processing.cpp (CheckForStaleTipAndEvictPeers, EvictExtraOutboundPeers), in memory with a
 * manual clock: the node's own PeerSet peers (test/helpers/peer-lab.ts), HeaderSync,
 * OutboundEviction and ConnManager, wired as the node wires them (compose.ts, connector.ts).
 *
 * - an outbound peer that never catches up with our tip gets one getheaders after 20 minutes and
 *   is disconnected 2 minutes later;
 * - one that catches up with the tip it was measured against gets a new timer, and one that
 *   reaches our tip is kept;
 * - up to 4 full-relay peers that had our tip are protected; a fifth is not;
 * - block-relay-only peers are never protected; manual peers are never considered;
 * - once synced, an extra block-relay-only peer is opened now and then, and the youngest (or the
 *   next-youngest, if the youngest brought a block more recently) is disconnected;
 * - a stale tip opens one extra full-relay peer, and the full-relay peer that least recently
 *   announced a block is disconnected.
 */
import { describe, expect, it } from 'vitest';
import { dsha } from '../../bench/support/blocks.js';
import type { MemSocket } from '../../bench/support/mem-socket.js';
import { HeaderChain } from '../../src/chain/header-chain.js';
import { chainParams } from '../../src/chain/params.js';
import { ConnManager, type ConnKind } from '../../src/conn/conn-manager.js';
import { silentLogger } from '../../src/log.js';
import { HEADERS_RESPONSE_TIME_MS, HeaderSync } from '../../src/node/header-sync.js';
import {
  CHAIN_SYNC_TIMEOUT_MS,
  EXTRA_PEER_CHECK_INTERVAL_MS,
  MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT,
  MINIMUM_CONNECT_TIME_MS,
  OutboundEviction,
} from '../../src/node/outbound-eviction.js';
import type { Peer } from '../../src/peer/peer.js';
import { seededRandom } from '../../src/util/random.js';
import { readBlockHeader } from '../../src/wire/block-header.js';
import type { BlockHeader } from '../../src/wire/block-header.js';
import { WireReader } from '../../src/wire/reader.js';
import type { GetHeadersMessage } from '../../src/wire/messages/getheaders.js';
import { chainOf } from '../chain/chain-helpers.js';
import { schedulerFor, settle, type ManualScheduler } from '../conn/scheduler.js';
import { messagesOf, PeerLab, send, turn } from '../helpers/peer-lab.js';

const GENESIS_HASH = dsha(chainParams('regtest').genesisHeader);
/** The ticker's pass, coarser than the node's 1 s: every rule here works in tens of seconds. */
const STEP_MS = 5_000;

function headersOf(bytes: Uint8Array): BlockHeader[] {
  const r = new WireReader(bytes);
  const out: BlockHeader[] = [];
  while (r.pos < bytes.length) out.push(readBlockHeader(r));
  return out;
}

interface LabPeer {
  readonly peer: Peer;
  readonly socket: MemSocket;
}

/**
 * One node's outbound side in memory: real peers from the PeerSet, a regtest headers chain, and a
 * ConnManager whose dials become established peers of the requested kind.
 */
class EvictionLab {
  readonly sync: HeaderSync;
  readonly eviction: OutboundEviction;
  readonly cm: ConnManager<Peer>;
  readonly sched: ManualScheduler;
  readonly lab: PeerLab;
  /** Our chain so far: headers (concatenated) and hashes; peers that "have our tip" send it all. */
  private chainBytes = new Uint8Array(0);
  private tipHash = GENESIS_HASH;
  private tag = 0;
  readonly byId = new Map<number, LabPeer>();
  private readonly reqOf = new Map<number, number>();
  private nextGroup = 1;
  /** What each new peer does right after its handshake. */
  onNewPeer: (p: LabPeer) => Promise<void> = async (p) => this.sendChain(p);

  constructor(opts: { targetOutbound: number; blockRelayOnly: number }) {
    let sync: HeaderSync | undefined;
    this.lab = new PeerLab({}, { onHeaders: (peer, payload) => sync!.onHeaders(peer, payload) });
    const clock = this.lab.clock;
    this.sync = sync = new HeaderSync(new HeaderChain(chainParams('regtest')), null, clock, silentLogger, { punish: () => {}, fetchBlocks: () => {} });
    this.sched = schedulerFor(clock);
    this.cm = new ConnManager<Peer>({
      clock,
      scheduler: this.sched,
      random: seededRandom(5),
      allowLocal: true,
      targetOutbound: opts.targetOutbound,
      blockRelayOnly: opts.blockRelayOnly,
      dial: (_addr, kind) => this.dial(kind),
      getNewAddress: () => `127.${this.nextGroup++}.0.1:18444`,
      onConnection: (req, peer) => this.reqOf.set(peer.id, req.id),
    });
    this.eviction = new OutboundEviction({
      clock,
      log: silentLogger,
      registry: this.lab.peers,
      sync: this.sync,
      connector: {
        tryAnotherOutbound: (on) => this.cm.setTryAnotherOutbound(on),
        tryingAnotherOutbound: () => this.cm.tryingAnotherOutbound,
        startExtraBlockRelayPeers: () => this.cm.startExtraBlockRelayPeers(),
        extraOutbound: (kind) => this.cm.extraCount(kind),
      },
      blockInFlight: (id) => this.lab.relay.hasBlockRequestTo(id),
      automaticOutbound: true,
    });
    this.lab.listen(this.sync);
    this.lab.listen(this.eviction);
    // As the Connector: a closed outbound peer is the connection manager's news (refill or not).
    this.lab.listen({
      closed: (peer) => {
        const req = this.reqOf.get(peer.id);
        this.reqOf.delete(peer.id);
        this.byId.delete(peer.id);
        if (req !== undefined) this.cm.disconnect(req);
      },
    });
  }

  get now(): number {
    return this.lab.clock.now();
  }

  private async dial(kind: ConnKind): Promise<Peer> {
    const c = await this.lab.established({ direction: 'outbound', kind });
    this.byId.set(c.peer.id, c);
    await this.onNewPeer(c);
    return c.peer;
  }

  /** `n` new headers on our chain, recent (so the chain counts as synced), sent by `from`. */
  async extend(from: LabPeer, n: number): Promise<void> {
    const nowSec = Math.floor(this.now / 1000);
    const next = chainOf(this.tipHash, nowSec - 600 * n, n, ++this.tag);
    const joined = new Uint8Array(this.chainBytes.length + next.bytes.length);
    joined.set(this.chainBytes);
    joined.set(next.bytes, this.chainBytes.length);
    this.chainBytes = joined;
    this.tipHash = next.hashes[n - 1]!;
    send(from.socket, { command: 'headers', headers: headersOf(next.bytes) });
    await turn();
    expect(this.sync.chain.tipWork).toBe(this.sync.chain.workOf(this.sync.peerBest(from.peer.id)));
  }

  /** `from` extends our chain by `n`; every other live peer follows at once (all stay at our tip). */
  async extendAll(from: LabPeer, n: number): Promise<void> {
    await this.extend(from, n);
    for (const p of this.byId.values()) if (p !== from && !p.peer.isClosed) await this.sendChain(p);
  }

  /** `p` tells us our whole chain (it has our tip). */
  async sendChain(p: LabPeer): Promise<void> {
    if (this.chainBytes.length === 0) return;
    send(p.socket, { command: 'headers', headers: headersOf(this.chainBytes) });
    await turn();
  }

  async start(): Promise<void> {
    this.cm.start();
    await this.until(() => this.cm.count('full-relay', 'established') === this.cm.targetOutbound && this.cm.count('block-relay-only', 'established') === this.cm.blockRelayOnly, 'every automatic slot connected');
  }

  /** Moves the clock `ms` forward in ticker passes: connection timers, then the eviction rules. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    while (this.now < end) {
      await this.sched.advance(Math.min(STEP_MS, end - this.now));
      this.eviction.tick(this.now);
      await settle();
    }
  }

  /** Advances until `cond` holds, at most `maxMs` of simulated time. */
  async advanceUntil(cond: () => boolean, what: string, maxMs: number): Promise<void> {
    const end = this.now + maxMs;
    while (!cond()) {
      if (this.now >= end) throw new Error(`not within ${maxMs} ms of simulated time: ${what}`);
      await this.advance(STEP_MS);
    }
  }

  /** Turns the event loop until `cond` holds (no time passes). */
  async until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500 && !cond(); i++) await settle();
    if (!cond()) throw new Error(`never happened: ${what}`);
  }

  outbound(kind: ConnKind): LabPeer[] {
    return [...this.byId.values()].filter((p) => p.peer.kind === kind && !p.peer.isClosed).sort((a, b) => a.peer.id - b.peer.id);
  }

  closedReason(p: LabPeer): string | undefined {
    return this.lab.closed.find((c) => c.peer === p.peer.id)?.reason;
  }

  getheadersSent(p: LabPeer): number {
    return this.getheaders(p).length;
  }

  /** The getheaders `p` was sent since last asked. */
  getheaders(p: LabPeer): GetHeadersMessage[] {
    return messagesOf(p.socket.take()).filter((m): m is GetHeadersMessage => m.command === 'getheaders');
  }

  /** Our tip's parent (hash). */
  get tipParentHash(): Uint8Array {
    const c = this.sync.chain;
    return c.hash(c.ancestor(c.tipEntry, c.tipHeight - 1));
  }
}

/**
 * 5 full-relay peers at our tip (4 protected, 1 not), then no new tip for 3 block intervals (30
 * minutes on regtest's 10-minute spacing): one extra full-relay peer, connected.
 */
async function staleTipWithExtraPeer(): Promise<{ lab: EvictionLab; unprotected: LabPeer; extra: LabPeer }> {
  const lab = new EvictionLab({ targetOutbound: 5, blockRelayOnly: 0 });
  await lab.start();
  const first = lab.outbound('full-relay');
  await lab.extend(first[0]!, 2);
  for (const p of first.slice(1)) await lab.sendChain(p);
  await lab.advance(STEP_MS);
  const unprotected = first.filter((p) => !lab.eviction.isProtected(p.peer.id));
  expect(unprotected.length).toBe(1);
  await lab.advanceUntil(() => lab.outbound('full-relay').length === 6, 'an extra full-relay peer', 60 * 60_000);
  expect(lab.cm.tryingAnotherOutbound).toBe(true);
  return { lab, unprotected: unprotected[0]!, extra: lab.outbound('full-relay').find((p) => !first.includes(p))! };
}

describe('p2p_outbound_eviction', () => {
  it('a full-relay peer that never catches up gets one getheaders after 20 minutes and is disconnected 2 minutes later', async () => {
    const lab = new EvictionLab({ targetOutbound: 2, blockRelayOnly: 0 });
    lab.onNewPeer = async () => {}; // nobody sends anything on its own
    await lab.start();
    const [a, b] = lab.outbound('full-relay') as [LabPeer, LabPeer];
    await lab.extend(a, 5); // a is our sync peer; b stays at nothing
    lab.getheadersSent(b);
    // Its timer starts at the first ticker pass: nothing for 20 minutes.
    await lab.advance(CHAIN_SYNC_TIMEOUT_MS);
    expect(b.peer.isClosed).toBe(false);
    expect(lab.getheadersSent(b)).toBe(0);
    // Then one getheaders, the last chance, from our tip's parent (a peer at our tip answers with it).
    const getheaders: GetHeadersMessage[] = [];
    await lab.advanceUntil(() => getheaders.push(...lab.getheaders(b)) > 0, 'the last-chance getheaders', 3 * STEP_MS);
    expect(getheaders.length).toBe(1);
    expect(Buffer.from(getheaders[0]!.locator[0]!)).toEqual(Buffer.from(lab.tipParentHash));
    await lab.advance(HEADERS_RESPONSE_TIME_MS - STEP_MS);
    expect(b.peer.isClosed).toBe(false);
    expect(lab.getheadersSent(b)).toBe(0);
    await lab.advance(2 * STEP_MS);
    expect(lab.closedReason(b)).toBe('stale_chain');
    // a had our tip: protected, and never behind anyway.
    expect(a.peer.isClosed).toBe(false);
    expect(lab.eviction.isProtected(a.peer.id)).toBe(true);
    // The slot is refilled (the connection manager replaces a dropped automatic peer).
    await lab.until(() => lab.cm.count('full-relay', 'established') === 2, 'the slot refilled');
  });

  it('a peer that catches up with the tip it was measured against gets a new timer; one that reaches our tip is kept', async () => {
    const lab = new EvictionLab({ targetOutbound: 6, blockRelayOnly: 0 });
    lab.onNewPeer = async () => {};
    await lab.start();
    const peers = lab.outbound('full-relay');
    const [feeder, ...rest] = peers as [LabPeer, ...LabPeer[]];
    await lab.extend(feeder, 3);
    // Fill the protection slots, so that the peer under test is not protected when it catches up.
    for (const p of rest.slice(0, 3)) await lab.sendChain(p);
    await lab.advance(STEP_MS);
    expect(peers.filter((p) => lab.eviction.isProtected(p.peer.id)).length).toBe(MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT);
    const late = rest[3]!;
    const never = rest[4]!;
    expect(lab.eviction.isProtected(late.peer.id)).toBe(false);
    // late's timer runs against our tip of now; 10 minutes on, our tip moves on and late reaches the old tip.
    await lab.advance(CHAIN_SYNC_TIMEOUT_MS / 2);
    await lab.sendChain(late);
    await lab.extend(feeder, 1);
    await lab.advance(CHAIN_SYNC_TIMEOUT_MS / 2 + HEADERS_RESPONSE_TIME_MS + 6 * STEP_MS);
    // Past the first deadline: never (no headers at all) is gone, late got a new timer and stays.
    expect(lab.closedReason(never)).toBe('stale_chain');
    expect(late.peer.isClosed).toBe(false);
    // late reaches our tip: no timer any more, kept however long.
    await lab.sendChain(late);
    await lab.advance(2 * (CHAIN_SYNC_TIMEOUT_MS + HEADERS_RESPONSE_TIME_MS));
    expect(late.peer.isClosed).toBe(false);
    expect(lab.eviction.isProtected(late.peer.id)).toBe(false);
  });

  it('keeps up to 4 protected full-relay peers that fall behind, and disconnects a fifth', async () => {
    const lab = new EvictionLab({ targetOutbound: 6, blockRelayOnly: 0 });
    lab.onNewPeer = async () => {};
    await lab.start();
    const full = lab.outbound('full-relay');
    await lab.extend(full[0]!, 2);
    for (const p of full.slice(1)) await lab.sendChain(p);
    await lab.advance(STEP_MS);
    const isProtected = full.map((p) => lab.eviction.isProtected(p.peer.id));
    expect(isProtected.filter(Boolean).length).toBe(4);
    // A new block from an unprotected peer: every other outbound peer is behind now.
    const feeder = full[5]!;
    expect(isProtected[5]).toBe(false);
    await lab.extend(feeder, 1);
    await lab.advance(CHAIN_SYNC_TIMEOUT_MS + HEADERS_RESPONSE_TIME_MS + 6 * STEP_MS);
    const unprotectedBehind = full.filter((p, i) => !isProtected[i] && p !== feeder);
    expect(unprotectedBehind.length).toBe(1);
    expect(lab.closedReason(unprotectedBehind[0]!)).toBe('stale_chain');
    for (const [i, p] of full.entries()) if (isProtected[i]) expect(p.peer.isClosed).toBe(false);
    expect(feeder.peer.isClosed).toBe(false);
  });

  it('never protects a block-relay-only peer: it is disconnected when it falls behind', async () => {
    const lab = new EvictionLab({ targetOutbound: 1, blockRelayOnly: 1 });
    lab.onNewPeer = async () => {};
    await lab.start();
    const [feeder] = lab.outbound('full-relay') as [LabPeer];
    const [blockOnly] = lab.outbound('block-relay-only') as [LabPeer];
    await lab.extend(feeder, 2);
    await lab.sendChain(blockOnly);
    await lab.advance(STEP_MS);
    // Protection slots are free, and it had our tip: a full-relay peer would be protected now.
    expect(lab.eviction.isProtected(feeder.peer.id)).toBe(true);
    expect(lab.eviction.isProtected(blockOnly.peer.id)).toBe(false);
    await lab.extend(feeder, 1);
    await lab.advance(CHAIN_SYNC_TIMEOUT_MS + HEADERS_RESPONSE_TIME_MS + 6 * STEP_MS);
    expect(lab.closedReason(blockOnly)).toBe('stale_chain');
    expect(feeder.peer.isClosed).toBe(false);
  });

  it('a manual peer is never considered', async () => {
    const lab = new EvictionLab({ targetOutbound: 1, blockRelayOnly: 0 });
    lab.onNewPeer = async () => {};
    await lab.start();
    await lab.extend(lab.outbound('full-relay')[0]!, 2);
    const manual = await lab.lab.established({ direction: 'outbound', kind: 'manual' });
    await lab.advance(2 * (CHAIN_SYNC_TIMEOUT_MS + HEADERS_RESPONSE_TIME_MS));
    expect(manual.peer.isClosed).toBe(false);
    // No last-chance getheaders either (the handshake's was taken with the handshake bytes).
    expect(messagesOf(manual.socket.take()).filter((m) => m.command === 'getheaders').length).toBe(0);
  });

  it('once synced, opens an extra block-relay-only peer and disconnects the youngest, or the next-youngest if the youngest brought a block more recently', async () => {
    const lab = new EvictionLab({ targetOutbound: 1, blockRelayOnly: 2 });
    await lab.start();
    const feeder = lab.outbound('full-relay')[0]!;
    for (const round of ['youngest goes', 'next-youngest goes']) {
      // Recent headers (synced), every peer at our tip: no stale tip, no stale chain in the way.
      await lab.extendAll(feeder, 3);
      const before = lab.outbound('block-relay-only');
      expect(before.length, round).toBe(2);
      await lab.advanceUntil(() => lab.outbound('block-relay-only').length === 3, 'an extra block-relay-only peer', 6 * 3_600_000);
      const extra = lab.outbound('block-relay-only').find((p) => !before.includes(p))!;
      const nextYoungest = before.reduce((a, b) => (b.peer.connectedAt > a.peer.connectedAt || (b.peer.connectedAt === a.peer.connectedAt && b.peer.id > a.peer.id) ? b : a));
      if (round === 'next-youngest goes') lab.eviction.novelBlock(extra.peer.id, lab.now);
      await lab.advance(MINIMUM_CONNECT_TIME_MS + EXTRA_PEER_CHECK_INTERVAL_MS + STEP_MS);
      const gone = round === 'youngest goes' ? extra : nextYoungest;
      const kept = round === 'youngest goes' ? nextYoungest : extra;
      expect(lab.closedReason(gone), round).toBe('extra_outbound');
      expect(kept.peer.isClosed, round).toBe(false);
      expect(lab.outbound('block-relay-only').length, round).toBe(2);
    }
  });

  it('a stale tip opens one extra full-relay peer; the full-relay peer that least recently announced a block is disconnected', async () => {
    const { lab, unprotected, extra } = await staleTipWithExtraPeer();
    // It brings a new block header: it is the best of the lot now.
    await lab.extend(extra, 1);
    await lab.advance(MINIMUM_CONNECT_TIME_MS + EXTRA_PEER_CHECK_INTERVAL_MS + STEP_MS);
    expect(lab.closedReason(unprotected)).toBe('extra_outbound');
    expect(extra.peer.isClosed).toBe(false);
    expect(lab.cm.tryingAnotherOutbound).toBe(false);
    // Back at the target, and no more extra peers until the tip looks stale again.
    await lab.advance(5 * 60_000);
    expect(lab.outbound('full-relay').length).toBe(5);
  });

  it('an extra full-relay peer that announces nothing is the one disconnected (ties go to the youngest)', async () => {
    const { lab, unprotected, extra } = await staleTipWithExtraPeer();
    await lab.advance(MINIMUM_CONNECT_TIME_MS + EXTRA_PEER_CHECK_INTERVAL_MS + STEP_MS);
    // Neither announced a new block: the youngest connection goes.
    expect(lab.closedReason(extra)).toBe('extra_outbound');
    expect(unprotected.peer.isClosed).toBe(false);
    expect(lab.outbound('full-relay').length).toBe(5);
  });
});
