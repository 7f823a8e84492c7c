import { encodeInvList, readInvList, type InvVect } from '../inv-vect.js';
import { WireReader } from '../reader.js';

/** notfound: answers a getdata for objects the sender does not have (an empty list costs no ban score, btcd#1886); ≤ 50,000 inventory vectors. */
export interface NotFoundMessage {
  readonly command: 'notfound';
  readonly inventory: readonly InvVect[];
}

export function decodeNotFound(payload: Uint8Array, _pver?: number): NotFoundMessage {
  const r = new WireReader(payload);
  const inventory = readInvList(r, 'notfound');
  r.finish('notfound');
  return { command: 'notfound', inventory };
}

export function encodeNotFound(msg: NotFoundMessage, _pver?: number): Uint8Array {
  return encodeInvList(msg.inventory, 'notfound');
}
