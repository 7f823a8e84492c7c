import { encodeLocatorBody, readLocatorBody, type LocatorBody } from '../block-locator.js';
import { WireReader } from '../reader.js';

/** getheaders: asks for up to 2,000 headers after the first locator hash we share. */
export interface GetHeadersMessage extends LocatorBody {
  readonly command: 'getheaders';
}

export function decodeGetHeaders(payload: Uint8Array, _pver?: number): GetHeadersMessage {
  const r = new WireReader(payload);
  const { protocolVersion, locator, hashStop } = readLocatorBody(r, 'getheaders');
  r.finish('getheaders');
  return { command: 'getheaders', protocolVersion, locator, hashStop };
}

export function encodeGetHeaders(msg: GetHeadersMessage, _pver?: number): Uint8Array {
  return encodeLocatorBody(msg, 'getheaders');
}
