import { MAX_BLOCK_LOCATORS_PER_MSG } from './constants.js';
import type { WireReader } from './reader.js';
import { compactSizeLen, WireWriter } from './writer.js';

/** Shared body of getheaders and getblocks: version u32, ≤ 500 locator hashes, stop hash. */
export interface LocatorBody {
  /** The sender's protocol version (u32, as btcd reads it). */
  readonly protocolVersion: number;
  /** Block hashes in wire order, newest first. */
  readonly locator: readonly Uint8Array[];
  /** All zeros = as many as allowed. */
  readonly hashStop: Uint8Array;
}

export function readLocatorBody(r: WireReader, command: string): LocatorBody {
  const protocolVersion = r.u32le(`${command}.protocolVersion`);
  // 32 per locator hash; the stop hash after them is checked by its own read.
  const n = r.count(MAX_BLOCK_LOCATORS_PER_MSG, 32, `${command}.locator`);
  const locator = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) locator[i] = r.hash32(`${command}.locator`);
  const hashStop = r.hash32(`${command}.hashStop`);
  return { protocolVersion, locator, hashStop };
}

export function encodeLocatorBody(body: LocatorBody, command: string): Uint8Array {
  const n = body.locator.length;
  if (n > MAX_BLOCK_LOCATORS_PER_MSG) {
    throw new RangeError(`${command}: ${n} locator hashes exceed ${MAX_BLOCK_LOCATORS_PER_MSG}`);
  }
  const w = new WireWriter(4 + compactSizeLen(n) + n * 32 + 32);
  w.u32le(body.protocolVersion, `${command}.protocolVersion`);
  w.compactSize(n);
  for (const h of body.locator) w.hash32(h, `${command}.locator`);
  w.hash32(body.hashStop, `${command}.hashStop`);
  return w.finish();
}
