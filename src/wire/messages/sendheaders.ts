import { expectEmpty } from '../reader.js';

/** sendheaders (BIP130): announce blocks with headers instead of inv; no payload. */
export interface SendHeadersMessage {
  readonly command: 'sendheaders';
}

const MESSAGE: SendHeadersMessage = Object.freeze({ command: 'sendheaders' });

/** Any payload byte is ERR_PAYLOAD_TRAILING_BYTES. */
export function decodeSendHeaders(payload: Uint8Array, _pver?: number): SendHeadersMessage {
  expectEmpty(payload, 'sendheaders');
  return MESSAGE;
}

export function encodeSendHeaders(_msg?: SendHeadersMessage, _pver?: number): Uint8Array {
  return new Uint8Array(0);
}
