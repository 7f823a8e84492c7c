import { expectEmpty } from '../reader.js';

/** wtxidrelay (BIP339): announce transactions by wtxid; no payload. btcd has no decoder for it (btcd wire package); we decode it. */
export interface WtxidRelayMessage {
  readonly command: 'wtxidrelay';
}

const MESSAGE: WtxidRelayMessage = Object.freeze({ command: 'wtxidrelay' });

/** Any payload byte is ERR_PAYLOAD_TRAILING_BYTES. */
export function decodeWtxidRelay(payload: Uint8Array, _pver?: number): WtxidRelayMessage {
  expectEmpty(payload, 'wtxidrelay');
  return MESSAGE;
}

export function encodeWtxidRelay(_msg?: WtxidRelayMessage, _pver?: number): Uint8Array {
  return new Uint8Array(0);
}
