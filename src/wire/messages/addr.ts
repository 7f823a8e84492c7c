import { MAX_ADDR_PER_MSG, MULTIPLE_ADDRESS_VERSION, NET_ADDRESS_TIME_VERSION } from '../constants.js';
import {
  NET_ADDRESS_SIZE,
  readNetAddress,
  readTimedNetAddress,
  TIMED_NET_ADDRESS_SIZE,
  writeNetAddress,
  writeTimedNetAddress,
  type TimedNetAddress,
} from '../net-address.js';
import { WireReader } from '../reader.js';
import { compactSizeLen, WireWriter } from '../writer.js';

/**
 * addr: up to 1,000 addresses (1 below pver 209). Entries carry a timestamp from pver 31402; below
 * that they are 26 bytes, decode gives timestamp 0 and encode leaves it out. An empty list decodes:
 * btcd disconnects for it, which is the peer layer's decision.
 */
export interface AddrMessage {
  readonly command: 'addr';
  readonly addresses: readonly TimedNetAddress[];
}

function limits(pver: number): { max: number; timed: boolean; size: number } {
  const timed = pver >= NET_ADDRESS_TIME_VERSION;
  return {
    max: pver < MULTIPLE_ADDRESS_VERSION ? 1 : MAX_ADDR_PER_MSG,
    timed,
    size: timed ? TIMED_NET_ADDRESS_SIZE : NET_ADDRESS_SIZE,
  };
}

export function decodeAddr(payload: Uint8Array, pver: number): AddrMessage {
  const { max, timed, size } = limits(pver);
  const r = new WireReader(payload);
  const n = r.count(max, size, 'addr.count');
  const addresses = new Array<TimedNetAddress>(n);
  for (let i = 0; i < n; i++) {
    addresses[i] = timed ? readTimedNetAddress(r) : { timestamp: 0, ...readNetAddress(r) };
  }
  r.finish('addr');
  return { command: 'addr', addresses };
}

export function encodeAddr(msg: AddrMessage, pver: number): Uint8Array {
  const { max, timed, size } = limits(pver);
  const n = msg.addresses.length;
  if (n > max) throw new RangeError(`addr: ${n} addresses exceed ${max} at pver ${pver}`);
  const w = new WireWriter(compactSizeLen(n) + n * size);
  w.compactSize(n);
  for (const a of msg.addresses) {
    if (timed) writeTimedNetAddress(w, a);
    else writeNetAddress(w, a);
  }
  return w.finish();
}
