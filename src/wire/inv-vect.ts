import { InvType, MAX_INV_PER_MSG } from './constants.js';
import type { WireReader } from './reader.js';
import { compactSizeLen, WireWriter } from './writer.js';

/** Inventory vector: type u32 LE + 32-byte hash in wire order (display it with hashToHex). */
export interface InvVect {
  readonly type: number;
  readonly hash: Uint8Array;
}

export const INV_VECT_SIZE = 36;

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [InvType.Error, 'error'],
  [InvType.Tx, 'tx'],
  [InvType.Block, 'block'],
  [InvType.FilteredBlock, 'filtered_block'],
  [InvType.WitnessTx, 'witness_tx'],
  [InvType.WitnessBlock, 'witness_block'],
  [InvType.FilteredWitnessBlock, 'filtered_witness_block'],
]);

/**
 * Name of an inventory type, "unknown" otherwise. Unknown types still decode: what to do with
 * them (btcd disconnects on notfound) is the peer layer's decision.
 */
export function invTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? 'unknown';
}

/**
 * Reads an inv/getdata/notfound list. The count is checked against 50,000 and against the bytes
 * present before the array exists (decode budget).
 */
export function readInvList(r: WireReader, field: string): InvVect[] {
  const n = r.count(MAX_INV_PER_MSG, INV_VECT_SIZE, field);
  const out: InvVect[] = new Array<InvVect>(n);
  for (let i = 0; i < n; i++) {
    const type = r.u32le(field);
    out[i] = { type, hash: r.hash32(field) };
  }
  return out;
}

/** Encodes an inv/getdata/notfound payload. */
export function encodeInvList(items: readonly InvVect[], field: string): Uint8Array {
  if (items.length > MAX_INV_PER_MSG) {
    throw new RangeError(`${field}: ${items.length} entries exceed ${MAX_INV_PER_MSG}`);
  }
  const w = new WireWriter(compactSizeLen(items.length) + items.length * INV_VECT_SIZE);
  w.compactSize(items.length);
  for (const it of items) {
    w.u32le(it.type, field);
    w.hash32(it.hash, field);
  }
  return w.finish();
}
