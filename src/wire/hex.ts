/**
 * Hex helpers for display and tests. Not used by decoders: the hot path never builds strings.
 */

/** Lower-case hex of the bytes in wire order. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of an even-length hex string; throws TypeError on anything else (caller input, not peer input). */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not a hex string: "${hex.length > 80 ? `${hex.slice(0, 80)}…` : hex}"`);
  }
  const buf = Buffer.from(hex, 'hex');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Display form of a 32-byte hash (txid, block hash): the bytes reversed, as every Bitcoin tool
 * prints them, because the hash is read as a little-endian 256-bit number.
 */
export function hashToHex(hash: Uint8Array): string {
  const rev = Uint8Array.from(hash).reverse();
  return bytesToHex(rev);
}

/** Inverse of hashToHex: display hex (64 digits) to wire-order bytes. */
export function hexToHash(hex: string): Uint8Array {
  if (hex.length !== 64) throw new TypeError(`a hash is 64 hex digits, got ${hex.length}`);
  return hexToBytes(hex).reverse();
}
