/**
 * `HOST:PORT` text, the one parser and the one formatter of it. Addresses are this text everywhere
 * (peer keys, flags, the admin API); the 16-byte IP form (src/util/ip.ts) is reached through it.
 *
 * - `parseHostPort(text)`: "1.2.3.4:8333", "[::1]:8333" or "host.example:8333" → `{ host, port }`,
 *   null if malformed. Untrusted input (addr messages, the admin API) uses this.
 * - `requireHostPort(text, what)`: the same, or a ConfigError naming `what` (flags, options).
 * - `parseIpPort(text)`: IP literals only, as 16 bytes; null otherwise.
 * - `formatHostPort({ host, port })`: Go's net.JoinHostPort (brackets around IPv6), and
 *   `formatIpPort(ip, port)` for the 16-byte form, btcd's NetAddressKey text.
 */
import { ConfigError } from '../errors.js';
import { formatIp, groupKey, type Ip16, isIPv4, isRoutable, isValid, maskIp, parseIp, v4Slash16 } from './ip.js';
import { overlayGroup, parseOverlay } from './overlay.js';

/** A `HOST:PORT` with the host as text: an IPv4 or IPv6 literal (no brackets) or a host name. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A `HOST:PORT` whose host is an IP literal, as 16 bytes (IPv4-mapped for IPv4). */
export interface IpPort {
  readonly ip: Ip16;
  readonly port: number;
}

// RFC 1123 host names (labels of letters, digits and inner hyphens).
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The one `HOST:PORT` syntax: "1.2.3.4:8333", "[::1]:8333" or "host.example:8333"; the port is
 * decimal 0..65535 with no sign or leading zero. A bare IPv6 literal with a port ("::1:8333") is
 * ambiguous and refused: brackets are required. Null if malformed.
 */
export function parseHostPort(text: string): HostPort | null {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return null;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!host.includes(':') || parseIp(host) === null) return null;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return null;
    // "1.2.3.999" is a bad IPv4 address, not a host name (RFC 1123 §2.1: a name is never all-numeric).
    if (parseIp(host) === null && (!HOSTNAME.test(host) || /^[0-9.]+$/.test(host))) return null;
  }
  if (!/^(0|[1-9][0-9]{0,4})$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535) return null;
  return { host, port };
}

/** The host of a peer's `HOST:PORT` (peers are named so everywhere); a ConfigError if malformed. */
export function hostOf(addr: string): string {
  return requireHostPort(addr, 'peer address').host;
}

/** `::ffff:1.2.3.4` (how Node reports IPv4 peers on a dual-stack socket) → `1.2.3.4`. */
export function stripMapped(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** `parseHostPort`, or a ConfigError naming `what` (an option or flag). */
export function requireHostPort(text: string, what: string): HostPort {
  const hp = parseHostPort(text);
  if (hp === null) throw new ConfigError(`${what}: expected HOST:PORT with a port from 0 to 65535 (IPv6 as [::1]:PORT), got "${text}"`);
  return hp;
}

/** `HOST:PORT` as Go's net.JoinHostPort: "1.2.3.4:8333", "[::1]:8333", "host.example:8333". */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** "1.2.3.4:8333" or "[::1]:8333" to the 16-byte form (no host names); null if malformed. */
export function parseIpPort(text: string): IpPort | null {
  const hp = parseHostPort(text);
  if (hp === null) return null;
  const ip = parseIp(hp.host);
  return ip === null ? null : { ip, port: hp.port };
}

/** The text of a 16-byte address as btcd's NetAddressKey: "1.2.3.4:8333", "[::1]:8333". */
export function formatIpPort(ip: Ip16, port: number): string {
  return formatHostPort({ host: formatIp(ip), port });
}

/** The canonical text of an address ("[::ffff:1.2.3.4]:8333" → "1.2.3.4:8333"); null if not IP:PORT. */
export function canonicalHostPort(text: string): string | null {
  const hp = parseIpPort(text);
  return hp === null ? null : formatIpPort(hp.ip, hp.port);
}

/** Options shared by the address manager, the connection manager and the inbound slots so their groups agree. */
export interface GroupOptions {
  /**
   * Local test networks (regtest's default): a non-routable but valid address is grouped as if it
   * were routable — IPv4 loopback and private addresses by /16 (127.10.0.1 and 127.10.9.9 share
   * "127.10.0.0"), IPv6 ones by /32 — so the one-outbound-per-group rule and the source-group
   * bucketing bite on loopback exactly as they do on the internet (issue 23). This is a test
   * device: Core rejects non-routable addresses and puts every local one in a single group.
   */
  readonly allowLocal?: boolean;
  /**
   * Inbound slot accounting only: a non-routable address is its own group (its IP), whatever
   * `allowLocal` says. Its prefix says nothing about who runs it, and the per-address limit
   * already caps one local IP; the inbound limits are about crowding, not dial diversity.
   */
  readonly localPerHost?: boolean;
}

/** IPv4 /16 or IPv6 /32 of any valid address, routable or not: the allowLocal grouping. */
function prefixGroup(ip: Ip16): string {
  if (isIPv4(ip)) return v4Slash16(ip[12]!, ip[13]!);
  return formatIp(maskIp(ip, 32));
}

/**
 * The one group function: the network segment `addr` (`HOST:PORT` or a bare IP) belongs to, for
 * outbound diversity, address bucketing and inbound limits. Routable addresses always get btcd's
 * GroupKey (the rule Core's netgroup follows for IPv4/IPv6); Tor v3, I2P and CJDNS keys
 * (src/util/overlay.ts) get Core's overlay groups. Any other string (a DNS name) is its own
 * group: we cannot know its network before resolving it.
 */
export function addressGroup(addr: string, opts: GroupOptions = {}): string {
  const ip = parseIpPort(addr)?.ip ?? parseIp(addr);
  if (ip === null) {
    const overlay = parseOverlay(addr);
    return overlay === null ? `host:${addr}` : overlayGroup(overlay);
  }
  if (isRoutable(ip)) return groupKey(ip);
  if (opts.localPerHost === true) return `local:${formatIp(ip)}`;
  if (opts.allowLocal === true && isValid(ip)) return prefixGroup(ip);
  return groupKey(ip);
}
