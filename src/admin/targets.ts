/**
 * Syntax checks for the peer addresses and ban targets that operators type. They run before the
 * backend sees a string, so the node never has to guess what a malformed address meant.
 */
import { isIP } from 'node:net';
import { formatHostPort, parseHostPort, type HostPort } from '../util/host-port.js';

/** A `HOST:PORT` someone can connect to, with its text as peers are identified by. */
export interface PeerAddress extends HostPort {
  /** `host:port`, or `[v6]:port` (formatHostPort). */
  readonly addr: string;
}

/** `parseHostPort` with a port that can be dialled (1..65535), plus its canonical text; null if not. */
export function parsePeerAddress(text: string): PeerAddress | null {
  const hp = parseHostPort(text);
  if (hp === null || hp.port === 0) return null;
  return { ...hp, addr: formatHostPort(hp) };
}

/** An IP address or CIDR subnet (`10.0.0.0/8`, `2001:db8::/32`); returns it unchanged, or null. */
export function parseBanTarget(text: string): string | null {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return null;
  if (slash < 0) return text;
  const bitsText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  return bits <= (family === 4 ? 32 : 128) ? text : null;
}

/**
 * Whether a socket's remote address is loopback: 127.0.0.0/8, ::1, or 127.x mapped into IPv6
 * (what a dual-stack listener reports for an IPv4 client).
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Whether a Host header names this machine's loopback. A browser sends the name it resolved, so a
 * page on another site that re-resolves its own name to 127.0.0.1 (DNS rebinding) still says
 * "evil.example" here and is refused.
 */
export function isLoopbackHostHeader(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined || hostHeader === '') return false;
  let host = hostHeader.toLowerCase();
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return false;
    host = host.slice(1, close);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  return host === 'localhost' || host.endsWith('.localhost') || isLoopbackAddress(host);
}
