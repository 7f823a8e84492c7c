/**
 * Address gossip, the one owner of the address rules the node follows (Bitcoin Core
 * src/net_processing.cpp): intake of addr/addrv2 under a per-peer token bucket (Core#22387),
 * relaying fresh addresses onward (src/addr/addr-relay.ts), answering getaddr from a cache,
 * asking outbound peers for addresses, advertising our own listen address, marking dialled peers
 * good, and choosing addresses for automatic outbound slots and feelers.
 *
 * Per peer it keeps what Core keeps in its Peer struct: the token bucket, whether the peer takes
 * part in address relay (never a block-relay-only or feeler connection), whether we sent it a
 * getaddr whose answer is still coming (m_getaddr_sent), whether it already had its getaddr
 * answered (m_getaddr_recvd), the addresses it is known to have (m_addr_known) and the addresses
 * queued for it with the time of its next send (m_addrs_to_send, m_next_addr_send).
 */
import type { Clock } from '../clock.js';
import { AddrManager } from '../addr/addr-manager.js';
import type { AddrEntry, AddrManagerOptions } from '../addr/addr-manager.js';
import { AddrRateLimiter } from '../addr/addr-rate-limiter.js';
import { addressRelayable, AddrRelay, messageRelayable } from '../addr/addr-relay.js';
import { LruSet } from '../util/lru-set.js';
import { cryptoRandom, exponentialDelayMs, type Random } from '../util/random.js';
import type { Message } from '../wire/codec.js';
import { ADDRV2_VERSION, MAX_ADDR_PER_MSG } from '../wire/constants.js';
import { formatIpPort, parseIpPort } from '../util/host-port.js';
import { addrV2ToText, type AddrV2Entry } from '../wire/addrv2.js';
import type { TimedNetAddress } from '../wire/net-address.js';
import { overlayKey, parseOverlay } from '../util/overlay.js';
import type { Logger } from '../log.js';
import type { RelayConfig } from '../types.js';

/** The view of a peer that address gossip needs (implemented by Peer). */
export interface GossipPeer {
  readonly id: number;
  readonly addr: string;
  readonly direction: 'inbound' | 'outbound';
  readonly wantsAddrV2: boolean;
  readonly protocolVersion: number | null;
  sendMessage(msg: Message): void;
}

/** What the node knows about a connection beyond the peer itself. */
export interface GossipConnection {
  /** A block-relay-only or feeler connection: no address relay in either direction (Core). */
  readonly noAddrRelay?: boolean;
  /**
   * A `--seednode` connection (Core ADDR_FETCH): we always ask it for addresses, and the node
   * disconnects it once it answered (onAddresses returns `disconnect`).
   */
  readonly addrFetch?: boolean;
}

/** Core m_addr_response_caches: a getaddr answer is reused for 21 h plus a random 0–6 h. */
export const GETADDR_CACHE_BASE_MS = 21 * 3_600_000;
export const GETADDR_CACHE_JITTER_MS = 6 * 3_600_000;
/** Core AVG_ADDRESS_BROADCAST_INTERVAL: queued addresses go out on a Poisson timer of this mean. */
export const ADDR_BROADCAST_INTERVAL_MS = 30_000;
/** Core: the rolling filter of addresses a peer knows holds 5,000. */
export const ADDR_KNOWN_CAPACITY = 5000;

const IPV4_NET_ID = 1;
const IPV6_NET_ID = 2;

interface PeerGossip {
  readonly peer: GossipPeer;
  readonly addrFetch: boolean;
  readonly limiter: AddrRateLimiter;
  readonly addrRelay: boolean;
  getaddrSent: boolean;
  getaddrAnswered: boolean;
  readonly known: LruSet<string>;
  queue: AddrEntry[];
  nextSendAt: number;
}

export interface AddressGossipOptions {
  readonly random?: Random;
  /** Tor is reachable (an onion proxy is configured): onion addresses are relayed to 2 peers, not 1–2. */
  readonly onionReachable?: boolean;
  /** 16-byte secret of the relay destination hash; default random. */
  readonly relayKey?: Uint8Array;
}

export class AddressGossip {
  readonly addrs: AddrManager;
  private readonly peers = new Map<number, PeerGossip>();
  private readonly relay: AddrRelay;
  private readonly random: Random;
  private readonly onionReachable: boolean;
  private cache: { entries: AddrEntry[]; expiresAt: number } | null = null;

  constructor(
    private readonly config: RelayConfig,
    private readonly clock: Clock,
    log: Logger,
    storedTable: unknown | null,
    opts: AddressGossipOptions = {},
  ) {
    this.random = opts.random ?? cryptoRandom;
    this.onionReachable = opts.onionReachable === true;
    this.relay = new AddrRelay(opts.relayKey);
    const addrOpts: AddrManagerOptions = { clock, random: this.random, allowLocal: config.allowLocalAddresses };
    let addrs = new AddrManager(addrOpts);
    if (storedTable !== null) {
      try {
        addrs = AddrManager.fromJSON(storedTable, addrOpts);
      } catch (err) {
        log.warn('the stored address table is unreadable; starting with an empty one', { err });
      }
    }
    this.addrs = addrs;
  }

  /**
   * A handshake completed. Every peer gets an addr token bucket; for one we dialled, the address is
   * marked good; a full-relay outbound peer also hears our listen address and, if we need more
   * addresses, a getaddr. Block-relay-only and feeler connections take no part in address relay.
   */
  onEstablished(peer: GossipPeer, whitelisted: boolean, listenAddress: string | null, conn: GossipConnection = {}): void {
    const limiter = new AddrRateLimiter({ clock: this.clock, whitelisted });
    const state: PeerGossip = {
      peer,
      addrFetch: conn.addrFetch === true,
      limiter,
      addrRelay: conn.noAddrRelay !== true,
      getaddrSent: false,
      getaddrAnswered: false,
      known: new LruSet(ADDR_KNOWN_CAPACITY),
      queue: [],
      nextSendAt: this.nextBroadcast(),
    };
    this.peers.set(peer.id, state);
    if (peer.direction !== 'outbound') return;
    // A peer we dialled is a known-good address, also when it came from --connect, not the table.
    if (!this.addrs.has(peer.addr)) this.addrs.addAddresses([{ addr: peer.addr, timestamp: this.nowSec() }], peer.addr);
    this.addrs.connected(peer.addr);
    this.addrs.good(peer.addr);
    if (!state.addrRelay) return;
    this.advertiseSelf(peer, listenAddress);
    if (state.addrFetch || this.addrs.needMoreAddresses()) {
      limiter.onGetAddrSent();
      state.getaddrSent = true;
      peer.sendMessage({ command: 'getaddr' });
    }
  }

  onClosed(peerId: number): void {
    this.peers.delete(peerId);
  }

  /**
   * addr / addrv2 entries from a peer: through its token bucket into the table, then the fresh
   * ones of a small unsolicited message are queued for 1 or 2 other peers (Core RelayAddress).
   * A peer outside address relay (block-relay-only) is ignored, as Core does. `disconnect`: an
   * address-fetch (seed node) connection has answered and should be closed (Core: more than one
   * address in the message).
   */
  onAddresses(peer: GossipPeer, msg: Extract<Message, { command: 'addr' | 'addrv2' }>): { disconnect: boolean } {
    const state = this.peers.get(peer.id);
    if (state !== undefined && !state.addrRelay) return { disconnect: false };
    const list: AddrEntry[] =
      msg.command === 'addr'
        ? msg.addresses.map((a) => ({ addr: formatIpPort(a.ip, a.port), timestamp: a.timestamp, services: a.services }))
        : msg.addresses.flatMap((a) => {
            // IPv4/IPv6 as HOST:PORT; Tor v3, I2P and CJDNS as overlay keys; Tor v2 and unknown ids dropped.
            const addr = a.networkId === IPV4_NET_ID || a.networkId === IPV6_NET_ID ? addrV2ToText(a) : overlayKey(a.networkId, a.addr, a.port);
            return addr === null ? [] : [{ addr, timestamp: a.timestamp, services: a.services }];
          });
    const result = this.addrs.addAddresses(list, peer.addr, state === undefined ? {} : { limiter: state.limiter });
    if (state === undefined) return { disconnect: false };
    for (const e of result.accepted) state.known.add(e.addr);
    const now = this.clock.now();
    if (messageRelayable(msg.addresses.length, state.getaddrSent)) {
      for (const e of result.accepted) {
        // Accepted entries are valid and routable under the table's rule (loopback counts on regtest).
        if (!addressRelayable(e.timestamp, true, now)) continue;
        const overlay = parseOverlay(e.addr);
        // We reach IP networks, and Tor through a proxy; never I2P or CJDNS (we do not dial them).
        const reachable = overlay === null || (overlay.net === 'onion' && this.onionReachable);
        const targets = this.relay.targets(e.addr, { nowMs: now, originator: peer.id, peers: this.candidates(), reachable, needsAddrV2: overlay !== null });
        for (const id of targets) this.queueFor(this.peers.get(id)!, e);
      }
    }
    // Core: a message short of the maximum ends the answer to our getaddr.
    if (msg.addresses.length < MAX_ADDR_PER_MSG) state.getaddrSent = false;
    return { disconnect: state.addrFetch && msg.addresses.length > 1 };
  }

  /**
   * Addresses from DNS seeds (src/conn/discovery.ts querySeeds) or the fixed seeds: filed under
   * the seed's name as source, so each seed is its own source group. Returns how many were new.
   */
  addFromSeed(seed: string, entries: readonly AddrEntry[]): number {
    return this.addrs.addAddresses(entries, seed).added;
  }

  /** Addresses the peer's token bucket admits now (Infinity before its handshake completed). */
  addrBudget(peerId: number): number {
    return this.peers.get(peerId)?.limiter.available() ?? Infinity;
  }

  /**
   * Core: getaddr is answered for inbound peers only (an outbound peer asking is fingerprinting
   * us), once per connection, from a cache refreshed every 21 h + a random 0–6 h, so repeated
   * asking over many connections reveals no more of the table than one answer does.
   */
  onGetaddr(peer: GossipPeer): void {
    const state = this.peers.get(peer.id);
    if (state === undefined || peer.direction !== 'inbound' || state.getaddrAnswered || !state.addrRelay) return;
    state.getaddrAnswered = true;
    const now = this.clock.now();
    if (this.cache === null || now >= this.cache.expiresAt) {
      this.cache = { entries: this.addrs.addressCache(), expiresAt: now + GETADDR_CACHE_BASE_MS + Math.floor(this.random.float() * GETADDR_CACHE_JITTER_MS) };
    }
    const entries = this.cache.entries;
    for (const e of entries) state.known.add(e.addr);
    this.send(peer, entries);
  }

  /**
   * Sends each peer its queued addresses once its Poisson timer (30 s mean) is due. Call from the
   * node's ticker; the timer hides from an observer when an address reached us.
   */
  tick(): void {
    const now = this.clock.now();
    for (const state of this.peers.values()) {
      if (now < state.nextSendAt) continue;
      state.nextSendAt = this.nextBroadcast();
      if (state.queue.length === 0) continue;
      const batch = state.queue.splice(0, MAX_ADDR_PER_MSG);
      this.send(state.peer, batch);
    }
  }

  /** Addresses waiting for the peer's next send (for tests and /peers). */
  queuedFor(peerId: number): readonly AddrEntry[] {
    return this.peers.get(peerId)?.queue ?? [];
  }

  /**
   * An address for an automatic outbound slot, never one in `busy` (connected, being dialled, or
   * ourselves); `preference` biases towards healthy peers.
   */
  pickOutbound(excludeGroups: ReadonlySet<string>, busy: ReadonlySet<string>, preference: (addr: string) => number, defaultPort: number, allow?: (addr: string) => boolean): string | null {
    return this.addrs.selectOutbound({ excludeGroups, exclude: busy, preference, defaultPort, ...(allow === undefined ? {} : { allow }) });
  }

  /** An address for a feeler (tried collisions first), never one in `busy`. */
  pickFeeler(busy: ReadonlySet<string>, allow?: (addr: string) => boolean): string | null {
    return this.addrs.selectFeeler({ exclude: busy, ...(allow === undefined ? {} : { allow }) });
  }

  /**
   * Previous full-relay peers handed back by the rejoin plan (src/conn/rejoin-plan.ts): known to
   * the table so normal selection can pick them, never dialled wholesale.
   */
  rememberPrevious(addrs: readonly string[]): void {
    const now = this.nowSec();
    for (const a of addrs) if (!this.addrs.has(a)) this.addrs.addAddresses([{ addr: a, timestamp: now }], a);
  }

  private candidates(): { id: number; addrRelay: boolean; addrV2: boolean }[] {
    return [...this.peers.values()].map((s) => ({ id: s.peer.id, addrRelay: s.addrRelay, addrV2: this.v2(s.peer) }));
  }

  private queueFor(state: PeerGossip, e: AddrEntry): void {
    if (state.known.has(e.addr)) return;
    state.known.add(e.addr);
    state.queue.push(e);
  }

  private nextBroadcast(): number {
    return this.clock.now() + exponentialDelayMs(this.random, ADDR_BROADCAST_INTERVAL_MS);
  }

  private v2(peer: GossipPeer): boolean {
    return peer.wantsAddrV2 && (peer.protocolVersion ?? 0) >= ADDRV2_VERSION;
  }

  /**
   * Entries as addr or addrv2 messages of at most 1,000 each. Overlay addresses (Tor v3, I2P,
   * CJDNS) have no addr (v1) encoding: a v1 peer does not get them (Core IsAddrCompatible).
   */
  private send(peer: GossipPeer, entries: readonly AddrEntry[]): void {
    const v2 = this.v2(peer);
    const wire = entries.flatMap((entry): { v2: AddrV2Entry; v1: TimedNetAddress | null }[] => {
      const timestamp = entry.timestamp;
      const services = entry.services ?? 0n;
      const o = parseOverlay(entry.addr);
      if (o !== null) return v2 ? [{ v2: { timestamp, services, networkId: o.networkId, addr: o.addr, port: o.port }, v1: null }] : [];
      const hp = parseIpPort(entry.addr);
      if (hp === null) return [];
      const { ip, port } = hp;
      const v4 = isIPv4Mapped(ip);
      return [{ v2: { timestamp, services, networkId: v4 ? IPV4_NET_ID : IPV6_NET_ID, addr: v4 ? ip.slice(12) : ip.slice(), port }, v1: { timestamp, services, ip, port } }];
    });
    for (let i = 0; i < wire.length; i += MAX_ADDR_PER_MSG) {
      const chunk = wire.slice(i, i + MAX_ADDR_PER_MSG);
      if (v2) peer.sendMessage({ command: 'addrv2', addresses: chunk.map((w) => w.v2) });
      else peer.sendMessage({ command: 'addr', addresses: chunk.map((w) => w.v1!) });
    }
  }

  /**
   * Tells an outbound peer where we listen (Core's AdvertiseLocal), so addresses spread. Skipped for
   * wildcard listeners, and for local addresses unless the network allows them.
   */
  private advertiseSelf(peer: GossipPeer, listen: string | null): void {
    if (listen === null) return;
    const hp = parseIpPort(listen);
    if (hp === null) return;
    const { ip, port } = hp;
    const unspecified = ip.every((b, i) => (i < 10 ? b === 0 : i < 12 ? b === 0xff || b === 0 : b === 0));
    if (unspecified) return;
    if (/^(127\.|10\.|192\.168\.|\[::1\])/.test(listen) && !this.config.allowLocalAddresses) return;
    peer.sendMessage({ command: 'addr', addresses: [{ timestamp: this.nowSec(), services: 0n, ip, port }] });
  }

  private nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

function isIPv4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}
