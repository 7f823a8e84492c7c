import { ADDRV2_MIN_ENTRY_SIZE, addrV2EntrySize, readAddrV2Entry, writeAddrV2Entry, type AddrV2Entry } from '../addrv2.js';
import { MAX_ADDR_PER_MSG } from '../constants.js';
import { WireReader } from '../reader.js';
import { compactSizeLen, WireWriter } from '../writer.js';

/**
 * addrv2 (BIP155): up to 1,000 entries. A known network id with the wrong address length is
 * ERR_PAYLOAD_INVALID; unknown ids are kept (see AddrV2Entry).
 */
export interface AddrV2Message {
  readonly command: 'addrv2';
  readonly addresses: readonly AddrV2Entry[];
}

export function decodeAddrV2(payload: Uint8Array, _pver?: number): AddrV2Message {
  const r = new WireReader(payload);
  const n = r.count(MAX_ADDR_PER_MSG, ADDRV2_MIN_ENTRY_SIZE, 'addrv2.count');
  const addresses = new Array<AddrV2Entry>(n);
  for (let i = 0; i < n; i++) addresses[i] = readAddrV2Entry(r);
  r.finish('addrv2');
  return { command: 'addrv2', addresses };
}

export function encodeAddrV2(msg: AddrV2Message, _pver?: number): Uint8Array {
  const n = msg.addresses.length;
  if (n > MAX_ADDR_PER_MSG) throw new RangeError(`addrv2: ${n} addresses exceed ${MAX_ADDR_PER_MSG}`);
  let size = compactSizeLen(n);
  for (const e of msg.addresses) size += addrV2EntrySize(e);
  const w = new WireWriter(size);
  w.compactSize(n);
  for (const e of msg.addresses) writeAddrV2Entry(w, e);
  return w.finish();
}
