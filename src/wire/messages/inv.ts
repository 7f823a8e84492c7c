import { encodeInvList, readInvList, type InvVect } from '../inv-vect.js';
import { WireReader } from '../reader.js';

/** inv: announces objects (txs, blocks) the sender has; ≤ 50,000 inventory vectors. */
export interface InvMessage {
  readonly command: 'inv';
  readonly inventory: readonly InvVect[];
}

export function decodeInv(payload: Uint8Array, _pver?: number): InvMessage {
  const r = new WireReader(payload);
  const inventory = readInvList(r, 'inv');
  r.finish('inv');
  return { command: 'inv', inventory };
}

export function encodeInv(msg: InvMessage, _pver?: number): Uint8Array {
  return encodeInvList(msg.inventory, 'inv');
}
