import { expectEmpty } from '../reader.js';

/** mempool (BIP35): asks for the txids in the mempool; no payload. */
export interface MempoolMessage {
  readonly command: 'mempool';
}

const MESSAGE: MempoolMessage = Object.freeze({ command: 'mempool' });

/** Any payload byte is ERR_PAYLOAD_TRAILING_BYTES. */
export function decodeMempool(payload: Uint8Array, _pver?: number): MempoolMessage {
  expectEmpty(payload, 'mempool');
  return MESSAGE;
}

export function encodeMempool(_msg?: MempoolMessage, _pver?: number): Uint8Array {
  return new Uint8Array(0);
}
