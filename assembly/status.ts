// Status codes returned to JS (docs/wasm-abi.md). Mirrored in src/wasm/status.ts; a test parses
// this file, so keep one `export const NAME: u32 = value;` per line.

export const OK: u32 = 0;
export const UNKNOWN_COMMAND: u32 = 1;
export const CHECKSUM_DEFERRED: u32 = 2;
export const BAD_CHECKSUM: u32 = 10;
export const BAD_COMMAND: u32 = 11;
export const OVERSIZE: u32 = 20;
export const BAD_MAGIC: u32 = 21;
export const COMMAND_OVERSIZE: u32 = 22;

/** Fatal statuses are >= this value: the stream cannot be resynchronised after them. */
export const FIRST_FATAL: u32 = 20;

/**
 * Internal only, never returned: a record whose checksum the multi-buffer pass still has to
 * verify. scanFrames rewrites it to OK or BAD_CHECKSUM before it returns.
 */
export const PENDING_CHECKSUM: u32 = 0xff;
