import { formatIp } from '../util/ip.js';
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
 * Text form of an IP: dotted quad for 4-byte and IPv4-mapped addresses, RFC 5952 IPv6 otherwise —
 * the same text as Go's net.IP.String, so our keys match btcd's NetAddressKey. The address text
 * code lives in src/util/ip.ts (`HOST:PORT` in src/util/host-port.ts).
 */
export function ipToText(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  if (ip.length !== 16) throw new RangeError(`an IP is 4 or 16 bytes, got ${ip.length}`);
  return formatIp(ip);
}
