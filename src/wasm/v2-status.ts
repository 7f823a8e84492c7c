/**
 * Status codes of the WASM BIP324 packet layer (mirror of assembly/v2status.ts, docs/wasm-abi.md
 * "BIP324"). test/transport/v2-wasm.test.ts checks that both files agree.
 */
export const V2Status = Object.freeze({
  /** Packet authenticated; its header byte and contents are decrypted in place. */
  V2_OK: 0,
  /** Packet left to node:crypto (header + contents ≥ nativeMin); key and nonce at v2DeferPtr(). */
  V2_DEFERRED: 2,
  /** Poly1305 tag does not match: fatal. */
  V2_BAD_TAG: 30,
  /** Decrypted contents length over 4,000,013 bytes: fatal, reported on the 3 length bytes. */
  V2_OVERSIZE: 31,
} as const);
