/**
 * Which addresses the node may dial. Two rules:
 *
 * - `onlynet` (after Core's -onlynet): the networks the node dials at all, among loopback
 *   (127/8, ::1), other IPv4 and other IPv6. It applies to every dial of an IP literal; a DNS
 *   name given by the operator cannot be classified before it is resolved and is let through.
 * - the gossip scope: what an address learned from other peers (automatic outbound slots, and
 *   peers rejoined after a restart) may be. `local` allows loopback and private addresses only
 *   (RFC 1918, RFC 4193, link-local), so a test network never dials the public internet because a
 *   peer gossiped an address. It is the default on regtest; elsewhere the default is `any`.
 *
 * Addresses outside the scope are still learned and relayed; they are only never dialled.
 * Overlay addresses (src/util/overlay.ts): I2P and CJDNS are never dialled; Tor v3 only when an
 * onion route exists (`--onion` or `--proxy`, src/conn/socks5.ts) and the gossip scope is `any`.
 */
import { parseIpPort } from '../util/host-port.js';
import { isIPv4, isLocal, isRFC1918, isRFC3927, isRFC4193, isRFC4862, parseIp } from '../util/ip.js';
import type { Ip16 } from '../util/ip.js';
import { parseOverlay, type OverlayNetName } from '../util/overlay.js';

export const DIAL_NETS = ['ipv4', 'ipv6', 'loopback'] as const;
export type DialNet = (typeof DIAL_NETS)[number];
export const GOSSIP_DIAL_SCOPES = ['any', 'local'] as const;
export type GossipDialScope = (typeof GOSSIP_DIAL_SCOPES)[number];

/** The dial network of an IP. 0.0.0.0/8 counts as loopback (btcd IsLocal). */
export function dialNetOf(ip: Ip16): DialNet {
  if (isLocal(ip)) return 'loopback';
  return isIPv4(ip) ? 'ipv4' : 'ipv6';
}

/**
 * The network of `HOST:PORT` (Core CNetAddr::GetNetwork, with loopback apart): an overlay's
 * name, or the dial network of its IP; `name` for a DNS name.
 */
export function networkOf(addr: string): DialNet | OverlayNetName | 'name' {
  const overlay = parseOverlay(addr);
  if (overlay !== null) return overlay.net;
  const ip = ipOf(addr);
  return ip === null ? 'name' : dialNetOf(ip);
}

/** Loopback or a private range: reachable only inside the machine or the site. */
export function isLocalScope(ip: Ip16): boolean {
  return isLocal(ip) || isRFC1918(ip) || isRFC4193(ip) || isRFC3927(ip) || isRFC4862(ip);
}

/** The IP of `HOST:PORT` or a bare IP; null for a DNS name. */
function ipOf(addr: string): Ip16 | null {
  return parseIpPort(addr)?.ip ?? parseIp(addr);
}

export class DialScope {
  private readonly nets: ReadonlySet<DialNet>;

  constructor(
    onlynet: readonly DialNet[],
    readonly gossip: GossipDialScope,
    private readonly opts: { readonly onion?: boolean } = {},
  ) {
    this.nets = new Set(onlynet);
  }

  /** Why `addr` may not be dialled at all, or null if it may. */
  refuseDial(addr: string): string | null {
    const overlay = parseOverlay(addr);
    if (overlay !== null) {
      if (overlay.net !== 'onion') return `${addr} is on ${overlay.net}, which this node stores and relays but never dials`;
      return this.opts.onion === true ? null : `${addr} is a Tor address and no --onion or --proxy is set`;
    }
    const ip = ipOf(addr);
    if (ip === null) return null;
    const net = dialNetOf(ip);
    return this.nets.has(net) ? null : `${addr} is on ${net}, outside --onlynet ${[...this.nets].join(',')}`;
  }

  /** True when an address learned by gossip may be dialled. */
  allowsGossiped(addr: string): boolean {
    const overlay = parseOverlay(addr);
    if (overlay !== null) return overlay.net === 'onion' && this.opts.onion === true && this.gossip === 'any';
    const ip = ipOf(addr);
    if (ip === null || !this.nets.has(dialNetOf(ip))) return false;
    return this.gossip === 'any' || isLocalScope(ip);
  }
}
