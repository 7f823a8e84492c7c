/**
 * Service bits of a version message as names, as Bitcoin Core's getpeerinfo `servicesnames` shows
 * them (protocol.h ServiceFlags, BIP111, BIP144, BIP157, BIP159, BIP324). Bits with no name are
 * shown as `UNKNOWN[2^n]`, also as Core does.
 */
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
