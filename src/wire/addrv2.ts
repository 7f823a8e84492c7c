import { WireError } from '../errors.js';
import { MAX_ADDRV2_ADDR_LEN } from './constants.js';
import { bytesToHex } from './hex.js';
import { formatHostPort } from '../util/host-port.js';
import { ipToText } from './net-address.js';
import { base32, torV3Host } from '../util/overlay.js';
import type { WireReader } from './reader.js';
import { compactSizeLenBig, varBytesLen, type WireWriter } from './writer.js';

/** BIP155 network ids. */
export const AddrV2Net = Object.freeze({
  IPv4: 1,
  IPv6: 2,
  TorV2: 3,
  TorV3: 4,
  I2P: 5,
  CJDNS: 6,
});

/** Address length per known network id (index = id); 0 = unknown id. */
const ADDR_SIZE: readonly number[] = [0, 4, 16, 10, 32, 32, 16];
const NET_NAMES = ['unknown', 'ipv4', 'ipv6', 'torv2', 'torv3', 'i2p', 'cjdns'] as const;

export type AddrV2NetworkName = (typeof NET_NAMES)[number];

/**
 * One BIP155 entry. Entries with an id we do not know are kept as they are (opaque addr bytes),
 * so a message re-encodes to the same bytes and the peer layer decides what to keep; btcd
 * instead skips them (and I2P, CJDNS and OnionCat-in-IPv6) while decoding.
 */
export interface AddrV2Entry {
  /** Unix seconds, u32. */
  readonly timestamp: number;
  /** Service bits: a CompactSize on the wire, so up to 64 bits. */
  readonly services: bigint;
  readonly networkId: number;
  readonly addr: Uint8Array;
  readonly port: number;
}

/** time 4 + services ≥ 1 + net id 1 + addr length ≥ 1 + port 2: the decode budget per entry. */
export const ADDRV2_MIN_ENTRY_SIZE = 9;

export function addrV2NetworkName(networkId: number): AddrV2NetworkName {
  return NET_NAMES[networkId] ?? 'unknown';
}

/** Expected address length for a known network id, undefined for an unknown one. */
export function addrV2AddrSize(networkId: number): number | undefined {
  const n = ADDR_SIZE[networkId];
  return n === undefined || n === 0 ? undefined : n;
}

export function readAddrV2Entry(r: WireReader): AddrV2Entry {
  const timestamp = r.u32le('addrv2.timestamp');
  const services = r.compactSizeBig('addrv2.services');
  const networkId = r.u8('addrv2.networkId');
  const start = r.pos;
  const addr = r.varBytes(MAX_ADDRV2_ADDR_LEN, 'addrv2.addr');
  const want = addrV2AddrSize(networkId);
  if (want !== undefined && addr.length !== want) {
    throw addrSizeError(networkId, addr.length, start);
  }
  const port = r.u16be('addrv2.port');
  return { timestamp, services, networkId, addr, port };
}

/** A wrong length for a known network id is an error, as btcd's ErrInvalidAddressSize. */
function addrSizeError(networkId: number, got: number, offset: number): WireError {
  return new WireError('ERR_PAYLOAD_INVALID', `addrv2.addr: ${addrV2NetworkName(networkId)} address must be ${ADDR_SIZE[networkId]} bytes, got ${got}`, {
    field: 'addrv2.addr',
    offset,
    networkId,
    length: got,
  });
}

export function addrV2EntrySize(e: AddrV2Entry): number {
  return 4 + compactSizeLenBig(e.services) + 1 + varBytesLen(e.addr.length) + 2;
}

export function writeAddrV2Entry(w: WireWriter, e: AddrV2Entry): void {
  const want = addrV2AddrSize(e.networkId);
  if ((want !== undefined && e.addr.length !== want) || e.addr.length > MAX_ADDRV2_ADDR_LEN) {
    throw new RangeError(`addrv2.addr: ${e.addr.length} bytes is not valid for network id ${e.networkId}`);
  }
  w.u32le(e.timestamp, 'addrv2.timestamp');
  w.compactSizeBig(e.services, 'addrv2.services');
  w.u8(e.networkId, 'addrv2.networkId');
  w.varBytes(e.addr);
  w.u16be(e.port, 'addrv2.port');
}

/**
 * Host text of an addrv2 address: a.b.c.d, IPv6 text, <base32>.onion, <base32>.b32.i2p;
 * an unknown network id gives "net<id>.<hex>". For display only (not on the hot path).
 */
export function addrV2HostText(networkId: number, addr: Uint8Array): string {
  switch (networkId) {
    case AddrV2Net.IPv4:
    case AddrV2Net.IPv6:
    case AddrV2Net.CJDNS:
      return ipToText(addr);
    case AddrV2Net.TorV2:
      return `${base32(addr)}.onion`;
    case AddrV2Net.TorV3:
      return torV3Host(addr);
    case AddrV2Net.I2P:
      return `${base32(addr)}.b32.i2p`;
    default:
      return `net${networkId}.${bytesToHex(addr)}`;
  }
}

/** HOST:PORT with IPv6 and CJDNS hosts in brackets. */
export function addrV2ToText(e: Pick<AddrV2Entry, 'networkId' | 'addr' | 'port'>): string {
  const host = addrV2HostText(e.networkId, e.addr);
  return formatHostPort({ host, port: e.port });
}
