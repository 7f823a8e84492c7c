import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

/** An address as carried in version (no timestamp): 26 bytes on the wire. */
export interface NetAddress {
  readonly services: bigint;
  /** Always 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), as on the wire. */
  readonly ip: Uint8Array;
  readonly port: number;
}

/** An address as carried in addr (pver ≥ 31402): 30 bytes on the wire. */
export interface TimedNetAddress extends NetAddress {
  /** Unix seconds, u32. */
  readonly timestamp: number;
}

export const NET_ADDRESS_SIZE = 26;
export const TIMED_NET_ADDRESS_SIZE = 30;

export function readNetAddress(r: WireReader): NetAddress {
  const services = r.u64le('netaddr.services');
  const ip = r.bytes(16, 'netaddr.ip');
  const port = r.u16be('netaddr.port');
  return { services, ip, port };
}

export function readTimedNetAddress(r: WireReader): TimedNetAddress {
  const timestamp = r.u32le('netaddr.timestamp');
  const services = r.u64le('netaddr.services');
  const ip = r.bytes(16, 'netaddr.ip');
  const port = r.u16be('netaddr.port');
  return { timestamp, services, ip, port };
}

export function writeNetAddress(w: WireWriter, a: NetAddress): void {
  w.u64le(a.services, 'netaddr.services');
  if (a.ip.length !== 16) throw new RangeError(`netaddr.ip must be 16 bytes, got ${a.ip.length}`);
  w.bytes(a.ip);
  w.u16be(a.port, 'netaddr.port');
}

export function writeTimedNetAddress(w: WireWriter, a: TimedNetAddress): void {
  w.u32le(a.timestamp, 'netaddr.timestamp');
  writeNetAddress(w, a);
}

/** True for ::ffff:a.b.c.d. */
export function isIPv4Mapped(ip: Uint8Array): boolean {
  if (ip.length !== 16 || ip[10] !== 0xff || ip[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return true;
}

/**
 * Text form of an IP: dotted quad for 4-byte and IPv4-mapped addresses, RFC 5952 IPv6 otherwise
 * (lower case, longest run of two or more zero groups as "::", the first on a tie) — the same text
 * as Go's net.IP.String, so our keys match btcd's NetAddressKey.
 */
export function ipToText(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  if (ip.length !== 16) throw new RangeError(`an IP is 4 or 16 bytes, got ${ip.length}`);
  if (isIPv4Mapped(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** "1.2.3.4:8333" or "[2001:db8::1]:8333" (Go net.JoinHostPort). */
export function formatHostPort(ip: Uint8Array, port: number): string {
  const host = ipToText(ip);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function badText(text: string, why: string): never {
  throw new TypeError(`invalid address "${text}": ${why}`);
}

/** Dotted quad to 4 bytes, or undefined. Leading zeros are refused (octal ambiguity, as in Go ≥ 1.17). */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * Parses an IP in text form to its 16-byte wire form (IPv4 becomes IPv4-mapped).
 * Throws TypeError: this is operator or config input, never peer input.
 */
export function parseIp(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const v4 = parseIPv4(text);
  if (v4 !== undefined) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  if (!text.includes(':')) badText(text, 'not an IPv4 or IPv6 address');
  const halves = text.split('::');
  if (halves.length > 2) badText(text, 'more than one "::"');
  const groupsOf = (part: string, allowV4: boolean): number[] => {
    if (part === '') return [];
    const pieces = part.split(':');
    const groups: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (allowV4 && i === pieces.length - 1 && piece.includes('.')) {
        const q = parseIPv4(piece) ?? badText(text, `bad embedded IPv4 "${piece}"`);
        groups.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) badText(text, `bad group "${piece}"`);
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  let groups: number[];
  if (halves.length === 2) {
    const head = groupsOf(halves[0]!, false);
    const tail = groupsOf(halves[1]!, true);
    if (head.length + tail.length > 7) badText(text, 'too many groups');
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    groups = groupsOf(text, true);
    if (groups.length !== 8) badText(text, 'an IPv6 address has 8 groups');
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >>> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** Parses "1.2.3.4:8333" or "[::1]:8333". Throws TypeError on anything else. */
export function parseHostPort(text: string): { ip: Uint8Array; port: number } {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') badText(text, 'expected "[IPv6]:PORT"');
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!host.includes(':')) badText(text, 'brackets are for IPv6 only');
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) badText(text, 'missing ":PORT"');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) badText(text, 'an IPv6 host must be in brackets');
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 0xffff) badText(text, `bad port "${portText}"`);
  return { ip: parseIp(host), port: Number(portText) };
}
