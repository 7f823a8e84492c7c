/**
 * Service bits of a version message as names, as Bitcoin Core's getpeerinfo `servicesnames` shows
 * them (protocol.h ServiceFlags, BIP111, BIP144, BIP157, BIP159, BIP324). Bits with no name are
 * shown as `UNKNOWN[2^n]`, also as Core does.
 */
import { NODE_P2P_V2, NODE_WITNESS } from './constants.js';

/**
 * The services this relay puts in its version message, and only those that are true of it:
 * - WITNESS (BIP144): it relays and serves transactions and blocks with their witness data, as
 *   received. bcoin ignores block announcements from a peer without it (lib/net/pool.js).
 * - P2P_V2 (BIP324) unless the node is v1only.
 * Never NETWORK or NETWORK_LIMITED: they promise the last 288 blocks or the whole chain on request
 * (BIP159), and a relay keeps neither. The cost is that Core and bcoin will not pick it as an
 * automatic outbound peer (both require one of them); it is meant to be dialled, or to dial out.
 */
export function advertisedServices(transport: 'v2' | 'v1only' | 'v2only'): bigint {
  return NODE_WITNESS | (transport === 'v1only' ? 0n : NODE_P2P_V2);
}

const SERVICE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0, 'NETWORK'],
  [1, 'GETUTXO'],
  [2, 'BLOOM'],
  [3, 'WITNESS'],
  [6, 'COMPACT_FILTERS'],
  [10, 'NETWORK_LIMITED'],
  [11, 'P2P_V2'],
];
const NAME_OF_BIT: ReadonlyMap<number, string> = new Map(SERVICE_NAMES);

/** Names of the bits set in `services`, lowest bit first. */
export function serviceNames(services: bigint): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((services >> BigInt(bit)) & 1n) === 0n) continue;
    out.push(NAME_OF_BIT.get(bit) ?? `UNKNOWN[2^${bit}]`);
  }
  return out;
}
