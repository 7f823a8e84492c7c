import { encodeInvList, readInvList, type InvVect } from '../inv-vect.js';
import { WireReader } from '../reader.js';

/** getdata: requests the objects listed; ≤ 50,000 inventory vectors. */
export interface GetDataMessage {
  readonly command: 'getdata';
  readonly inventory: readonly InvVect[];
}

export function decodeGetData(payload: Uint8Array, _pver?: number): GetDataMessage {
  const r = new WireReader(payload);
  const inventory = readInvList(r, 'getdata');
  r.finish('getdata');
  return { command: 'getdata', inventory };
}

export function encodeGetData(msg: GetDataMessage, _pver?: number): Uint8Array {
  return encodeInvList(msg.inventory, 'getdata');
}
