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

/** Field names for errors, built once rather than per decode. */
const FIELDS = {
  getheaders: { version: 'getheaders.protocolVersion', locator: 'getheaders.locator', hashStop: 'getheaders.hashStop' },
  getblocks: { version: 'getblocks.protocolVersion', locator: 'getblocks.locator', hashStop: 'getblocks.hashStop' },
} as const;

export function readLocatorBody(r: WireReader, command: 'getheaders' | 'getblocks'): LocatorBody {
  const f = FIELDS[command];
  const protocolVersion = r.u32le(f.version);
  // 32 per locator hash; the stop hash after them is checked by its own read.
  const n = r.count(MAX_BLOCK_LOCATORS_PER_MSG, 32, f.locator);
  const locator = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) locator[i] = r.hash32(f.locator);
  const hashStop = r.hash32(f.hashStop);
  return { protocolVersion, locator, hashStop };
}

export function encodeLocatorBody(body: LocatorBody, command: 'getheaders' | 'getblocks'): Uint8Array {
  const f = FIELDS[command];
  const n = body.locator.length;
  if (n > MAX_BLOCK_LOCATORS_PER_MSG) {
    throw new RangeError(`${command}: ${n} locator hashes exceed ${MAX_BLOCK_LOCATORS_PER_MSG}`);
  }
  const w = new WireWriter(4 + compactSizeLen(n) + n * 32 + 32);
  w.u32le(body.protocolVersion, f.version);
  w.compactSize(n);
  for (const h of body.locator) w.hash32(h, f.locator);
  w.hash32(body.hashStop, f.hashStop);
  return w.finish();
}
