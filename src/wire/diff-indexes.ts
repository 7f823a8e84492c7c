/**
 * BIP152's differential index encoding (prefilled transactions in `cmpctblock`, requested indexes
 * in `getblocktxn`): each index is sent as a CompactSize of its distance from the previous index
 * plus one, so a sorted list of nearby indexes costs a byte each. Indexes are 16-bit (Core
 * src/blockencodings.h DifferenceFormatter over uint16_t: "differential value overflow"), so a
 * decoded index above 65,535 is invalid, and a list has at most 65,536 entries.
 */
import { WireError } from '../errors.js';
import type { WireReader } from './reader.js';
import { compactSizeLen, type WireWriter } from './writer.js';

/** Largest index a differential list may carry (uint16). */
export const MAX_DIFF_INDEX = 0xffff;

/** Reads the next absolute index after `prev` (-1 before the first). */
export function readDiffIndex(r: WireReader, prev: number, field: string): number {
  const at = r.pos;
  const d = r.compactSize(field);
  const index = prev + 1 + d;
  if (index > MAX_DIFF_INDEX) {
    throw new WireError('ERR_PAYLOAD_INVALID', `${field}: differential index ${index} overflows 16 bits`, { field, offset: at, value: index, max: MAX_DIFF_INDEX });
  }
  return index;
}

/** Encoded size of a strictly increasing index list (RangeError when it is not one). */
export function diffIndexesSize(indexes: readonly number[], field: string): number {
  let size = 0;
  let prev = -1;
  for (const i of indexes) {
    if (!Number.isInteger(i) || i <= prev || i > MAX_DIFF_INDEX) throw new RangeError(`${field}: indexes must increase strictly within 0..${MAX_DIFF_INDEX}, got ${i} after ${prev}`);
    size += compactSizeLen(i - prev - 1);
    prev = i;
  }
  return size;
}

/** Writes one index after `prev` (the caller checked the list with diffIndexesSize). */
export function writeDiffIndex(w: WireWriter, index: number, prev: number): void {
  w.compactSize(index - prev - 1);
}
