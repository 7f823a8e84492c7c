import { encodeLocatorBody, readLocatorBody, type LocatorBody } from '../block-locator.js';
import { WireReader } from '../reader.js';

/** getblocks: asks for an inv of up to 500 blocks after the first locator hash we share. */
export interface GetBlocksMessage extends LocatorBody {
  readonly command: 'getblocks';
}

export function decodeGetBlocks(payload: Uint8Array, _pver?: number): GetBlocksMessage {
  const r = new WireReader(payload);
  const { protocolVersion, locator, hashStop } = readLocatorBody(r, 'getblocks');
  r.finish('getblocks');
  return { command: 'getblocks', protocolVersion, locator, hashStop };
}

export function encodeGetBlocks(msg: GetBlocksMessage, _pver?: number): Uint8Array {
  return encodeLocatorBody(msg, 'getblocks');
}
