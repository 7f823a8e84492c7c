/**
 * Addresses of the overlay networks BIP155 carries besides IPv4 and IPv6 — Tor v3, I2P and
 * CJDNS — as text keys the address manager can store next to `HOST:PORT` IP addresses:
 *
 *   Tor v3  `<56 base32>.onion:PORT`      (rend-spec-v3: pubkey ‖ checksum ‖ version 3)
 *   I2P     `<52 base32>.b32.i2p:PORT`    (SHA-256 of the destination; Core uses port 0)
 *   CJDNS   `cjdns:[fcxx:…]:PORT`          (an fc00::/8 address; the prefix keeps it apart from
 *                                          an IPv6 address with the same bytes, as BIP155's
 *                                          network id does on the wire)
 *
 * Parsers take untrusted text and return null on anything malformed; they never throw.
 */
import { createHash } from 'node:crypto';
import { formatIp, parseIp } from './ip.js';

/** BIP155 network ids of the overlays. */
export const OVERLAY_NET = Object.freeze({ TorV3: 4, I2P: 5, CJDNS: 6 });
export type OverlayNetName = 'onion' | 'i2p' | 'cjdns';

export interface OverlayAddress {
  readonly net: OverlayNetName;
  /** BIP155 network id (4, 5, 6). */
  readonly networkId: number;
  /** The BIP155 address bytes: Tor v3 public key (32), I2P hash (32), CJDNS IPv6 (16). */
  readonly addr: Uint8Array;
  readonly port: number;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding (onion and I2P host names). */
export function base32(data: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of data) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/** Inverse of base32(); null on a character outside the alphabet or non-zero padding bits. */
export function base32Decode(text: string): Uint8Array | null {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null;
  return Uint8Array.from(out);
}

/** Tor v3 host name from the 32-byte public key (rend-spec-v3: checksum is SHA3-256, version 3). */
export function torV3Host(pubkey: Uint8Array): string {
  const checksum = createHash('sha3-256').update('.onion checksum').update(pubkey).update(Uint8Array.of(3)).digest();
  const full = new Uint8Array(35);
  full.set(pubkey, 0);
  full[32] = checksum[0]!;
  full[33] = checksum[1]!;
  full[34] = 3;
  return `${base32(full)}.onion`;
}

/** The text key of an overlay address, or null for another network id or a wrong length. */
export function overlayKey(networkId: number, addr: Uint8Array, port: number): string | null {
  if (networkId === OVERLAY_NET.TorV3 && addr.length === 32) return `${torV3Host(addr)}:${port}`;
  if (networkId === OVERLAY_NET.I2P && addr.length === 32) return `${base32(addr)}.b32.i2p:${port}`;
  if (networkId === OVERLAY_NET.CJDNS && addr.length === 16 && addr[0] === 0xfc) return `cjdns:[${formatIp(addr)}]:${port}`;
  return null;
}

function portOf(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const p = Number(text);
  return p > 65535 ? null : p;
}

/** Parses an overlay key (see the file comment); null when `text` is not one or is malformed. */
export function parseOverlay(text: string): OverlayAddress | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return null;
  const port = portOf(text.slice(colon + 1));
  if (port === null) return null;
  const host = text.slice(0, colon);
  if (host.endsWith('.onion')) {
    const raw = host.length === 62 ? base32Decode(host.slice(0, 56)) : null;
    if (raw === null || raw.length !== 35 || raw[34] !== 3) return null;
    const pubkey = raw.slice(0, 32);
    // The checksum proves the name was not mistyped or forged from another key.
    if (torV3Host(pubkey) !== host) return null;
    return { net: 'onion', networkId: OVERLAY_NET.TorV3, addr: pubkey, port };
  }
  if (host.endsWith('.b32.i2p')) {
    const raw = host.length === 60 ? base32Decode(host.slice(0, 52)) : null;
    if (raw === null || raw.length !== 32) return null;
    return { net: 'i2p', networkId: OVERLAY_NET.I2P, addr: raw, port };
  }
  if (host.startsWith('cjdns:[') && host.endsWith(']')) {
    const ip = parseIp(host.slice(7, -1));
    if (ip === null || ip[0] !== 0xfc) return null;
    return { net: 'cjdns', networkId: OVERLAY_NET.CJDNS, addr: ip, port };
  }
  return null;
}

/**
 * Core netgroup.cpp GetGroup for the overlays: the network and the first 4 bits of the address
 * (its bytes are a hash or a key, so any prefix is as good as any); for CJDNS the 4 bits after
 * the constant fc byte.
 */
export function overlayGroup(o: OverlayAddress): string {
  const nibble = o.net === 'cjdns' ? o.addr[1]! >> 4 : o.addr[0]! >> 4;
  return `${o.net}:${nibble}`;
}
