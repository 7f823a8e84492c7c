/**
 * A `headers` payload as HeaderChain.acceptHeaders wants it: the 80-byte headers back to back,
 * without the 1-byte tx count after each (which must be 0, as src/wire/messages/headers.ts
 * checks). One copy of at most 160 KB and no object per header, instead of decoding BlockHeader
 * objects and encoding them again.
 */
import { WireError } from '../errors.js';
import { MAX_BLOCK_HEADERS_PER_MSG } from '../wire/constants.js';
import type { GetHeadersMessage } from '../wire/messages/getheaders.js';
import { WireReader } from '../wire/reader.js';
import type { HeaderChain } from './header-chain.js';

/** Packs a `headers` payload; throws WireError (a malformed message) like the codec does. */
export function packHeadersPayload(payload: Uint8Array): { records: Uint8Array; count: number } {
  const r = new WireReader(payload);
  const n = r.count(MAX_BLOCK_HEADERS_PER_MSG, 81, 'headers.count');
  const records = new Uint8Array(80 * n);
  for (let i = 0; i < n; i++) {
    records.set(r.bytes(80, 'headers.header'), 80 * i);
    const at = r.pos;
    const txCount = r.compactSize('headers.txCount');
    if (txCount !== 0) throw new WireError('ERR_PAYLOAD_INVALID', `headers.txCount: must be 0, got ${txCount}`, { field: 'headers.txCount', offset: at, index: i, value: txCount });
  }
  r.finish('headers');
  return { records, count: n };
}

/** The getheaders to send to sync from `chain`'s best tip (Core: locator of the tip, null stop hash). */
export function getHeadersFor(chain: HeaderChain, protocolVersion: number, entry = chain.tipEntry): GetHeadersMessage {
  return { command: 'getheaders', protocolVersion, locator: chain.locator(entry), hashStop: new Uint8Array(32) };
}
