import { expectEmpty } from '../reader.js';

/** verack: acknowledges a version message; no payload. */
export interface VerackMessage {
  readonly command: 'verack';
}

const MESSAGE: VerackMessage = Object.freeze({ command: 'verack' });

/** Any payload byte is ERR_PAYLOAD_TRAILING_BYTES. */
export function decodeVerack(payload: Uint8Array, _pver?: number): VerackMessage {
  expectEmpty(payload, 'verack');
  return MESSAGE;
}

export function encodeVerack(_msg?: VerackMessage, _pver?: number): Uint8Array {
  return new Uint8Array(0);
}
