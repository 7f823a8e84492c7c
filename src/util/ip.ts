/**
 * IP addresses in their 16-byte wire form (IPv4 as ::ffff:a.b.c.d, like btcd's net.IP and the
 * NetAddress encoding), CIDR ranges, and the routability classes and group key
 * of btcd addrmgr/network.go (`HOST:PORT` text is src/util/host-port.ts). Parsers take untrusted text (addr messages, config, RPC) and return
 * null on anything malformed; they never throw.
 */

/** An IP address as 16 bytes; IPv4 is IPv4-mapped. */
export type Ip16 = Uint8Array;

/** A CIDR range in 16-byte space: an IPv4 /n is stored as /(96+n) over the mapped prefix. */
export interface Cidr {
  /** Network address with host bits cleared. */
  readonly ip: Ip16;
  /** Prefix length in 16-byte space (0..128). */
  readonly bits: number;
  /** True when written as IPv4; it then matches IPv4 addresses only. */
  readonly v4: boolean;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** True for ::ffff:0:0/96, the IPv4-mapped range (Go's To4() != nil). */
export function isIPv4(ip: Ip16): boolean {
  for (let i = 0; i < 12; i++) if (ip[i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

function parseIPv4Parts(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    // Leading zeros are refused: "010" is octal to inet_aton and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseIPv6(text: string): Ip16 | null {
  if (text.length === 0 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const parts = s.split(':');
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4Parts(p);
        if (v4 === null) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  if (head === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    const tail = groupsOf(halves[1]!);
    if (tail === null) return null;
    // An embedded IPv4 tail is only valid at the very end.
    if (halves[0]!.includes('.')) return null;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  const ip = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    ip[2 * i] = groups[i]! >> 8;
    ip[2 * i + 1] = groups[i]! & 0xff;
  }
  return ip;
}

/** Parses "1.2.3.4" or an IPv6 literal (no brackets, no zone) into 16 bytes; null if malformed. */
export function parseIp(text: string): Ip16 | null {
  if (text.includes(':')) return parseIPv6(text);
  const v4 = parseIPv4Parts(text);
  if (v4 === null) return null;
  const ip = new Uint8Array(16);
  ip[10] = 0xff;
  ip[11] = 0xff;
  ip.set(v4, 12);
  return ip;
}

/** A 4-byte IPv4 address as 16 bytes. */
export function ipFromV4Bytes(b: ArrayLike<number>): Ip16 {
  const ip = new Uint8Array(16);
  ip[10] = 0xff;
  ip[11] = 0xff;
  for (let i = 0; i < 4; i++) ip[12 + i] = b[i]! & 0xff;
  return ip;
}

/**
 * Text form as Go's net.IP.String(): IPv4-mapped as dotted quad, IPv6 per RFC 5952 (lower-case,
 * the first longest run of two or more zero groups as "::"). Group keys hash this text, so it
 * must match btcd byte for byte.
 */
export function formatIp(ip: Ip16): string {
  if (ip.length !== 16) throw new RangeError(`formatIp: expected 16 bytes, got ${ip.length}`);
  if (isIPv4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((ip[2 * i]! << 8) | ip[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
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
  const hex = (g: number): string => g.toString(16);
  if (bestLen < 2) return groups.map(hex).join(':');
  const left = groups.slice(0, bestStart).map(hex).join(':');
  const right = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}

/** A copy of `ip` with all but the first `bits` bits (of 128) cleared. */
export function maskIp(ip: Ip16, bits: number): Ip16 {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = ip[i]! & ((0xff00 >> keep) & 0xff);
  }
  return out;
}

function ipEqual(a: Ip16, b: Ip16): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses "10.0.0.0/8", "2001:db8::/32", or a bare IP (a single-host range); null if malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(ipText);
  if (ip === null) return null;
  const v4 = !ipText.includes(':');
  const maxBits = v4 ? 32 : 128;
  let bits = maxBits;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(b)) return null;
    bits = Number(b);
    if (bits > maxBits) return null;
  }
  const bits16 = v4 ? 96 + bits : bits;
  return { ip: maskIp(ip, bits16), bits: bits16, v4 };
}

/** Canonical text of a range: "10.0.0.0/8", "2001:db8::/32"; a single host prints without "/n". */
export function formatCidr(c: Cidr): string {
  const host = formatIp(c.ip);
  if (c.bits === 128) return host;
  return `${host}/${c.v4 ? c.bits - 96 : c.bits}`;
}

/** True when `ip` lies in `c`. An IPv4 range matches only IPv4 addresses. */
export function cidrContains(c: Cidr, ip: Ip16): boolean {
  return ipEqual(maskIp(ip, c.bits), c.ip);
}

function net(text: string): Cidr {
  const c = parseCidr(text);
  if (c === null) throw new Error(`bad built-in range ${text}`);
  return c;
}

// The special ranges of btcd addrmgr/network.go, by RFC.
const RFC1918 = [net('10.0.0.0/8'), net('172.16.0.0/12'), net('192.168.0.0/16')];
const RFC2544 = net('198.18.0.0/15');
const RFC3849 = net('2001:db8::/32');
const RFC3927 = net('169.254.0.0/16');
const RFC3964 = net('2002::/16');
const RFC4193 = net('fc00::/7');
const RFC4380 = net('2001::/32');
const RFC4843 = net('2001:10::/28');
const RFC4862 = net('fe80::/64');
const RFC5737 = [net('192.0.2.0/24'), net('198.51.100.0/24'), net('203.0.113.0/24')];
const RFC6052 = net('64:ff9b::/96');
const RFC6145 = net('::ffff:0:0:0/96');
const RFC6598 = net('100.64.0.0/10');
const ONION_CAT = net('fd87:d87e:eb43::/48');
const ZERO4 = net('0.0.0.0/8');
const HE_NET = net('2001:470::/32');
const LOOPBACK4 = net('127.0.0.0/8');
const BROADCAST4 = net('255.255.255.255');
const UNSPECIFIED6 = new Uint8Array(16);
const LOOPBACK6 = parseIPv6('::1')!;

/** RFC 1918 private IPv4 (10/8, 172.16/12, 192.168/16). */
export const isRFC1918 = (ip: Ip16): boolean => RFC1918.some((c) => cidrContains(c, ip));
/** RFC 2544 benchmarking (198.18/15). */
export const isRFC2544 = (ip: Ip16): boolean => cidrContains(RFC2544, ip);
/** RFC 3849 IPv6 documentation (2001:db8::/32). */
export const isRFC3849 = (ip: Ip16): boolean => cidrContains(RFC3849, ip);
/** RFC 3927 IPv4 link-local (169.254/16). */
export const isRFC3927 = (ip: Ip16): boolean => cidrContains(RFC3927, ip);
/** RFC 3964 6to4 (2002::/16). */
export const isRFC3964 = (ip: Ip16): boolean => cidrContains(RFC3964, ip);
/** RFC 4193 unique local IPv6 (fc00::/7). */
export const isRFC4193 = (ip: Ip16): boolean => cidrContains(RFC4193, ip);
/** RFC 4380 Teredo (2001::/32). */
export const isRFC4380 = (ip: Ip16): boolean => cidrContains(RFC4380, ip);
/** RFC 4843 ORCHID (2001:10::/28). */
export const isRFC4843 = (ip: Ip16): boolean => cidrContains(RFC4843, ip);
/** RFC 4862 IPv6 link-local autoconfiguration (fe80::/64). */
export const isRFC4862 = (ip: Ip16): boolean => cidrContains(RFC4862, ip);
/** RFC 5737 IPv4 documentation (TEST-NET-1/2/3). */
export const isRFC5737 = (ip: Ip16): boolean => RFC5737.some((c) => cidrContains(c, ip));
/** RFC 6052 IPv4-embedded IPv6 (64:ff9b::/96). */
export const isRFC6052 = (ip: Ip16): boolean => cidrContains(RFC6052, ip);
/** RFC 6145 IPv4-translated IPv6 (::ffff:0:0:0/96). */
export const isRFC6145 = (ip: Ip16): boolean => cidrContains(RFC6145, ip);
/** RFC 6598 carrier-grade NAT (100.64/10). */
export const isRFC6598 = (ip: Ip16): boolean => cidrContains(RFC6598, ip);
/** OnionCat Tor in IPv6 (fd87:d87e:eb43::/48). */
export const isOnionCatTor = (ip: Ip16): boolean => cidrContains(ONION_CAT, ip);

/** Loopback (127/8, ::1) or 0.0.0.0/8: btcd IsLocal. */
export function isLocal(ip: Ip16): boolean {
  return cidrContains(LOOPBACK4, ip) || ipEqual(ip, LOOPBACK6) || cidrContains(ZERO4, ip);
}

/** Not unspecified (0.0.0.0, ::) and not the IPv4 broadcast address: btcd IsValid. */
export function isValid(ip: Ip16): boolean {
  const unspecified = ipEqual(ip, UNSPECIFIED6) || (isIPv4(ip) && ip[12] === 0 && ip[13] === 0 && ip[14] === 0 && ip[15] === 0);
  return !unspecified && !cidrContains(BROADCAST4, ip);
}

/** Reachable on the public internet: btcd IsRoutable. */
export function isRoutable(ip: Ip16): boolean {
  return (
    isValid(ip) &&
    !(
      isRFC1918(ip) ||
      isRFC2544(ip) ||
      isRFC3927(ip) ||
      isRFC4862(ip) ||
      isRFC3849(ip) ||
      isRFC4843(ip) ||
      isRFC5737(ip) ||
      isRFC6598(ip) ||
      isLocal(ip) ||
      (isRFC4193(ip) && !isOnionCatTor(ip))
    )
  );
}

export function v4Slash16(b0: number, b1: number): string {
  return `${b0}.${b1}.0.0`;
}

/**
 * btcd GroupKey: the network segment an address belongs to, so that one operator with one /16
 * cannot fill our buckets or all our outbound slots. "local", "unroutable", an IPv4 /16
 * ("1.2.0.0"), the embedded IPv4 /16 of 6145/6052/6to4/Teredo, "tor:N" for OnionCat, an IPv6
 * /32 (/36 inside Hurricane Electric's 2001:470::/32, which hands /48s to individuals).
 */
export function groupKey(ip: Ip16): string {
  if (isLocal(ip)) return 'local';
  if (!isRoutable(ip)) return 'unroutable';
  if (isIPv4(ip)) return v4Slash16(ip[12]!, ip[13]!);
  if (isRFC6145(ip) || isRFC6052(ip)) return v4Slash16(ip[12]!, ip[13]!);
  if (isRFC3964(ip)) return v4Slash16(ip[2]!, ip[3]!);
  if (isRFC4380(ip)) return v4Slash16(ip[12]! ^ 0xff, ip[13]! ^ 0xff);
  if (isOnionCatTor(ip)) return `tor:${ip[6]! & 0x0f}`;
  return formatIp(maskIp(ip, cidrContains(HE_NET, ip) ? 36 : 32));
}
