// Status codes of the BIP324 packet layer (docs/wasm-abi.md "BIP324"). Mirrored in
// src/wasm/v2-status.ts; a test parses this file, so keep one `export const NAME: u32 = value;` per line.

export const V2_OK: u32 = 0;
export const V2_DEFERRED: u32 = 2;
export const V2_BAD_TAG: u32 = 30;
export const V2_OVERSIZE: u32 = 31;
