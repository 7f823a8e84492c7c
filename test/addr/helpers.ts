import { doubleSha256, type HashFn } from '../../src/addr/buckets.js';
import type { AddrEntry } from '../../src/addr/addr-manager.js';

export const T0 = 1_700_000_000_000;
export const T0_SEC = T0 / 1000;

/** A distinct routable IPv4 address per i; i values sharing i >> 8 share a /16 group. */
export function addrN(i: number, port = 8333): string {
  return `${20 + ((i >>> 16) % 40)}.${(i >>> 8) & 255}.${i & 255}.1:${port}`;
}

export function entries(from: number, count: number, timestamp = T0_SEC - 3600): AddrEntry[] {
  return Array.from({ length: count }, (_, k) => ({ addr: addrN(from + k), timestamp, services: 1n }));
}

/**
 * dSHA256 with only the low `bits` bits of the first byte kept: every address lands in one of
 * 2^bits new and tried buckets, so small tests fill buckets and reach the eviction paths.
 */
export function narrowHash(bits: number): HashFn {
  return (data) => {
    const h = Buffer.from(doubleSha256(data));
    h[0] = h[0]! & ((1 << bits) - 1);
    h.fill(0, 1, 8);
    return h;
  };
}
