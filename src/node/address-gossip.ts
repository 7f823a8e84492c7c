/**
 * Address gossip: what the node learns about and tells of other nodes' addresses — intake of
 * addr/addrv2 under a per-peer token bucket, getaddr answers, advertising our own listen address,
 * marking dialled peers good, and choosing addresses for automatic outbound slots.
 */
import type { Clock } from '../clock.js';
import { AddrManager } from '../addr/addr-manager.js';
import type { AddrEntry, AddrManagerOptions } from '../addr/addr-manager.js';
import { AddrRateLimiter } from '../addr/addr-rate-limiter.js';
import type { Message } from '../wire/codec.js';
import { ADDRV2_VERSION } from '../wire/constants.js';
import { formatHostPort, parseIpPort } from '../util/host-port.js';
import { ipToText } from '../wire/net-address.js';
import { addrV2ToText } from '../wire/addrv2.js';
import type { Logger } from '../log.js';
import type { RelayConfig } from './types.js';

/** The view of a peer that address gossip needs (implemented by Peer). */
export interface GossipPeer {
  readonly id: number;
  readonly addr: string;
  readonly direction: 'inbound' | 'outbound';
  readonly wantsAddrV2: boolean;
  readonly protocolVersion: number | null;
  answeredGetaddr: boolean;
  sendMessage(msg: Message): void;
}

const IPV4_NET_ID = 1;
const IPV6_NET_ID = 2;

export class AddressGossip {
  readonly addrs: AddrManager;
  private readonly limiters = new Map<number, AddrRateLimiter>();

  constructor(
    private readonly config: RelayConfig,
    private readonly clock: Clock,
    log: Logger,
    storedTable: unknown | null,
  ) {
    const opts: AddrManagerOptions = { clock, allowLocal: config.allowLocalAddresses, log: log.child({ component: 'addrman' }).log };
    let addrs = new AddrManager(opts);
    if (storedTable !== null) {
      try {
        addrs = AddrManager.fromJSON(storedTable, opts);
      } catch (err) {
        log.warn('the stored address table is unreadable; starting with an empty one', { err });
      }
    }
    this.addrs = addrs;
  }

  /**
   * A handshake completed. Every peer gets an addr token bucket; for one we dialled, the address is
   * marked good, our own listen address is advertised, and more addresses are asked for if needed.
   */
  onEstablished(peer: GossipPeer, whitelisted: boolean, listenAddress: string | null): void {
    const limiter = new AddrRateLimiter({ clock: this.clock, whitelisted });
    this.limiters.set(peer.id, limiter);
    if (peer.direction !== 'outbound') return;
    // A peer we dialled is a known-good address, also when it came from --connect, not the table.
    if (!this.addrs.has(peer.addr)) this.addrs.addAddresses([{ addr: peer.addr, timestamp: this.nowSec() }], peer.addr);
    this.addrs.connected(peer.addr);
    this.addrs.good(peer.addr);
    this.advertiseSelf(peer, listenAddress);
    if (this.addrs.needMoreAddresses()) {
      limiter.onGetAddrSent();
      peer.sendMessage({ command: 'getaddr' });
    }
  }

  onClosed(peerId: number): void {
    this.limiters.delete(peerId);
  }

  /** addr / addrv2 entries from a peer, after its token bucket (Core#22387). IPv4/IPv6 only. */
  onAddresses(peer: GossipPeer, msg: Extract<Message, { command: 'addr' | 'addrv2' }>): void {
    const list: AddrEntry[] =
      msg.command === 'addr'
        ? msg.addresses.map((a) => ({ addr: formatHostPort({ host: ipToText(a.ip), port: a.port }), timestamp: a.timestamp, services: a.services }))
        : msg.addresses
            .filter((a) => a.networkId === IPV4_NET_ID || a.networkId === IPV6_NET_ID)
            .map((a) => ({ addr: addrV2ToText(a), timestamp: a.timestamp, services: a.services }));
    const limiter = this.limiters.get(peer.id);
    this.addrs.addAddresses(list, peer.addr, limiter === undefined ? {} : { limiter });
  }

  /** Addresses the peer's token bucket admits now (Infinity before its handshake completed). */
  addrBudget(peerId: number): number {
    return this.limiters.get(peerId)?.available() ?? Infinity;
  }

  /** btcd: getaddr is answered for inbound peers only, once per connection. */
  onGetaddr(peer: GossipPeer): void {
    if (peer.direction !== 'inbound' || peer.answeredGetaddr) return;
    peer.answeredGetaddr = true;
    const cache = this.addrs.addressCache();
    const parsed = cache.flatMap((e) => {
      const hp = parseIpPort(e.addr);
      return hp === null ? [] : [{ entry: e, ...hp }];
    });
    if (parsed.length === 0) return;
    const v2 = peer.wantsAddrV2 && (peer.protocolVersion ?? 0) >= ADDRV2_VERSION;
    for (let i = 0; i < parsed.length; i += 1000) {
      const chunk = parsed.slice(i, i + 1000);
      if (v2) {
        const addresses = chunk.map(({ entry, ip, port }) => {
          const v4 = isIPv4Mapped(ip);
          return { timestamp: entry.timestamp, services: entry.services ?? 0n, networkId: v4 ? IPV4_NET_ID : IPV6_NET_ID, addr: v4 ? ip.slice(12) : ip.slice(), port };
        });
        peer.sendMessage({ command: 'addrv2', addresses });
      } else {
        peer.sendMessage({ command: 'addr', addresses: chunk.map(({ entry, ip, port }) => ({ timestamp: entry.timestamp, services: entry.services ?? 0n, ip, port })) });
      }
    }
  }

  /**
   * An address for an automatic outbound slot, never one in `busy` (connected, being dialled, or
   * ourselves); `preference` biases towards healthy peers.
   */
  pickOutbound(excludeGroups: ReadonlySet<string>, busy: ReadonlySet<string>, preference: (addr: string) => number, defaultPort: number, allow?: (addr: string) => boolean): string | null {
    return this.addrs.selectOutbound({ excludeGroups, exclude: busy, preference, defaultPort, ...(allow === undefined ? {} : { allow }) });
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
